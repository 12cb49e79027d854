//! diesel-async queries of the invoice schema. Functions take the caller's connection so the
//! app layer owns transactions; SQL never leaves this module.

pub mod claims;
pub mod exceptions;
pub mod extraction;
pub mod invoices;
pub mod matching;
pub mod messages;
pub mod orders;
pub mod payables;
pub mod portal;
pub mod schema;
pub mod vendors;

/// Named constraints the app layer turns into domain errors.
pub mod constraints {
    pub const VENDORS_TAX_ID_LIVE: &str = "vendors_tax_id_live";
    pub const VENDOR_ALIASES_UNIQUE: &str = "vendor_aliases_unique";
    pub const PURCHASE_ORDERS_PO_NUMBER: &str = "purchase_orders_po_number";
    pub const GOODS_RECEIPTS_NUMBER: &str = "goods_receipts_number";
    pub const BANK_VERIFIER_DIFFERS: &str = "vendor_bank_accounts_check";
}
