//! Evaluation: runs the text path over hybrid PDFs in a folder and scores it against their embedded XML.

#[path = "../tests/support/compare.rs"]
mod compare;
#[path = "../tests/support/ground_truth.rs"]
pub mod ground_truth;

use std::path::PathBuf;

use ap_textract::{PdfToTextConfig, extract_pdf_file};

mod support {
    pub use super::ground_truth;
}

fn main() {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: eval DIR");
        std::process::exit(2);
    };
    let mut pdfs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("readable directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")))
        .collect();
    pdfs.sort();
    let config = PdfToTextConfig::default();
    let mut correct = [0usize; 12];
    let mut present = [0usize; 12];
    let (mut invoices, mut all_right) = (0, 0);
    for pdf in &pdfs {
        let Some(xml) = ground_truth::embedded_xml(pdf) else {
            continue;
        };
        let truth = ground_truth::parse(&xml);
        invoices += 1;
        let name = pdf
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let fields = match extract_pdf_file(pdf, &config) {
            Ok(x) => x.fields,
            Err(e) => {
                println!("{name}: error: {e}");
                Default::default()
            }
        };
        let mut every = true;
        let mut misses = Vec::new();
        for (i, (field, outcome)) in compare::compare(&fields, &truth).into_iter().enumerate() {
            if let Some(ok) = outcome {
                present[i] += 1;
                correct[i] += usize::from(ok);
                every &= ok;
                if !ok {
                    misses.push(field);
                }
            }
        }
        all_right += usize::from(every);
        println!(
            "{name}: {}",
            if misses.is_empty() {
                "all present fields right".to_string()
            } else {
                format!("wrong/missing: {}", misses.join(", "))
            }
        );
    }
    println!();
    println!("| field | correct / in ground truth | accuracy |");
    println!("|---|---|---|");
    for (i, field) in compare::FIELD_NAMES.iter().enumerate() {
        let acc = if present[i] == 0 {
            "n/a".to_string()
        } else {
            format!("{:.0} %", 100.0 * correct[i] as f64 / present[i] as f64)
        };
        println!("| {field} | {} / {} | {acc} |", correct[i], present[i]);
    }
    let share = if invoices == 0 {
        0.0
    } else {
        100.0 * all_right as f64 / invoices as f64
    };
    println!(
        "\ninvoices with ground truth: {invoices}; every header field right: {all_right} ({share:.0} %)"
    );
}
