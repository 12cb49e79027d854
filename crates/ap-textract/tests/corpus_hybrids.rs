//! Each hybrid PDF of the corpus, read through the text path, matches its embedded XML on the core fields.

#[path = "support/ground_truth.rs"]
mod ground_truth;

use std::path::PathBuf;

use ap_textract::{PdfToTextConfig, extract_pdf_file};

fn corpus_pdfs() -> Vec<PathBuf> {
    let root = std::env::var("AP_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus"
            ))
        });
    let mut pdfs: Vec<PathBuf> = std::fs::read_dir(root.join("pdf"))
        .expect("corpus/pdf exists (set AP_CORPUS_DIR)")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    pdfs.sort();
    pdfs
}

#[test]
fn every_corpus_hybrid_matches_its_xml_on_number_date_currency_and_total() {
    let mut checked = 0;
    for pdf in corpus_pdfs() {
        let Some(xml) = ground_truth::embedded_xml(&pdf) else {
            continue;
        };
        let truth = ground_truth::parse(&xml);
        let x = extract_pdf_file(&pdf, &PdfToTextConfig::default())
            .expect("hybrid has a text layer")
            .fields;
        let name = pdf.display();
        assert_eq!(
            x.invoice_number.map(|f| f.value.trim().to_string()),
            truth.invoice_number,
            "{name}: number"
        );
        assert_eq!(
            x.invoice_date.map(|f| f.value),
            truth.invoice_date,
            "{name}: issue date"
        );
        assert_eq!(
            x.currency.map(|f| f.value),
            truth.currency,
            "{name}: currency"
        );
        assert_eq!(x.total.map(|f| f.value), truth.total, "{name}: total");
        checked += 1;
    }
    assert!(
        checked >= 6,
        "expected the corpus hybrids, checked {checked}"
    );
}
