//! Every synthetic layout-text fixture yields its expected header fields through the pure parser.

use std::str::FromStr;

use ap_textract::{Extraction, extract_text};
use chrono::NaiveDate;
use rust_decimal::Decimal;

fn run(name: &str) -> Extraction {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    extract_text(&std::fs::read_to_string(&path).expect("fixture readable"))
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal literal")
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::from_str(s).expect("date literal")
}

struct Expect<'a> {
    number: &'a str,
    issued: &'a str,
    due: Option<&'a str>,
    currency: Option<&'a str>,
    net: Option<&'a str>,
    tax: Option<&'a str>,
    total: &'a str,
    amount_due: Option<&'a str>,
    po: Option<&'a str>,
    vat: Option<&'a str>,
    iban: Option<&'a str>,
}

fn check(name: &str, e: Expect) {
    let x = run(name).fields;
    let val = |f: &Option<ap_textract::Field<String>>| f.as_ref().map(|f| f.value.clone());
    assert_eq!(
        val(&x.invoice_number).as_deref(),
        Some(e.number),
        "{name}: invoice number"
    );
    assert_eq!(
        x.invoice_date.map(|f| f.value),
        Some(date(e.issued)),
        "{name}: invoice date"
    );
    assert_eq!(
        x.due_date.map(|f| f.value),
        e.due.map(date),
        "{name}: due date"
    );
    assert_eq!(val(&x.currency).as_deref(), e.currency, "{name}: currency");
    assert_eq!(x.subtotal.map(|f| f.value), e.net.map(d), "{name}: net");
    assert_eq!(x.tax.map(|f| f.value), e.tax.map(d), "{name}: tax");
    assert_eq!(
        x.total.as_ref().map(|f| f.value),
        Some(d(e.total)),
        "{name}: total"
    );
    if let Some(due) = e.amount_due {
        assert_eq!(
            x.amount_due.map(|f| f.value),
            Some(d(due)),
            "{name}: amount due"
        );
    }
    assert_eq!(val(&x.po_number).as_deref(), e.po, "{name}: po number");
    assert_eq!(val(&x.seller_vat_id).as_deref(), e.vat, "{name}: vat id");
    assert_eq!(val(&x.iban).as_deref(), e.iban, "{name}: iban");
}

const NONE: Expect<'static> = Expect {
    number: "",
    issued: "2000-01-01",
    due: None,
    currency: Some("EUR"),
    net: None,
    tax: None,
    total: "0",
    amount_due: None,
    po: None,
    vat: None,
    iban: None,
};

#[test]
fn a_us_invoice_with_month_first_dates_and_dollar_amounts_is_read() {
    check(
        "en_us_invoice.txt",
        Expect {
            number: "INV-2026-0042",
            issued: "2026-03-14",
            due: Some("2026-04-13"),
            currency: Some("USD"),
            net: Some("1734.56"),
            tax: Some("147.44"),
            total: "1882.00",
            amount_due: Some("1882.00"),
            po: Some("PO-7781"),
            ..NONE
        },
    );
}

#[test]
fn a_british_invoice_with_values_below_labels_is_read() {
    check(
        "en_gb_invoice.txt",
        Expect {
            number: "BS-1009",
            issued: "2026-03-02",
            due: Some("2026-04-01"),
            currency: Some("GBP"),
            net: Some("800.00"),
            tax: Some("160.00"),
            total: "960.00",
            vat: Some("GB123456789"),
            iban: Some("GB33BUKB20201555555555"),
            ..NONE
        },
    );
}

#[test]
fn a_german_invoice_with_thousands_dots_is_read() {
    check(
        "de_rechnung.txt",
        Expect {
            number: "RE-2026-117",
            issued: "2026-03-02",
            due: Some("2026-03-16"),
            net: Some("2014.50"),
            tax: Some("382.76"),
            total: "2397.26",
            po: Some("B-55012"),
            vat: Some("DE811569869"),
            iban: Some("DE89370400440532013000"),
            ..NONE
        },
    );
}

#[test]
fn a_german_invoice_with_month_names_and_space_grouping_is_read() {
    check(
        "de_textmonat.txt",
        Expect {
            number: "2026/0815",
            issued: "2026-03-02",
            due: Some("2026-03-16"),
            net: Some("1250.00"),
            tax: Some("87.50"),
            total: "1337.50",
            ..NONE
        },
    );
}

#[test]
fn a_french_invoice_with_total_ttc_and_net_a_payer_is_read() {
    check(
        "fr_facture.txt",
        Expect {
            number: "FA-2026-031",
            issued: "2026-03-02",
            due: Some("2026-04-01"),
            net: Some("2400.00"),
            tax: Some("480.00"),
            total: "2880.00",
            amount_due: Some("2880.00"),
            vat: Some("FR40303265045"),
            iban: Some("FR7630006000011234567890189"),
            ..NONE
        },
    );
}

#[test]
fn a_french_credit_note_keeps_negative_amounts() {
    check(
        "fr_avoir.txt",
        Expect {
            number: "AV-0007",
            issued: "2026-02-15",
            net: Some("-100.00"),
            tax: Some("-20.00"),
            total: "-120.00",
            po: Some("CMD-8812"),
            ..NONE
        },
    );
}

#[test]
fn a_spanish_invoice_is_read() {
    check(
        "es_factura.txt",
        Expect {
            number: "F/2026/118",
            issued: "2026-03-02",
            due: Some("2026-04-01"),
            net: Some("370.00"),
            tax: Some("77.70"),
            total: "447.70",
            po: Some("PED-4410"),
            vat: Some("ESB12345674"),
            ..NONE
        },
    );
}

#[test]
fn an_italian_invoice_is_read() {
    check(
        "it_fattura.txt",
        Expect {
            number: "2026/77",
            issued: "2026-03-02",
            due: Some("2026-03-31"),
            net: Some("1000.00"),
            tax: Some("220.00"),
            total: "1220.00",
            amount_due: Some("1220.00"),
            vat: Some("IT12345678901"),
            ..NONE
        },
    );
}

#[test]
fn a_dutch_invoice_is_read() {
    check(
        "nl_factuur.txt",
        Expect {
            number: "2026-0301",
            issued: "2026-03-02",
            due: Some("2026-03-16"),
            net: Some("120.00"),
            tax: Some("10.80"),
            total: "130.80",
            amount_due: Some("130.80"),
            po: Some("BST-99"),
            vat: Some("NL123456789B01"),
            ..NONE
        },
    );
}

#[test]
fn a_dutch_invoice_with_a_prepayment_keeps_total_and_amount_due_apart() {
    check(
        "nl_amounts_due.txt",
        Expect {
            number: "4412",
            issued: "2026-02-03",
            currency: None,
            net: Some("1000.00"),
            tax: Some("210.00"),
            total: "1210.00",
            amount_due: Some("1000.00"),
            ..NONE
        },
    );
}

#[test]
fn labels_above_their_values_are_read_column_by_column() {
    check(
        "labels_above.txt",
        Expect {
            number: "77-1200",
            issued: "2026-03-02",
            due: Some("2026-04-01"),
            net: Some("5000.00"),
            tax: Some("1250.00"),
            total: "6250.00",
            ..NONE
        },
    );
}

#[test]
fn a_us_credit_note_with_parenthesised_amounts_is_negative() {
    check(
        "us_credit_note.txt",
        Expect {
            number: "CN-1001",
            issued: "2026-03-02",
            currency: Some("USD"),
            net: Some("-250.00"),
            tax: Some("-20.00"),
            total: "-270.00",
            ..NONE
        },
    );
}

#[test]
fn an_austrian_credit_note_with_trailing_minus_and_two_digit_year_is_read() {
    check(
        "at_rechnung_trailing_minus.txt",
        Expect {
            number: "GS-55",
            issued: "2026-01-05",
            currency: None,
            net: Some("-50.00"),
            tax: Some("-10.00"),
            total: "-60.00",
            vat: Some("ATU12345678"),
            ..NONE
        },
    );
}

#[test]
fn consistent_totals_get_high_confidence() {
    let x = run("de_rechnung.txt").fields;
    for f in [x.subtotal, x.tax, x.total] {
        assert!(f.expect("money field present").confidence > 0.9);
    }
}

#[test]
fn an_inferred_total_gets_low_confidence() {
    let x = extract_text("Some text\nAmount paid by card 1.234,56\n").fields;
    assert!(x.total.expect("inferred total").confidence < 0.5);
}

#[test]
fn extraction_round_trips_through_json() {
    let x = run("fr_facture.txt");
    let json = serde_json::to_string(&x).expect("serialise");
    let back: Extraction = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, x);
}
