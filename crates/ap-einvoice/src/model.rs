//! The canonical invoice model: one shape for every syntax, named after EN 16931 business terms.
//!
//! Amounts are kept exactly as the document writes them (see the crate docs on credit notes).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Whether the document claims money (invoice) or returns it (credit note).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DocumentKind {
    Invoice,
    CreditNote,
}

impl DocumentKind {
    /// Classifies a UNTDID 1001 document type code (BT-3).
    ///
    /// Credit-note codes follow the EN 16931 code list: 81, 83, 261, 262, 296, 308, 381, 396,
    /// 420, 458, 532. Everything else (380, 384, 389, 751, ...) is an invoice.
    pub fn from_type_code(code: &str) -> Self {
        match code.trim() {
            "81" | "83" | "261" | "262" | "296" | "308" | "381" | "396" | "420" | "458" | "532" => {
                Self::CreditNote
            }
            _ => Self::Invoice,
        }
    }
}

/// One e-invoice or credit note in canonical form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    /// Invoice or credit note; derived from the root element and BT-3.
    pub kind: DocumentKind,
    /// BT-3 document type code (UNTDID 1001), e.g. `380`, `381`.
    pub type_code: String,
    /// BT-24 specification identifier (CustomizationID / guideline ID), e.g. `urn:cen.eu:en16931:2017`.
    pub specification_id: Option<String>,
    /// BT-1 invoice number.
    pub number: String,
    /// BT-2 issue date.
    pub issue_date: NaiveDate,
    /// BT-9 payment due date.
    pub due_date: Option<NaiveDate>,
    /// BT-5 invoice currency code (ISO 4217).
    pub currency: String,
    /// BT-10 buyer reference (Leitweg-ID in XRechnung).
    pub buyer_reference: Option<String>,
    /// BT-13 purchase order reference.
    pub purchase_order_reference: Option<String>,
    /// BT-14 sales order reference.
    pub sales_order_reference: Option<String>,
    /// BT-22 invoice notes, in document order.
    pub notes: Vec<String>,
    /// BG-4 seller.
    pub seller: Party,
    /// BG-7 buyer.
    pub buyer: Party,
    /// BT-20 payment terms text (several term blocks are joined with a newline).
    pub payment_terms: Option<String>,
    /// BT-81 payment means type code (UNTDID 4461), first one given.
    pub payment_means_code: Option<String>,
    /// BT-83 remittance information (payment reference).
    pub remittance_information: Option<String>,
    /// BG-17 credit transfer accounts: BT-84 IBAN / account id, BT-85 name, BT-86 BIC.
    pub payee_accounts: Vec<PayeeAccount>,
    /// BG-20 / BG-21 document-level allowances and charges.
    pub allowances_charges: Vec<AllowanceCharge>,
    /// BG-23 VAT breakdown.
    pub vat_breakdown: Vec<VatBreakdown>,
    /// BG-22 document totals.
    pub totals: Totals,
    /// BG-25 invoice lines.
    pub lines: Vec<InvoiceLine>,
}

impl Invoice {
    /// BT-112 total with VAT, negated for credit notes so ledgers can add documents up.
    pub fn signed_total(&self) -> Decimal {
        match self.kind {
            DocumentKind::Invoice => self.totals.total_with_vat,
            DocumentKind::CreditNote => -self.totals.total_with_vat,
        }
    }

    /// BT-115 amount due, negated for credit notes.
    pub fn signed_amount_due(&self) -> Decimal {
        match self.kind {
            DocumentKind::Invoice => self.totals.amount_due,
            DocumentKind::CreditNote => -self.totals.amount_due,
        }
    }
}

/// BG-4 seller or BG-7 buyer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// BT-27 / BT-44 registered name.
    pub name: String,
    /// BT-28 / BT-45 trading name.
    pub trading_name: Option<String>,
    /// BT-31 / BT-48 VAT identifier.
    pub vat_id: Option<String>,
    /// BT-32 seller tax registration identifier (e.g. German Steuernummer).
    pub tax_registration_id: Option<String>,
    /// BT-30 / BT-47 legal registration identifier (company number).
    pub legal_registration_id: Option<String>,
    /// BT-34 / BT-49 electronic address.
    pub electronic_address: Option<String>,
    /// BT-35..BT-37 / BT-50..BT-52 and BT-162 / BT-163 address lines, in order.
    pub address_lines: Vec<String>,
    /// BT-37 / BT-52 city.
    pub city: Option<String>,
    /// BT-38 / BT-53 post code.
    pub postal_code: Option<String>,
    /// BT-40 / BT-55 country code (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// BT-43 / BT-58 contact email.
    pub email: Option<String>,
}

/// BG-17 one credit-transfer account of the payee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayeeAccount {
    /// BT-84 IBAN or proprietary account identifier.
    pub iban: String,
    /// BT-85 account name.
    pub account_name: Option<String>,
    /// BT-86 BIC of the payment service provider.
    pub bic: Option<String>,
}

/// BG-20 document-level allowance (`is_charge == false`) or BG-21 charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllowanceCharge {
    pub is_charge: bool,
    /// BT-92 / BT-99 amount.
    pub amount: Decimal,
    /// BT-93 / BT-100 base amount.
    pub base_amount: Option<Decimal>,
    /// BT-94 / BT-101 percentage.
    pub percentage: Option<Decimal>,
    /// BT-97 / BT-104 reason text.
    pub reason: Option<String>,
    /// BT-98 / BT-105 reason code.
    pub reason_code: Option<String>,
    /// BT-95 / BT-102 VAT category code.
    pub vat_category: Option<String>,
    /// BT-96 / BT-103 VAT rate in percent.
    pub vat_rate: Option<Decimal>,
}

/// BG-23 one VAT breakdown row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VatBreakdown {
    /// BT-118 VAT category code (UNCL 5305: S, Z, E, AE, K, G, O, L, M). Always present in
    /// EN 16931 documents; ZUGFeRD 1 BASIC may omit it.
    pub category: Option<String>,
    /// BT-119 VAT rate in percent.
    pub rate: Option<Decimal>,
    /// BT-116 taxable amount.
    pub taxable_amount: Decimal,
    /// BT-117 tax amount.
    pub tax_amount: Decimal,
    /// BT-120 exemption reason text.
    pub exemption_reason: Option<String>,
    /// BT-121 exemption reason code.
    pub exemption_reason_code: Option<String>,
}

/// BG-22 document totals. Terms that minimal profiles may omit are optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// BT-106 sum of invoice line net amounts.
    pub line_total: Option<Decimal>,
    /// BT-107 sum of document-level allowances.
    pub allowance_total: Option<Decimal>,
    /// BT-108 sum of document-level charges.
    pub charge_total: Option<Decimal>,
    /// BT-109 total without VAT.
    pub total_without_vat: Decimal,
    /// BT-110 VAT total in the invoice currency.
    pub vat_total: Option<Decimal>,
    /// BT-112 total with VAT.
    pub total_with_vat: Decimal,
    /// BT-113 paid amount.
    pub prepaid: Option<Decimal>,
    /// BT-114 rounding amount.
    pub rounding: Option<Decimal>,
    /// BT-115 amount due for payment. A ZUGFeRD 1 document may omit it; it is then derived
    /// by BR-CO-16 (BT-112 − BT-113 + BT-114). Every EN 16931 syntax states it.
    pub amount_due: Decimal,
}

/// BG-25 one invoice line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// BT-126 line identifier. ZUGFeRD 1 BASIC/EXTENDED may omit it; the line's 1-based
    /// position among the document's lines is used then.
    pub id: String,
    /// BT-153 item name.
    pub name: Option<String>,
    /// BT-154 item description.
    pub description: Option<String>,
    /// BT-155 seller's item identifier.
    pub seller_item_id: Option<String>,
    /// BT-129 invoiced quantity.
    pub quantity: Decimal,
    /// BT-130 unit of measure (UN/ECE Rec 20).
    pub unit_code: Option<String>,
    /// BT-146 item net price.
    pub net_price: Option<Decimal>,
    /// BT-149 price base quantity.
    pub price_base_quantity: Option<Decimal>,
    /// BT-131 line net amount.
    pub net_amount: Decimal,
    /// BT-151 VAT category code.
    pub vat_category: Option<String>,
    /// BT-152 VAT rate in percent.
    pub vat_rate: Option<Decimal>,
    /// BT-132 referenced purchase order line.
    pub order_line_reference: Option<String>,
}
