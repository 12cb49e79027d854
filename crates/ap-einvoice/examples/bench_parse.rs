//! Throughput benchmark: parses every corpus e-invoice (XML and hybrid PDF) N times on one thread.
//!
//! Usage: `AP_CORPUS_DIR=/path/to/corpus cargo run --release --example bench_parse -- [rounds]`

use std::path::PathBuf;
use std::time::Instant;

fn corpus_dir() -> PathBuf {
    std::env::var_os("AP_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20);
    let dir = corpus_dir();
    let mut xml = Vec::new();
    let mut pdf = Vec::new();
    for sub in [
        "einvoice/ubl",
        "einvoice/cii",
        "einvoice/peppol",
        "einvoice/facturx-xml",
        "pdf",
    ] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path)?;
            let verdict = ap_einvoice::parse(&bytes);
            match &verdict {
                Ok(inv) => {
                    let issues = ap_einvoice::check_totals(inv);
                    let rules: Vec<&str> = issues.iter().map(|i| i.rule).collect();
                    println!(
                        "ok   {:<45} {:<12} lines={:<3} issues={rules:?}",
                        rel(&path),
                        inv.number,
                        inv.lines.len()
                    );
                    if sub == "pdf" {
                        pdf.push(bytes)
                    } else {
                        xml.push(bytes)
                    }
                }
                Err(e) => println!("err  {:<45} {e}", rel(&path)),
            }
        }
    }
    for (label, docs) in [("xml", &xml), ("pdf", &pdf)] {
        let start = Instant::now();
        let mut parsed = 0usize;
        for _ in 0..rounds {
            for doc in docs.iter() {
                if ap_einvoice::parse(doc).is_ok() {
                    parsed += 1;
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{label}: {parsed} documents in {secs:.3} s = {:.0} invoices/s on one thread ({} files x {rounds} rounds)",
            parsed as f64 / secs,
            docs.len()
        );
    }
    Ok(())
}

fn rel(path: &std::path::Path) -> String {
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{parent}/{name}")
}
