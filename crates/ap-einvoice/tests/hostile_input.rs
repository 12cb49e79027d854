//! Hostile and broken input: DTDs (XXE, billion laughs), size and depth bombs, truncation.

#[path = "support/corpus.rs"]
mod corpus;

use std::time::{Duration, Instant};

use ap_einvoice::{Error, Limits, parse, parse_with};

const UBL_OPEN: &str = r#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">"#;

fn assert_quick(started: Instant) {
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn an_external_entity_is_refused_before_anything_is_resolved() {
    let xxe = format!(
        r#"<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>{UBL_OPEN}<cbc:ID>&xxe;</cbc:ID></Invoice>"#
    );
    let started = Instant::now();
    assert_eq!(parse(xxe.as_bytes()), Err(Error::XmlForbidden("DTD")));
    assert_quick(started);
    let external_dtd =
        r#"<?xml version="1.0"?><!DOCTYPE Invoice SYSTEM "file:///etc/passwd"><Invoice/>"#;
    assert_eq!(
        parse(external_dtd.as_bytes()),
        Err(Error::XmlForbidden("DTD"))
    );
}

#[test]
fn billion_laughs_is_refused_quickly() {
    let mut dtd = String::from(r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">"#);
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        dtd.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    dtd.push_str("]><lolz>&lol9;</lolz>");
    let started = Instant::now();
    assert_eq!(parse(dtd.as_bytes()), Err(Error::XmlForbidden("DTD")));
    assert_quick(started);
}

#[test]
fn an_undeclared_entity_without_a_dtd_is_malformed_xml() {
    let xml = format!("{UBL_OPEN}<cbc:ID>&lol9;</cbc:ID></Invoice>");
    assert!(matches!(parse(xml.as_bytes()), Err(Error::Xml(_))));
}

#[test]
fn oversize_input_is_refused_before_parsing() {
    let limits = Limits {
        max_input_bytes: 1024,
        ..Limits::default()
    };
    let big = format!("{UBL_OPEN}{}</Invoice>", " ".repeat(2048));
    assert!(matches!(
        parse_with(big.as_bytes(), &limits),
        Err(Error::TooLarge { limit: 1024, .. })
    ));
    let default_limit = Limits::default().max_input_bytes;
    assert_eq!(default_limit, 10 * 1024 * 1024);
    let huge = vec![b' '; default_limit + 1];
    let started = Instant::now();
    assert!(matches!(parse(&huge), Err(Error::TooLarge { .. })));
    assert_quick(started);
}

#[test]
fn over_deep_nesting_is_refused() {
    let depth = 100_000;
    let deep = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let started = Instant::now();
    assert_eq!(parse(deep.as_bytes()), Err(Error::TooDeep { limit: 64 }));
    assert_quick(started);
    let shallow = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    assert_eq!(
        parse_with(b"<a><b><c><d/></c></b></a>", &shallow),
        Err(Error::TooDeep { limit: 3 })
    );
}

#[test]
fn too_many_elements_are_refused() {
    let limits = Limits {
        max_elements: 100,
        ..Limits::default()
    };
    let wide = format!("{UBL_OPEN}{}</Invoice>", "<x/>".repeat(200));
    assert_eq!(
        parse_with(wide.as_bytes(), &limits),
        Err(Error::TooManyElements { limit: 100 })
    );
}

#[test]
fn empty_and_non_xml_input_are_errors() {
    assert_eq!(parse(b""), Err(Error::Empty));
    assert!(parse(b"hello").is_err());
    assert!(parse(&[0xff, 0xfe, 0x00]).is_err());
    assert!(matches!(parse(b"<a></b>"), Err(Error::Xml(_))));
    assert!(matches!(parse(b"<a/><b/>"), Err(Error::Xml(_))));
    assert!(matches!(parse(b"<Invoice/>"), Err(Error::Unsupported(_))));
}

#[test]
fn a_ubl_order_is_not_an_invoice() {
    let order = r#"<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>"#;
    assert!(matches!(
        parse(order.as_bytes()),
        Err(Error::NotAnInvoice(_))
    ));
}

#[test]
fn a_bad_amount_is_an_invalid_value_error_naming_the_business_term() {
    let xml = String::from_utf8(corpus::read("einvoice/cii/CII_example1.xml")).expect("utf-8");
    let broken = xml.replace(
        "<ram:GrandTotalAmount>250.33<",
        "<ram:GrandTotalAmount>250,33<",
    );
    match parse(broken.as_bytes()) {
        Err(Error::InvalidValue { field, value }) => {
            assert!(field.contains("BT-112"), "{field}");
            assert_eq!(value, "250,33");
        }
        other => panic!("expected InvalidValue, got {other:?}"),
    }
}

/// Every prefix up to 512 bytes (the declaration, the root and the first elements), then
/// about 400 evenly spaced cut points through the rest of each file.
#[test]
fn truncated_prefixes_of_every_corpus_file_never_panic() {
    for (name, bytes) in corpus::all_xml() {
        let step = (bytes.len() / 250).max(1);
        let cuts = (0..bytes.len().min(512)).chain((512..bytes.len()).step_by(step));
        for cut in cuts {
            let result = parse(&bytes[..cut]);
            assert!(
                result.is_err() || cut > bytes.len() / 2,
                "{name} cut at {cut} parsed"
            );
        }
    }
}
