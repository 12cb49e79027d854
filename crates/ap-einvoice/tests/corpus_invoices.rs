//! Every e-invoice XML of the shared corpus parses and satisfies the EN 16931 sum rules,
//! except the files documented here.

#[path = "support/corpus.rs"]
mod corpus;

use ap_einvoice::{Error, check_totals, parse};

/// Order-X documents are purchase orders carried in the Factur-X family; they must be refused.
fn is_order_x(name: &str) -> bool {
    name.contains("/order-x-")
}

/// Files whose stated totals genuinely break a sum rule, with the rule and the reason.
const KNOWN_INCONSISTENT: [(&str, &str, &str); 1] = [(
    "einvoice/facturx-xml/zugferd-extended.xml",
    "BR-CO-11",
    "ZUGFeRD 1 sample writes its document allowance as ActualAmount -21.55 while \
     AllowanceTotalAmount is 21.55; EN 16931 allowance amounts are positive, and the \
     amount is kept as written",
)];

#[test]
fn every_corpus_invoice_parses_and_its_totals_add_up() {
    let files = corpus::all_xml();
    assert!(
        files.len() >= 50,
        "corpus looks incomplete: {} files",
        files.len()
    );
    let mut parsed = 0;
    for (name, bytes) in &files {
        if is_order_x(name) {
            continue;
        }
        let invoice = parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        parsed += 1;
        let rules: Vec<&str> = check_totals(&invoice).iter().map(|i| i.rule).collect();
        let expected: Vec<&str> = KNOWN_INCONSISTENT
            .iter()
            .filter(|(file, _, _)| file == name)
            .map(|(_, rule, _)| *rule)
            .collect();
        assert_eq!(rules, expected, "{name}: {:?}", check_totals(&invoice));
    }
    assert_eq!(parsed, files.len() - 2);
}

#[test]
fn order_x_files_are_refused_as_not_an_invoice() {
    let orders: Vec<_> = corpus::folder("einvoice/facturx-xml")
        .into_iter()
        .filter(|(name, _)| is_order_x(name))
        .collect();
    assert_eq!(orders.len(), 2);
    for (name, bytes) in orders {
        match parse(&bytes) {
            Err(Error::NotAnInvoice(msg)) => assert!(msg.contains("order-x"), "{name}: {msg}"),
            other => panic!("{name}: expected NotAnInvoice, got {other:?}"),
        }
    }
}

#[test]
fn zugferd_1_documents_are_read() {
    for file in [
        "zugferd-basic.xml",
        "zugferd-comfort.xml",
        "zugferd-extended.xml",
    ] {
        let bytes = corpus::read(&format!("einvoice/facturx-xml/{file}"));
        assert_eq!(
            ap_einvoice::detect_syntax(&bytes),
            Ok(ap_einvoice::Syntax::Zugferd1),
            "{file}"
        );
        let invoice = parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!invoice.lines.is_empty(), "{file}");
    }
}

/// `CII-BR-CO-10-RoundingIssue.xml` is the official regression case for BR-CO-10: its lines
/// are 720.81 + 0.01 − 720.81 − 0.01 against a stated sum of 0.00. Validators that add amounts
/// as binary floating point got a tiny non-zero sum and raised a false BR-CO-10 error. The
/// file is consistent, so exact decimal arithmetic must find no issue at all.
#[test]
fn the_br_co_10_rounding_case_is_consistent_under_exact_arithmetic() {
    let invoice =
        parse(&corpus::read("einvoice/cii/CII-BR-CO-10-RoundingIssue.xml")).expect("parses");
    let amounts: Vec<String> = invoice
        .lines
        .iter()
        .map(|l| l.net_amount.to_string())
        .collect();
    assert_eq!(amounts, ["720.81", "0.01", "-720.81", "-0.01"]);
    assert_eq!(
        invoice.totals.line_total.map(|d| d.to_string()).as_deref(),
        Some("0.00")
    );
    assert!(
        check_totals(&invoice).is_empty(),
        "{:?}",
        check_totals(&invoice)
    );
    let as_floats: f64 = [720.81_f64, 0.01, -720.81, -0.01].iter().sum();
    assert_ne!(
        as_floats, 0.0,
        "the file exists because binary floating point gets this wrong"
    );
}

#[test]
fn a_broken_sum_is_reported_with_the_rule_and_both_values() {
    let mut invoice = parse(&corpus::read("einvoice/cii/CII_example1.xml")).expect("parses");
    invoice.lines[0].net_amount += rust_decimal::Decimal::new(1, 2);
    let issues = check_totals(&invoice);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].rule, "BR-CO-10");
    assert_eq!(issues[0].stated.to_string(), "229.6");
    assert_eq!(issues[0].computed.to_string(), "229.61");
}
