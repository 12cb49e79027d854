//! Hybrid PDFs: the embedded Factur-X / ZUGFeRD / XRechnung XML is found and parsed.

#[path = "support/corpus.rs"]
mod corpus;

use ap_einvoice::{Error, check_totals, extract_embedded_xml, parse};

const HYBRIDS: [(&str, &str, &str); 6] = [
    ("facturx_invoice_EN16931.pdf", "factur-x.xml", "F20260023"),
    ("pdf_fx_minimum_1.pdf", "factur-x.xml", "F20220027"),
    ("pdf_zf_en16931_1.pdf", "factur-x.xml", "471102"),
    ("pdf_zf_en16931_3.pdf", "factur-x.xml", "471102"),
    ("pdf_zf_extended_1.pdf", "factur-x.xml", "KR87654321012"),
    ("pdf_zf_xrechnung_1.pdf", "xrechnung.xml", "471102"),
];

#[test]
fn every_hybrid_pdf_yields_its_embedded_xml_and_parses() {
    for (file, attachment, number) in HYBRIDS {
        let pdf = corpus::read(&format!("pdf/{file}"));
        let found = extract_embedded_xml(&pdf)
            .expect(file)
            .unwrap_or_else(|| panic!("{file}: no xml"));
        assert_eq!(found.filename.as_deref(), Some(attachment), "{file}");
        let from_xml = ap_einvoice::parse_xml(&found.xml).expect(file);
        let from_pdf = parse(&pdf).expect(file);
        assert_eq!(from_pdf, from_xml, "{file}");
        assert_eq!(from_pdf.number, number, "{file}");
    }
}

#[test]
fn the_xml_is_chosen_over_the_delivery_note_pdf_attachment() {
    let pdf = corpus::read("pdf/facturx_invoice_EN16931.pdf");
    let found = extract_embedded_xml(&pdf)
        .expect("readable")
        .expect("xml present");
    assert_eq!(found.filename.as_deref(), Some("factur-x.xml"));
    let xml = found
        .xml
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&found.xml);
    assert!(
        xml.starts_with(b"<?xml"),
        "{:?}",
        String::from_utf8_lossy(&xml[..40])
    );
    // The attached XML is the Factur-X EN 16931 fixture found in the XML corpus as well.
    let pdf_invoice = parse(&pdf).expect("parses");
    let xml_invoice =
        parse(&corpus::read("einvoice/facturx-xml/factur-x-en16931.xml")).expect("parses");
    assert_eq!(pdf_invoice, xml_invoice);
}

#[test]
fn hybrid_totals_add_up_except_the_documented_minimum_sample() {
    for (file, _, _) in HYBRIDS {
        let invoice = parse(&corpus::read(&format!("pdf/{file}"))).expect(file);
        let rules: Vec<&str> = check_totals(&invoice).iter().map(|i| i.rule).collect();
        // pdf_fx_minimum_1.pdf states GrandTotalAmount 110.00 and DuePayableAmount 100.00 with
        // no prepaid or rounding amount: a genuine BR-CO-16 violation in the sample.
        let expected: &[&str] = if file == "pdf_fx_minimum_1.pdf" {
            &["BR-CO-16"]
        } else {
            &[]
        };
        assert_eq!(rules, expected, "{file}");
    }
}

#[test]
fn a_plain_pdf_has_no_embedded_xml() {
    let pdf = corpus::read("pdf/pdf_plain.pdf");
    assert_eq!(extract_embedded_xml(&pdf), Ok(None));
    assert_eq!(parse(&pdf), Err(Error::NoEmbeddedXml));
}

/// `pdf_invalid.pdf` is a well-formed PDF/A-1 page without any attachment: it is an invalid
/// *hybrid invoice*, not an unreadable PDF. Extraction reports that no XML is present, and
/// parsing it as an invoice is an error.
#[test]
fn the_invalid_hybrid_pdf_is_an_error_when_parsed_as_an_invoice() {
    let pdf = corpus::read("pdf/pdf_invalid.pdf");
    assert_eq!(extract_embedded_xml(&pdf), Ok(None));
    assert_eq!(parse(&pdf), Err(Error::NoEmbeddedXml));
}

#[test]
fn a_corrupt_pdf_is_an_error_not_a_panic() {
    let mut garbage = b"%PDF-1.7\n".to_vec();
    garbage.extend(std::iter::repeat_n(b'x', 4096));
    assert!(matches!(extract_embedded_xml(&garbage), Err(Error::Pdf(_))));
    assert!(matches!(parse(b"%PDF-"), Err(Error::Pdf(_))));
}

#[test]
fn truncated_and_damaged_pdfs_never_panic() {
    for (name, pdf) in corpus::all_pdf() {
        let step = (pdf.len() / 60).max(1);
        for cut in (0..pdf.len()).step_by(step) {
            let _ = parse(&pdf[..cut]);
        }
        // Flip bytes in the tail, where the xref table and the attachments live.
        let mut damaged = pdf.clone();
        let len = damaged.len();
        for i in (len.saturating_sub(2000)..len).step_by(97) {
            damaged[i] ^= 0x5a;
        }
        let _ = parse(&damaged);
        let _ = name;
    }
}
