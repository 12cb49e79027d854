//! The EN 16931 examples exist in both syntaxes (`ubl-tc434-exampleN.xml` and
//! `CII_exampleN.xml`); both must land on the same canonical invoice.
//!
//! The official pairs are not byte-for-byte translations of each other: some fields were
//! edited in one syntax only. Each pair lists the fields where the two XML files genuinely
//! state different things (verified by reading both files); every other field must be equal.
//! Decimals compare by value, so `800.00` equals `800`.

#[path = "support/corpus.rs"]
mod corpus;

use std::collections::BTreeSet;

use serde_json::Value;

/// Paths (with line indices collapsed to `[*]`) where `a` and `b` differ.
fn differing_paths(a: &Value, b: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    walk("", a, b, &mut out);
    out
}

fn walk(path: &str, a: &Value, b: &Value, out: &mut BTreeSet<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let (v, w) = (
                    x.get(key).unwrap_or(&Value::Null),
                    y.get(key).unwrap_or(&Value::Null),
                );
                walk(&format!("{path}.{key}"), v, w, out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (v, w) in x.iter().zip(y) {
                walk(&format!("{path}[*]"), v, w, out);
            }
        }
        (Value::String(x), Value::String(y)) if same_decimal(x, y) => {}
        _ if a == b => {}
        _ => {
            out.insert(path.to_owned());
        }
    }
}

fn same_decimal(x: &str, y: &str) -> bool {
    match (
        x.parse::<rust_decimal::Decimal>(),
        y.parse::<rust_decimal::Decimal>(),
    ) {
        (Ok(m), Ok(n)) => m == n,
        _ => false,
    }
}

fn compare(n: u32, expected_differences: &[&str]) {
    let ubl = ap_einvoice::parse(&corpus::read(&format!(
        "einvoice/ubl/ubl-tc434-example{n}.xml"
    )))
    .expect("ubl parses");
    let cii = ap_einvoice::parse(&corpus::read(&format!("einvoice/cii/CII_example{n}.xml")))
        .expect("cii parses");
    let a = serde_json::to_value(&ubl).expect("serialises");
    let b = serde_json::to_value(&cii).expect("serialises");
    let found = differing_paths(&a, &b);
    let expected: BTreeSet<String> = expected_differences.iter().map(|s| s.to_string()).collect();
    assert_eq!(found, expected, "example {n}");
    assert_eq!(ubl.number, cii.number);
    assert_eq!(ubl.currency, cii.currency);
    assert_eq!(ubl.lines.len(), cii.lines.len());
}

// Across the pairs, the UBL files use unit `EA` where the CII files use `H87` or `C62`, and
// several CII files put unrelated figures in BasisQuantity (BT-149) where UBL states 1 or 12.

#[test]
fn example_1_is_the_same_invoice_in_ubl_and_cii() {
    compare(
        1,
        &[
            ".lines[*].unit_code",
            // UBL has typos in two item names ("PKAAS", "PK CHOCOLADEMEL").
            ".lines[*].name",
            // The UBL note ends with "##Delivery terms", the CII note does not.
            ".notes[*]",
            // UBL gives a second account (NL03 INGB ...); CII repeats the first one.
            ".payee_accounts",
        ],
    );
}

#[test]
fn example_2_is_the_same_invoice_in_ubl_and_cii() {
    compare(
        2,
        &[
            ".lines[*].unit_code",
            ".lines[*].price_base_quantity",
            // Line 1 quantity: UBL 2, CII 1 (both with the same line amount).
            ".lines[*].quantity",
            // Only CII references an order line on line 5.
            ".lines[*].order_line_reference",
            // Allowance reason code: UBL 88, CII 95.
            ".allowances_charges[*].reason_code",
        ],
    );
}

/// CII example 3 has one line where UBL has two, so totals and VAT differ throughout.
#[test]
fn example_3_differs_in_content_between_syntaxes_and_only_the_header_is_compared() {
    let ubl = ap_einvoice::parse(&corpus::read("einvoice/ubl/ubl-tc434-example3.xml"))
        .expect("ubl parses");
    let cii =
        ap_einvoice::parse(&corpus::read("einvoice/cii/CII_example3.xml")).expect("cii parses");
    assert_eq!((ubl.lines.len(), cii.lines.len()), (2, 1));
    assert_eq!(ubl.number, cii.number);
    assert_eq!(ubl.issue_date, cii.issue_date);
    assert_eq!(ubl.due_date, cii.due_date);
    assert_eq!(ubl.currency, cii.currency);
    assert_eq!(ubl.seller, cii.seller);
    assert_eq!(ubl.payee_accounts, cii.payee_accounts);
    assert_eq!(ubl.lines[0].net_amount, cii.lines[0].net_amount);
}

#[test]
fn example_4_is_the_same_invoice_in_ubl_and_cii() {
    // Seller contact email: UBL antonio@SubscriptionsSeller.dk, CII Anthon@SellerCompany.dk.
    compare(4, &[".lines[*].unit_code", ".seller.email"]);
}

#[test]
fn example_5_is_the_same_invoice_in_ubl_and_cii() {
    compare(
        5,
        &[
            ".lines[*].unit_code",
            ".allowances_charges[*].reason_code",
            // UBL ends its note with "#Ordering information".
            ".notes[*]",
            // UBL pays by direct debit (49, the account is the payer's mandate account);
            // CII states credit transfer 58 to payee accounts.
            ".payment_means_code",
            ".payee_accounts",
        ],
    );
}

#[test]
fn example_6_is_the_same_invoice_in_ubl_and_cii() {
    compare(6, &[".lines[*].unit_code"]);
}

#[test]
fn example_7_is_the_same_invoice_in_ubl_and_cii() {
    compare(
        7,
        &[
            ".lines[*].unit_code",
            // Issue date: UBL 2013-03-11, CII 2013-05-13.
            ".issue_date",
            // UBL states a VAT total of 0.00; the CII summation omits TaxTotalAmount.
            ".totals.vat_total",
        ],
    );
}

#[test]
fn example_8_is_the_same_invoice_in_ubl_and_cii() {
    // UBL uses unit KW where CII uses KWT on two lines.
    compare(8, &[".lines[*].unit_code", ".lines[*].price_base_quantity"]);
}

#[test]
fn example_9_is_the_same_invoice_in_ubl_and_cii() {
    // Due date: UBL 2015-04-14, CII 2015-04-15.
    compare(9, &[".lines[*].price_base_quantity", ".due_date"]);
}

/// `ubl-21-en16931.xml` and `factur-x-en16931.xml` in the Factur-X fixtures are two unrelated
/// invoices (different numbers, parties and amounts), so they are not compared field by field.
#[test]
fn the_factur_x_fixture_pair_is_two_different_invoices() {
    let ubl = ap_einvoice::parse(&corpus::read("einvoice/facturx-xml/ubl-21-en16931.xml"))
        .expect("parses");
    let cii = ap_einvoice::parse(&corpus::read("einvoice/facturx-xml/factur-x-en16931.xml"))
        .expect("parses");
    assert_eq!(
        (ubl.number.as_str(), cii.number.as_str()),
        ("F124212", "F20260023")
    );
    assert_ne!(ubl.seller.name, cii.seller.name);
}
