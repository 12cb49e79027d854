//! Credit notes: UBL `CreditNote` documents and CII documents with type code 381.

#[path = "support/corpus.rs"]
mod corpus;

use ap_einvoice::{DocumentKind, check_totals, parse};

#[test]
fn the_en16931_ubl_credit_note_keeps_amounts_as_written_and_signs_them_on_request() {
    let cn = parse(&corpus::read("einvoice/ubl/ubl-tc434-creditnote1.xml")).expect("parses");
    assert_eq!(cn.kind, DocumentKind::CreditNote);
    assert_eq!(cn.type_code, "381");
    assert_eq!(cn.number, "018304 / 28865");
    assert_eq!(cn.issue_date.to_string(), "2019-09-23");
    assert_eq!(cn.currency, "EUR");
    assert_eq!(cn.totals.total_with_vat.to_string(), "100.11");
    assert_eq!(cn.totals.amount_due.to_string(), "100.11");
    assert_eq!(cn.signed_total().to_string(), "-100.11");
    assert_eq!(cn.signed_amount_due().to_string(), "-100.11");
    assert_eq!(cn.payee_accounts[0].iban, "BE91000000143476");
    assert_eq!(cn.payee_accounts[0].bic.as_deref(), Some("BPOTBEB1"));
    assert_eq!(cn.lines.len(), 1);
    assert_eq!(cn.lines[0].quantity.to_string(), "1.00");
    assert_eq!(cn.lines[0].unit_code.as_deref(), Some("C62"));
    assert_eq!(cn.lines[0].vat_category.as_deref(), Some("E"));
    assert!(check_totals(&cn).is_empty());
}

#[test]
fn the_peppol_correction_credit_note_reads_credited_lines() {
    let cn = parse(&corpus::read(
        "einvoice/peppol/base-creditnote-correction.xml",
    ))
    .expect("parses");
    assert_eq!(cn.kind, DocumentKind::CreditNote);
    assert_eq!(cn.number, "Snippet1");
    assert_eq!(cn.issue_date.to_string(), "2017-11-13");
    assert_eq!(cn.totals.total_with_vat.to_string(), "1656.25");
    assert_eq!(cn.signed_total().to_string(), "-1656.25");
    assert_eq!(cn.payee_accounts[0].iban, "IBAN32423940");
    assert_eq!(cn.payee_accounts[0].bic.as_deref(), Some("BIC324098"));
    assert_eq!(cn.lines[0].quantity.to_string(), "7");
    assert_eq!(cn.lines[0].unit_code.as_deref(), Some("DAY"));
    assert!(check_totals(&cn).is_empty());
}

#[test]
fn a_cii_document_with_type_code_381_is_a_credit_note() {
    let xml = String::from_utf8(corpus::read("einvoice/cii/CII_example1.xml")).expect("utf-8");
    let original = "<ram:TypeCode>380</ram:TypeCode>";
    assert_eq!(xml.matches(original).count(), 1);
    let credit = xml.replace(original, "<ram:TypeCode>381</ram:TypeCode>");
    let cn = parse(credit.as_bytes()).expect("parses");
    assert_eq!(cn.kind, DocumentKind::CreditNote);
    assert_eq!(cn.type_code, "381");
    assert_eq!(cn.totals.total_with_vat.to_string(), "250.33");
    assert_eq!(cn.signed_total().to_string(), "-250.33");
    let invoice = parse(xml.as_bytes()).expect("parses");
    assert_eq!(invoice.kind, DocumentKind::Invoice);
    assert_eq!(invoice.signed_total().to_string(), "250.33");
}

#[test]
fn a_negative_invoice_stays_an_invoice_with_negative_amounts() {
    let inv = parse(&corpus::read(
        "einvoice/peppol/base-negative-inv-correction.xml",
    ))
    .expect("parses");
    assert_eq!(inv.kind, DocumentKind::Invoice);
    assert!(
        inv.totals.total_with_vat.is_sign_negative(),
        "{}",
        inv.totals.total_with_vat
    );
    assert_eq!(inv.signed_total(), inv.totals.total_with_vat);
}
