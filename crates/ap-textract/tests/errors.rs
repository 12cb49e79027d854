//! The subprocess path fails with typed errors, never a panic, on bad input or a missing tool.

use std::path::PathBuf;

use ap_textract::{ExtractError, PdfToTextConfig, extract_pdf};
use proptest::prelude::*;

fn corpus_file(name: &str) -> Vec<u8> {
    let root = std::env::var("AP_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus"
            ))
        });
    std::fs::read(root.join("pdf").join(name)).expect("corpus file readable (set AP_CORPUS_DIR)")
}

/// A valid one-page PDF with no text drawn on it.
fn blank_pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn a_pdf_without_a_text_layer_is_reported_as_no_text_layer() {
    let err =
        extract_pdf(&blank_pdf(), &PdfToTextConfig::default()).expect_err("blank page has no text");
    assert!(matches!(err, ExtractError::NoTextLayer), "{err:?}");
}

#[test]
fn the_corpus_plain_pdf_has_no_text_layer() {
    let err = extract_pdf(&corpus_file("pdf_plain.pdf"), &PdfToTextConfig::default())
        .expect_err("no text");
    assert!(matches!(err, ExtractError::NoTextLayer), "{err:?}");
}

#[test]
fn the_corpus_invalid_pdf_is_reported_as_holding_no_invoice_data() {
    // It is a well-formed PDF whose only text is "Invalid PDF", so no invoice can be read.
    let err = extract_pdf(&corpus_file("pdf_invalid.pdf"), &PdfToTextConfig::default())
        .expect_err("not an invoice");
    assert!(matches!(err, ExtractError::NoInvoiceData), "{err:?}");
}

#[test]
fn a_missing_pdftotext_binary_is_reported_as_tool_missing() {
    let config = PdfToTextConfig {
        binary: PathBuf::from("/nonexistent/bin/pdftotext"),
        ..Default::default()
    };
    let err = extract_pdf(&blank_pdf(), &config).expect_err("tool missing");
    assert!(
        matches!(&err, ExtractError::ToolMissing(name) if name == "pdftotext"),
        "{err:?}"
    );
}

#[test]
fn garbage_bytes_are_reported_as_unreadable() {
    let err =
        extract_pdf(b"this is not a pdf at all", &PdfToTextConfig::default()).expect_err("garbage");
    assert!(matches!(err, ExtractError::Unreadable { .. }), "{err:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_bytes_give_a_typed_error_and_no_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let result = extract_pdf(&bytes, &PdfToTextConfig::default());
        prop_assert!(result.is_err());
    }
}
