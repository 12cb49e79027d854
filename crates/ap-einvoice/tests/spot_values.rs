//! Exact values of selected corpus invoices, each checked against the XML text by hand.

#[path = "support/corpus.rs"]
mod corpus;

use ap_einvoice::{DocumentKind, Invoice, parse};
use chrono::NaiveDate;

fn load(relative: &str) -> Invoice {
    parse(&corpus::read(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn s(v: &Option<rust_decimal::Decimal>) -> Option<String> {
    v.map(|d| d.to_string())
}

#[test]
fn ubl_example_2_has_the_values_written_in_the_document() {
    let inv = load("einvoice/ubl/ubl-tc434-example2.xml");
    assert_eq!(inv.kind, DocumentKind::Invoice);
    assert_eq!(inv.type_code, "380");
    assert_eq!(inv.number, "TOSL108");
    assert_eq!(Some(inv.issue_date), date(2013, 6, 30));
    assert_eq!(inv.due_date, date(2013, 7, 20));
    assert_eq!(inv.currency, "NOK");
    assert_eq!(inv.purchase_order_reference.as_deref(), Some("123"));
    assert_eq!(inv.seller.name, "Salescompany ltd.");
    assert_eq!(inv.seller.vat_id.as_deref(), Some("NO123456789MVA"));
    assert_eq!(
        inv.seller.legal_registration_id.as_deref(),
        Some("123456789")
    );
    assert_eq!(inv.seller.email.as_deref(), Some("antonio@salescompany.no"));
    assert_eq!(inv.seller.address_lines, ["Main street 34", "Suite 123"]);
    assert_eq!(inv.buyer.vat_id.as_deref(), Some("NO987654321MVA"));
    assert_eq!(inv.payee_accounts.len(), 1);
    assert_eq!(inv.payee_accounts[0].iban, "NO9386011117947");
    assert_eq!(inv.payee_accounts[0].bic.as_deref(), Some("DNBANOKK"));
    assert_eq!(
        inv.remittance_information.as_deref(),
        Some("0003434323213231")
    );
    assert_eq!(
        inv.payment_terms.as_deref(),
        Some("2 % discount if paid within 2 days\nPenalty percentage 10% from due date")
    );
    let t = &inv.totals;
    assert_eq!(s(&t.line_total).as_deref(), Some("1436.50"));
    assert_eq!(t.total_without_vat.to_string(), "1436.50");
    assert_eq!(s(&t.vat_total).as_deref(), Some("365.28"));
    assert_eq!(t.total_with_vat.to_string(), "1801.78");
    assert_eq!(s(&t.allowance_total).as_deref(), Some("100.00"));
    assert_eq!(s(&t.charge_total).as_deref(), Some("100.00"));
    assert_eq!(s(&t.prepaid).as_deref(), Some("1000.00"));
    assert_eq!(t.amount_due.to_string(), "801.78");
    assert_eq!(inv.lines.len(), 5);
    assert_eq!(inv.allowances_charges.len(), 2);
    assert!(!inv.allowances_charges[0].is_charge);
    assert_eq!(
        inv.allowances_charges[0].reason.as_deref(),
        Some("Promotion discount")
    );
    assert_eq!(inv.allowances_charges[0].amount.to_string(), "100.00");
}

#[test]
fn cii_example_1_has_the_values_written_in_the_document() {
    let inv = load("einvoice/cii/CII_example1.xml");
    assert_eq!(inv.number, "12115118");
    assert_eq!(Some(inv.issue_date), date(2015, 1, 9));
    assert_eq!(inv.due_date, date(2015, 1, 9));
    assert_eq!(inv.currency, "EUR");
    assert_eq!(
        inv.specification_id.as_deref(),
        Some("urn:cen.eu:en16931:2017")
    );
    assert_eq!(inv.seller.name, "De Koksmaat");
    assert_eq!(inv.seller.vat_id.as_deref(), Some("NL8200.98.395.B.01"));
    assert_eq!(inv.buyer.name, "ODIN 59");
    assert_eq!(
        inv.payee_accounts.len(),
        1,
        "the repeated payment means is one account"
    );
    assert_eq!(inv.payee_accounts[0].iban, "NL57 RABO 0107307510");
    assert_eq!(s(&inv.totals.line_total).as_deref(), Some("229.6"));
    assert_eq!(s(&inv.totals.vat_total).as_deref(), Some("20.73"));
    assert_eq!(inv.totals.total_with_vat.to_string(), "250.33");
    assert_eq!(inv.totals.amount_due.to_string(), "250.33");
    assert_eq!(inv.lines.len(), 20);
    let first = &inv.lines[0];
    assert_eq!(first.id, "1");
    assert_eq!(first.name.as_deref(), Some("PATAT FRITES 10MM 10KG"));
    assert_eq!(first.seller_item_id.as_deref(), Some("166022"));
    assert_eq!(first.quantity.to_string(), "2");
    assert_eq!(first.unit_code.as_deref(), Some("H87"));
    assert_eq!(s(&first.net_price).as_deref(), Some("9.95"));
    assert_eq!(first.net_amount.to_string(), "19.9");
    assert_eq!(first.vat_category.as_deref(), Some("S"));
    assert_eq!(s(&first.vat_rate).as_deref(), Some("6"));
}

#[test]
fn the_forint_invoice_keeps_its_currency_and_totals() {
    let inv = load("einvoice/cii/huf_example_cii.xml");
    assert_eq!(inv.number, "21/001003559/996");
    assert_eq!(Some(inv.issue_date), date(2021, 10, 5));
    assert_eq!(inv.due_date, date(2021, 11, 1));
    assert_eq!(inv.currency, "HUF");
    assert_eq!(inv.seller.name, "DKV Euro Service GmbH + Co. KG");
    assert_eq!(inv.seller.vat_id.as_deref(), Some("HU30048650"));
    assert_eq!(inv.buyer.vat_id.as_deref(), Some("DE242688168"));
    assert_eq!(inv.payee_accounts[0].iban, "DE26330403100827038100");
    assert_eq!(s(&inv.totals.line_total).as_deref(), Some("69180.00"));
    assert_eq!(s(&inv.totals.vat_total).as_deref(), Some("18679.00"));
    assert_eq!(inv.totals.total_with_vat.to_string(), "87859.00");
    assert_eq!(inv.lines.len(), 3);
}

#[test]
fn the_xrechnung_invoice_has_its_references_and_bank_details() {
    let inv = load("einvoice/cii/XRechnung-O.xml");
    assert_eq!(inv.number, "150377292");
    assert_eq!(Some(inv.issue_date), date(2021, 1, 14));
    assert_eq!(inv.buyer_reference.as_deref(), Some("XX"));
    // 50028642477 appears only as a contract (BT-12) and line document reference, not as BT-13.
    assert_eq!(inv.purchase_order_reference, None);
    assert_eq!(inv.payee_accounts[0].bic.as_deref(), Some("HELADEFFXXX"));
    assert_eq!(s(&inv.totals.line_total).as_deref(), Some("336300.95"));
    assert_eq!(s(&inv.totals.charge_total).as_deref(), Some("49243.65"));
    assert_eq!(inv.totals.total_without_vat.to_string(), "385544.60");
    assert_eq!(inv.totals.amount_due.to_string(), "385544.60");
    assert_eq!(
        inv.totals.vat_total, None,
        "the document states no VAT total"
    );
}

#[test]
fn the_factur_x_minimum_profile_has_header_totals_and_no_lines() {
    let inv = load("einvoice/facturx-xml/factur-x-minimum.xml");
    assert_eq!(inv.number, "F20260023");
    assert_eq!(Some(inv.issue_date), date(2026, 1, 31));
    assert_eq!(
        inv.specification_id.as_deref(),
        Some("urn:factur-x.eu:1p0:minimum")
    );
    assert_eq!(inv.buyer_reference.as_deref(), Some("SERVEXEC"));
    assert_eq!(inv.seller.vat_id.as_deref(), Some("FR11123456782"));
    assert_eq!(inv.purchase_order_reference.as_deref(), Some("PO201925478"));
    assert_eq!(inv.totals.line_total, None);
    assert_eq!(inv.totals.total_without_vat.to_string(), "100.00");
    assert_eq!(s(&inv.totals.vat_total).as_deref(), Some("4.90"));
    assert_eq!(inv.totals.total_with_vat.to_string(), "104.90");
    assert_eq!(inv.totals.amount_due.to_string(), "104.90");
    assert!(inv.lines.is_empty());
}

#[test]
fn a_zugferd_1_comfort_invoice_maps_to_the_same_model() {
    let inv = load("einvoice/facturx-xml/zugferd-comfort.xml");
    assert_eq!(inv.number, "471102");
    assert_eq!(Some(inv.issue_date), date(2013, 3, 5));
    assert_eq!(inv.currency, "EUR");
    assert_eq!(inv.seller.name, "Lieferant GmbH");
    assert_eq!(inv.seller.vat_id.as_deref(), Some("DE123456789"));
    assert_eq!(
        inv.seller.tax_registration_id.as_deref(),
        Some("201/113/40209")
    );
    assert_eq!(inv.seller.address_lines, ["Lieferantenstraße 20"]);
    assert_eq!(inv.payment_means_code.as_deref(), Some("31"));
    assert_eq!(inv.remittance_information.as_deref(), Some("2013-471102"));
    assert_eq!(inv.payee_accounts[0].iban, "DE08700901001234567890");
    assert_eq!(inv.payee_accounts[0].bic.as_deref(), Some("GENODEF1M04"));
    assert_eq!(s(&inv.totals.line_total).as_deref(), Some("473.00"));
    assert_eq!(s(&inv.totals.vat_total).as_deref(), Some("56.87"));
    assert_eq!(inv.totals.total_with_vat.to_string(), "529.87");
    assert_eq!(inv.vat_breakdown.len(), 2);
    assert_eq!(s(&inv.vat_breakdown[0].rate).as_deref(), Some("7.00"));
    assert_eq!(inv.lines.len(), 2);
    assert_eq!(inv.lines[0].net_amount.to_string(), "198.00");
    assert_eq!(s(&inv.lines[0].net_price).as_deref(), Some("9.9000"));
}
