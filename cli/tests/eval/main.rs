//! `apctl extract eval` as an operator runs it: the real binary over the shared corpus.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The shared corpus: `AP_CORPUS_DIR`, else `../shared/corpus` beside the checkout.
fn corpus_root() -> String {
    std::env::var("AP_CORPUS_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus").to_owned())
}

fn apctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apctl"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .expect("run apctl")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json report")
}

fn corpus(sub: &str) -> String {
    format!("{}/{sub}", corpus_root())
}

fn field<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["field"] == name)
        .unwrap_or_else(|| panic!("field {name} in report"))
}

fn skipped_files(report: &Value) -> Vec<(String, String)> {
    report["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| {
            (
                s["file"].as_str().expect("file").to_string(),
                s["reason"].as_str().expect("reason").to_string(),
            )
        })
        .collect()
}

#[test]
fn text_eval_over_the_corpus_pdfs_scores_every_hybrid_and_skips_the_rest_with_a_reason() {
    let report = json(&apctl(&[
        "extract",
        "eval",
        &corpus("pdf"),
        "--format",
        "json",
    ]));
    assert_eq!(report["mode"], "text");
    let invoices = report["invoices"].as_array().expect("invoices");
    assert_eq!(
        invoices.len(),
        6,
        "every hybrid pdf is evaluated: {invoices:#?}"
    );
    for inv in invoices {
        assert_eq!(
            inv["fields"].as_array().expect("fields").len(),
            12,
            "{inv:#?}"
        );
    }
    let skipped = skipped_files(&report);
    for name in ["pdf_plain.pdf", "pdf_invalid.pdf"] {
        let (_, reason) = skipped
            .iter()
            .find(|(f, _)| f == name)
            .unwrap_or_else(|| panic!("{name} skipped: {skipped:?}"));
        assert!(!reason.is_empty());
    }
    assert_eq!(report["summary"]["invoices"], 6);

    for name in ["invoice_number", "invoice_date", "currency", "total"] {
        let f = field(&report, name);
        assert_eq!(f["present"], 6, "{name}: {f}");
        let accuracy = f["accuracy"].as_f64().expect("accuracy");
        assert!(accuracy >= 95.0, "{name}: {f}");
        let (c, w, m) = (&f["correct"], &f["wrong"], &f["missed"]);
        let sum = c.as_u64().unwrap_or(0) + w.as_u64().unwrap_or(0) + m.as_u64().unwrap_or(0);
        assert_eq!(sum, 6, "correct + wrong + missed = present: {f}");
    }
    let all_right = report["summary"]["all_header_fields_right"]
        .as_u64()
        .expect("count");
    assert_eq!(
        all_right as usize,
        invoices
            .iter()
            .filter(|i| i["all_header_fields_right"] == true)
            .count()
    );
}

#[test]
fn text_eval_prints_the_table_summary_and_legend() {
    let out = apctl(&["extract", "eval", &corpus("pdf")]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for needle in [
        "accuracy",
        "invoice_number",
        "seller_vat_id",
        "all-header-fields-right:",
        "pdf_plain.pdf:",
        "legend:",
        "normalisation",
    ] {
        assert!(text.contains(needle), "{needle} missing in:\n{text}");
    }
}

#[test]
fn xml_eval_over_the_corpus_parses_every_invoice_and_compares_the_ubl_cii_pairs() {
    let dir = corpus("einvoice");
    let report = json(&apctl(&[
        "extract", "eval", &dir, "--xml", "--format", "json",
    ]));
    let summary = &report["summary"];
    let failed: Vec<&Value> = report["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .filter(|d| d["status"] == "failed")
        .collect();
    assert!(failed.is_empty(), "parse failures: {failed:#?}");
    assert_eq!(summary["failed"], 0);
    assert!(
        summary["parsed"].as_u64().expect("parsed") >= 40,
        "{summary}"
    );
    assert!(
        summary["pairs_compared"].as_u64().expect("pairs") >= 8,
        "{summary}"
    );
    // Order-X files are recognised and reported as not an invoice, not as failures.
    let not_invoices: Vec<&str> = report["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .filter(|d| d["status"] == "not_an_invoice")
        .filter_map(|d| d["file"].as_str())
        .collect();
    assert!(
        not_invoices.iter().any(|f| f.contains("order-x")),
        "{not_invoices:?}"
    );
    // Example 9 differs in the due date only (besides units); the report shows it.
    let pair9 = report["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .find(|p| p["example"] == 9)
        .expect("pair 9");
    assert!(
        pair9["differences"]
            .as_array()
            .expect("differences")
            .iter()
            .any(|d| d["field"] == ".due_date" && d["known"].is_string()),
        "{pair9:#}"
    );

    let out = apctl(&["extract", "eval", &dir, "--xml"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.contains(" parsed, ") && l.ends_with(" pairs identical"))
        .unwrap_or_else(|| panic!("summary line in:\n{text}"));
    assert!(line.contains(" 0 failed, "), "{line}");
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "apctl-eval-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn broken_and_foreign_files_are_reported_without_aborting_either_mode() {
    let dir = TempDir::new("broken");
    let d = dir.path();
    std::fs::write(d.join("broken.pdf"), b"%PDF-1.7\n1 0 obj <<garbage").expect("write");
    std::fs::write(d.join("notes.txt"), b"not a pdf at all").expect("write");
    std::fs::write(d.join("broken.xml"), b"<Invoice><unclosed>").expect("write");
    std::fs::copy(
        corpus("pdf/pdf_zf_en16931_1.pdf"),
        d.join("pdf_zf_en16931_1.pdf"),
    )
    .expect("copy a hybrid");
    let ds = d.to_string_lossy().to_string();

    let report = json(&apctl(&["extract", "eval", &ds, "--format", "json"]));
    assert_eq!(report["summary"]["invoices"], 1, "{report:#}");
    let skipped = skipped_files(&report);
    for name in ["broken.pdf", "notes.txt", "broken.xml"] {
        assert!(
            skipped.iter().any(|(f, r)| f == name && !r.is_empty()),
            "{name} in {skipped:?}"
        );
    }

    let report = json(&apctl(&[
        "extract", "eval", &ds, "--xml", "--format", "json",
    ]));
    assert_eq!(report["summary"]["parsed"], 1, "{report:#}");
    assert_eq!(
        report["summary"]["failed"], 1,
        "broken.xml fails: {report:#}"
    );
    assert!(
        skipped_files(&report)
            .iter()
            .any(|(f, _)| f == "broken.pdf"),
        "{report:#}"
    );
}

#[test]
fn a_missing_directory_or_a_bad_flag_is_a_usage_error() {
    let out = apctl(&["extract", "eval", "/nonexistent/apctl-eval-dir"]);
    assert_eq!(out.status.code(), Some(2));
    let out = apctl(&["extract", "eval", &corpus("pdf"), "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
}
