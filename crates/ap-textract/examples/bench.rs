//! Throughput: PDFs per second through the full text path (pdftotext + parsing) over a folder of PDFs.

use std::path::PathBuf;
use std::time::Instant;

use ap_textract::{PdfToTextConfig, extract_pdf};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../../shared/corpus/pdf"));
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let pdfs: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .expect("readable directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .filter_map(|p| std::fs::read(p).ok())
        .collect();
    let config = PdfToTextConfig::default();
    let mut ok = 0usize;
    let start = Instant::now();
    for _ in 0..rounds {
        for pdf in &pdfs {
            ok += usize::from(extract_pdf(pdf, &config).is_ok());
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let n = rounds * pdfs.len();
    println!(
        "{n} PDFs ({ok} extracted) in {secs:.2} s: {:.1} PDFs/s on one thread",
        n as f64 / secs
    );
}
