//! Cross-checks generated NACHA files with an independent implementation (the PyPI
//! package achkit, installed by tests/independent/install.sh): it must parse and
//! validate them and agree on entry counts and credit totals.

#[path = "helpers/fixtures.rs"]
mod fixtures;

use std::path::Path;
use std::process::Command;

use ap_bankfile::{AchFileSpec, LineEnding, SecCode, write_ach};
use fixtures::*;
use serde_json::Value;

const INSTALL: &str = "bash tests/independent/install.sh";

fn independent_available() -> bool {
    Command::new("python3")
        .args(["-c", "import achkit"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn independent_report(name: &str, text: &str) -> Value {
    let dir = std::env::temp_dir().join(format!("ap-bankfile-independent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("valid test input");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("valid test input");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/independent/ach_totals.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&path)
        .output()
        .expect("valid test input");
    assert!(
        out.status.success(),
        "independent parser failed on {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid test input")
}

fn check_agreement(name: &str, spec: &AchFileSpec) {
    if !require_tool(
        independent_available(),
        "the independent NACHA parser (python3 + achkit)",
        "AP_SKIP_INDEPENDENT_ACH",
        INSTALL,
    ) {
        return;
    }
    let text = write_ach(spec).expect("valid test input");
    let report = independent_report(name, &text);
    let credits: Vec<_> = spec.batches.iter().flat_map(|b| &b.credits).collect();
    let scaled: u64 = credits
        .iter()
        .map(|c| {
            let mut a = c.amount * rust_decimal::Decimal::ONE_HUNDRED;
            a.rescale(0);
            u64::try_from(a.mantissa()).expect("valid test input")
        })
        .sum();
    assert_eq!(
        report["ok"],
        Value::Bool(true),
        "{name}: independent validator found errors: {report}"
    );
    assert_eq!(
        report["entry_count"].as_u64(),
        Some(credits.len() as u64),
        "{name}: {report}"
    );
    assert_eq!(
        report["total_credit_cents"].as_u64(),
        Some(scaled),
        "{name}: {report}"
    );
    assert_eq!(
        report["control_total_credit_cents"].as_u64(),
        Some(scaled),
        "{name}: {report}"
    );
    assert_eq!(
        report["total_debit_cents"].as_u64(),
        Some(0),
        "{name}: {report}"
    );
    assert_eq!(
        report["batch_count"].as_u64(),
        Some(spec.batches.len() as u64),
        "{name}: {report}"
    );
}

#[test]
fn independent_parser_agrees_on_the_three_credit_file() {
    check_agreement("three.ach", &three_credit_file());
}

#[test]
fn independent_parser_agrees_on_a_multi_batch_crlf_file_with_ctx_and_ccd() {
    let many: Vec<_> = (1..=37)
        .map(|i| {
            credit(
                &format!("Vendor {i}"),
                "026009593",
                &format!("{i:08}"),
                &format!("{i}.{:02}", i % 100),
                &format!("INV-{i}"),
            )
        })
        .collect();
    let mut ctx = batch(vec![credit(
        "CTX Vendor",
        "011000015",
        "555",
        "99999999.99",
        "ISA*00*",
    )]);
    ctx.sec_code = SecCode::Ctx;
    let mut spec = file(vec![
        batch(many),
        ctx,
        batch(vec![credit("Solo", "021000021", "1", "0.01", "")]),
    ]);
    spec.line_ending = LineEnding::CrLf;
    check_agreement("multi.ach", &spec);
}

#[test]
fn independent_parser_agrees_on_a_large_file_whose_entry_hash_wraps() {
    let check = ap_bankfile::routing::aba_check_digit("72000000").expect("valid test input");
    let rn = format!("72000000{check}");
    let credits = (1..=400)
        .map(|i| credit("V", &rn, "1", &format!("{i}.00"), ""))
        .collect();
    check_agreement("large.ach", &file(vec![batch(credits)]));
}

#[test]
fn independent_parser_flags_a_tampered_total_so_the_comparison_is_meaningful() {
    if !require_tool(
        independent_available(),
        "the independent NACHA parser (python3 + achkit)",
        "AP_SKIP_INDEPENDENT_ACH",
        INSTALL,
    ) {
        return;
    }
    let text = write_ach(&three_credit_file()).expect("valid test input");
    let tampered = text.replacen("000000148457", "000000148458", 1);
    assert_ne!(tampered, text);
    let report = independent_report("tampered.ach", &tampered);
    assert_eq!(report["ok"], Value::Bool(false), "{report}");
}
