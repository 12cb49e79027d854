//! XML mode (`--xml`): parses every e-invoice under DIR, checks the EN 16931 sum rules, and
//! compares the official UBL/CII example pairs field by field.
//!
//! Decisions:
//! - Inputs are `*.xml` files (any case of the extension) and PDFs (by extension or header);
//!   a PDF contributes its embedded XML. Other files are counted as ignored.
//! - A document the parser recognises but refuses as no invoice (`Error::NotAnInvoice`:
//!   Order-X and UBL orders) is reported as "not an invoice", not as a failure. Every other
//!   parse error (malformed XML, unknown root, missing required term) is a failure.
//! - PDFs without an embedded XML, or that cannot be read, are listed as skipped.
//! - Pairs are `ubl-tc434-exampleN.xml` ↔ `CII_exampleN.xml` found anywhere under DIR (the
//!   first match in path order when a name repeats). Both canonical invoices are serialised and
//!   compared value by value; decimals compare numerically (`800.00` = `800`). Every difference
//!   is printed and makes the pair non-identical; differences the official files are known to
//!   contain (see `crates/ap-einvoice/tests/syntax_equivalence.rs`) carry that explanation,
//!   the rest are marked unexplained.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ap_einvoice::{DocumentKind, Invoice, Syntax, TotalsIssue};
use serde_json::{Value, json};

use super::{Report, display_path, has_extension, looks_like_pdf};

/// Sub-directories deeper than this are not walked (guards against pathological trees).
const MAX_DEPTH: usize = 32;

/// Applies to every example pair.
const ANY: u32 = 0;

/// Differences the official EN 16931 example pairs genuinely contain, by example number and
/// field path (`[*]` stands for any index; a path also covers everything below it). Verified
/// by reading both files; kept in step with `crates/ap-einvoice/tests/syntax_equivalence.rs`.
const KNOWN_DIFFERENCES: &[(u32, &str, &str)] = &[
    (
        ANY,
        ".lines[*].unit_code",
        "UBL writes EA (or KW) where CII writes H87/C62 (or KWT)",
    ),
    (
        ANY,
        ".lines[*].price_base_quantity",
        "several CII files put unrelated figures in BT-149 where UBL states 1 or 12",
    ),
    (
        1,
        ".lines[*].name",
        "the UBL file has typos in two item names",
    ),
    (
        1,
        ".notes[*]",
        "the UBL note ends with \"##Delivery terms\", the CII note does not",
    ),
    (
        1,
        ".payee_accounts",
        "UBL gives a second account; CII repeats the first one",
    ),
    (
        2,
        ".lines[*].quantity",
        "line 1 quantity: UBL 2, CII 1, with the same line amount",
    ),
    (
        2,
        ".lines[*].order_line_reference",
        "only CII references an order line on line 5",
    ),
    (
        2,
        ".allowances_charges[*].reason_code",
        "allowance reason code: UBL 88, CII 95",
    ),
    (
        3,
        ".lines",
        "CII example 3 has one line where UBL has two, so lines, VAT and totals differ",
    ),
    (
        3,
        ".vat_breakdown",
        "CII example 3 has one line where UBL has two, so lines, VAT and totals differ",
    ),
    (
        3,
        ".totals",
        "CII example 3 has one line where UBL has two, so lines, VAT and totals differ",
    ),
    (
        3,
        ".allowances_charges[*].reason_code",
        "only CII gives the freight charge a reason code (FC)",
    ),
    (
        3,
        ".buyer.vat_id",
        "the CII buyer states neither a VAT id nor a legal registration id",
    ),
    (
        3,
        ".buyer.legal_registration_id",
        "the CII buyer states neither a VAT id nor a legal registration id",
    ),
    (
        4,
        ".seller.email",
        "seller contact email differs between the two files",
    ),
    (
        5,
        ".allowances_charges[*].reason_code",
        "allowance reason codes differ between the files",
    ),
    (
        5,
        ".notes[*]",
        "the UBL note ends with \"#Ordering information\"",
    ),
    (
        5,
        ".payment_means_code",
        "UBL pays by direct debit (49), CII by credit transfer (58)",
    ),
    (
        5,
        ".payee_accounts",
        "UBL states the payer's mandate account, CII payee accounts",
    ),
    (
        7,
        ".issue_date",
        "issue date: UBL 2013-03-11, CII 2013-05-13",
    ),
    (
        7,
        ".totals.vat_total",
        "UBL states a VAT total of 0.00; the CII summation omits it",
    ),
    (9, ".due_date", "due date: UBL 2015-04-14, CII 2015-04-15"),
];

fn known_difference(example: u32, collapsed: &str) -> Option<&'static str> {
    KNOWN_DIFFERENCES.iter().find_map(|(n, path, note)| {
        let covers = collapsed == *path
            || collapsed
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['));
        ((*n == ANY || *n == example) && covers).then_some(*note)
    })
}

enum Status {
    Parsed {
        syntax: Option<Syntax>,
        invoice: Box<Invoice>,
        issues: Vec<TotalsIssue>,
    },
    NotAnInvoice(String),
    Failed(String),
}

struct Doc {
    /// Path relative to DIR; for a PDF, `file.pdf#attachment.xml`.
    label: String,
    path: PathBuf,
    status: Status,
}

struct Skipped {
    file: String,
    reason: String,
}

struct Difference {
    path: String,
    collapsed: String,
    ubl: Value,
    cii: Value,
    known: Option<&'static str>,
}

struct Pair {
    example: u32,
    ubl: String,
    cii: String,
    /// `None` when both parsed; otherwise why the pair was not compared.
    not_compared: Option<String>,
    differences: Vec<Difference>,
}

fn walk_files(
    dir: &Path,
    depth: usize,
    files: &mut Vec<PathBuf>,
    skipped: &mut Vec<Skipped>,
    root: &Path,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            skipped.push(Skipped {
                file: display_path(root, dir),
                reason: format!("cannot list directory: {e}"),
            });
            return;
        }
    };
    for entry in entries {
        let Ok(entry) = entry else { continue };
        let path = entry.path();
        // `file_type` does not follow symlinks, so a symlinked directory cannot loop the walk.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if depth < MAX_DEPTH {
                walk_files(&path, depth + 1, files, skipped, root);
            }
        } else if path.is_file() {
            files.push(path);
        }
    }
}

fn parse_bytes(xml: &[u8]) -> Status {
    match ap_einvoice::parse_xml(xml) {
        Ok(invoice) => Status::Parsed {
            syntax: ap_einvoice::detect_syntax(xml).ok(),
            issues: ap_einvoice::check_totals(&invoice),
            invoice: Box::new(invoice),
        },
        Err(ap_einvoice::Error::NotAnInvoice(what)) => Status::NotAnInvoice(what),
        Err(e) => Status::Failed(e.to_string()),
    }
}

/// `N` of `ubl-tc434-exampleN.xml` or `CII_exampleN.xml`, with which side it is.
fn example_number(path: &Path) -> Option<(bool, u32)> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let stem = name.strip_suffix(".xml")?;
    let (is_ubl, digits) = if let Some(d) = stem.strip_prefix("ubl-tc434-example") {
        (true, d)
    } else {
        (false, stem.strip_prefix("cii_example")?)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((is_ubl, digits.parse().ok()?))
}

pub(super) fn run(dir: &Path) -> Result<Report, String> {
    std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    walk_files(dir, 0, &mut files, &mut skipped, dir);
    files.sort();

    let mut docs = Vec::new();
    let mut ignored = 0usize;
    for path in files {
        let rel = display_path(dir, &path);
        let is_xml = has_extension(&path, "xml");
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                skipped.push(Skipped {
                    file: rel,
                    reason: format!("cannot read file: {e}"),
                });
                continue;
            }
        };
        if is_xml {
            docs.push(Doc {
                label: rel,
                status: parse_bytes(&bytes),
                path,
            });
        } else if has_extension(&path, "pdf") || looks_like_pdf(&bytes) {
            match ap_einvoice::extract_embedded_xml(&bytes) {
                Ok(Some(embedded)) => docs.push(Doc {
                    label: format!(
                        "{rel}#{}",
                        embedded.filename.as_deref().unwrap_or("embedded.xml")
                    ),
                    status: parse_bytes(&embedded.xml),
                    path,
                }),
                Ok(None) => skipped.push(Skipped {
                    file: rel,
                    reason: "pdf carries no embedded e-invoice xml".into(),
                }),
                Err(e) => skipped.push(Skipped {
                    file: rel,
                    reason: format!("unreadable pdf: {e}"),
                }),
            }
        } else {
            ignored += 1;
        }
    }

    let pairs = compare_pairs(dir, &docs);
    Ok(Report {
        text: render_text(dir, &docs, &skipped, &pairs, ignored),
        json: render_json(dir, &docs, &skipped, &pairs, ignored),
    })
}

fn compare_pairs(dir: &Path, docs: &[Doc]) -> Vec<Pair> {
    // example number -> (ubl, cii); the first file in path order wins.
    let mut sides: BTreeMap<u32, (Option<&Doc>, Option<&Doc>)> = BTreeMap::new();
    for doc in docs {
        if !has_extension(&doc.path, "xml") {
            continue;
        }
        let Some((is_ubl, n)) = example_number(&doc.path) else {
            continue;
        };
        let slot = sides.entry(n).or_default();
        let side = if is_ubl { &mut slot.0 } else { &mut slot.1 };
        side.get_or_insert(doc);
    }
    let mut pairs = Vec::new();
    for (example, (ubl, cii)) in sides {
        let (Some(ubl), Some(cii)) = (ubl, cii) else {
            continue;
        };
        let mut pair = Pair {
            example,
            ubl: display_path(dir, &ubl.path),
            cii: display_path(dir, &cii.path),
            not_compared: None,
            differences: Vec::new(),
        };
        match (&ubl.status, &cii.status) {
            (Status::Parsed { invoice: a, .. }, Status::Parsed { invoice: b, .. }) => {
                match (
                    serde_json::to_value(a.as_ref()),
                    serde_json::to_value(b.as_ref()),
                ) {
                    (Ok(a), Ok(b)) => {
                        let mut out = Vec::new();
                        walk("", "", &a, &b, &mut out);
                        for d in &mut out {
                            d.known = known_difference(example, &d.collapsed);
                        }
                        pair.differences = out;
                    }
                    _ => pair.not_compared = Some("cannot serialise the canonical invoices".into()),
                }
            }
            _ => pair.not_compared = Some("one side did not parse as an invoice".into()),
        }
        pairs.push(pair);
    }
    pairs
}

/// Collects the leaf paths where `a` (UBL) and `b` (CII) differ. Arrays of equal length are
/// compared item by item; arrays of different length differ as a whole.
fn walk(path: &str, collapsed: &str, a: &Value, b: &Value, out: &mut Vec<Difference>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                walk(
                    &format!("{path}.{key}"),
                    &format!("{collapsed}.{key}"),
                    x.get(key.as_str()).unwrap_or(&Value::Null),
                    y.get(key.as_str()).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                walk(
                    &format!("{path}[{i}]"),
                    &format!("{collapsed}[*]"),
                    v,
                    w,
                    out,
                );
            }
        }
        (Value::String(x), Value::String(y)) if same_decimal(x, y) => {}
        _ if a == b => {}
        _ => out.push(Difference {
            path: path.to_owned(),
            collapsed: collapsed.to_owned(),
            ubl: a.clone(),
            cii: b.clone(),
            known: None,
        }),
    }
}

/// Decimals are serialised as strings; `800.00` and `800` are the same amount.
fn same_decimal(x: &str, y: &str) -> bool {
    matches!(
        (x.parse::<rust_decimal::Decimal>(), y.parse::<rust_decimal::Decimal>()),
        (Ok(m), Ok(n)) if m == n
    )
}

fn short(v: &Value) -> String {
    match v {
        Value::Null => "(absent)".into(),
        Value::Array(a) => format!("[{} items]", a.len()),
        Value::Object(_) => "{...}".into(),
        Value::String(s) => {
            let cut: String = s.chars().take(60).collect();
            if cut.len() < s.len() {
                format!("{cut:?}...")
            } else {
                format!("{s:?}")
            }
        }
        other => other.to_string(),
    }
}

fn syntax_name(s: Option<Syntax>) -> &'static str {
    match s {
        Some(Syntax::Ubl) => "UBL",
        Some(Syntax::Cii) => "CII",
        Some(Syntax::Zugferd1) => "ZUGFeRD 1",
        None => "?",
    }
}

struct Counts {
    parsed: usize,
    failed: usize,
    not_invoice: usize,
    issues: usize,
    compared: usize,
    identical: usize,
    unexplained: usize,
}

fn counts(docs: &[Doc], pairs: &[Pair]) -> Counts {
    let mut c = Counts {
        parsed: 0,
        failed: 0,
        not_invoice: 0,
        issues: 0,
        compared: 0,
        identical: 0,
        unexplained: 0,
    };
    for d in docs {
        match &d.status {
            Status::Parsed { issues, .. } => {
                c.parsed += 1;
                c.issues += issues.len();
            }
            Status::NotAnInvoice(_) => c.not_invoice += 1,
            Status::Failed(_) => c.failed += 1,
        }
    }
    for p in pairs.iter().filter(|p| p.not_compared.is_none()) {
        c.compared += 1;
        c.identical += usize::from(p.differences.is_empty());
        c.unexplained += p.differences.iter().filter(|d| d.known.is_none()).count();
    }
    c
}

fn render_text(
    dir: &Path,
    docs: &[Doc],
    skipped: &[Skipped],
    pairs: &[Pair],
    ignored: usize,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "extract eval --xml {}: e-invoice parsing, sum rules, UBL/CII pairs\n",
        dir.display()
    );
    let _ = writeln!(out, "documents ({}):", docs.len());
    for d in docs {
        match &d.status {
            Status::Parsed {
                syntax,
                invoice,
                issues,
            } => {
                let kind = match invoice.kind {
                    DocumentKind::Invoice => "invoice",
                    DocumentKind::CreditNote => "credit note",
                };
                let _ = write!(
                    out,
                    "  {}: ok, {} {kind} {:?}",
                    d.label,
                    syntax_name(*syntax),
                    invoice.number
                );
                if issues.is_empty() {
                    let _ = writeln!(out);
                } else {
                    let _ = writeln!(out, ", {} sum-rule issue(s):", issues.len());
                    for i in issues {
                        let _ = writeln!(
                            out,
                            "      {} {}: stated {}, computed {}",
                            i.rule, i.description, i.stated, i.computed
                        );
                    }
                }
            }
            Status::NotAnInvoice(what) => {
                let _ = writeln!(out, "  {}: not an invoice ({what})", d.label);
            }
            Status::Failed(e) => {
                let _ = writeln!(out, "  {}: FAILED: {e}", d.label);
            }
        }
    }
    if !skipped.is_empty() {
        let _ = writeln!(out, "\nskipped ({}):", skipped.len());
        for s in skipped {
            let _ = writeln!(out, "  {}: {}", s.file, s.reason);
        }
    }
    let _ = writeln!(out, "\nUBL/CII pairs ({}):", pairs.len());
    for p in pairs {
        let _ = write!(out, "  example {}: {} <-> {}: ", p.example, p.ubl, p.cii);
        if let Some(why) = &p.not_compared {
            let _ = writeln!(out, "not compared: {why}");
            continue;
        }
        if p.differences.is_empty() {
            let _ = writeln!(out, "identical");
            continue;
        }
        // Group by collapsed path: one line per field, with the first differing values.
        let mut groups: Vec<(&str, Vec<&Difference>)> = Vec::new();
        for d in &p.differences {
            match groups.iter_mut().find(|(k, _)| *k == d.collapsed) {
                Some((_, v)) => v.push(d),
                None => groups.push((&d.collapsed, vec![d])),
            }
        }
        let _ = writeln!(out, "{} field(s) differ", groups.len());
        for (field, ds) in groups {
            let first = ds[0];
            let places = if ds.len() > 1 {
                format!(" ({} places)", ds.len())
            } else {
                String::new()
            };
            let note = first
                .known
                .map_or_else(|| "UNEXPLAINED".to_string(), |n| format!("known: {n}"));
            let _ = writeln!(
                out,
                "      {field}{places}: ubl {} / cii {} at {} [{note}]",
                short(&first.ubl),
                short(&first.cii),
                first.path
            );
        }
    }
    let c = counts(docs, pairs);
    let _ = writeln!(
        out,
        "\n{} parsed, {} failed, {} sum-rule issues, {} pairs compared, {} pairs identical",
        c.parsed, c.failed, c.issues, c.compared, c.identical
    );
    let _ = writeln!(
        out,
        "{} not an invoice, {} skipped, {} other files ignored, {} pair differences unexplained",
        c.not_invoice,
        skipped.len(),
        ignored,
        c.unexplained
    );
    let _ = writeln!(out, "\nlegend:");
    for line in [
        "parsed       XML (or a PDF's embedded XML) mapped to the canonical EN 16931 invoice",
        "failed       any parse error other than \"not an invoice\" (malformed, unsupported, missing term)",
        "not an invoice  recognised orders (Order-X, UBL Order): reported, not counted as failures",
        "sum-rule issues  EN 16931 BR-CO-10..16 violations found by check_totals, exact decimals",
        "pairs        ubl-tc434-exampleN.xml <-> CII_exampleN.xml anywhere under DIR",
        "identical    the canonical invoices agree on every field; decimals compare by value",
        "known        a difference the official example files genuinely contain (still counted)",
    ] {
        let _ = writeln!(out, "  {line}");
    }
    out
}

fn render_json(
    dir: &Path,
    docs: &[Doc],
    skipped: &[Skipped],
    pairs: &[Pair],
    ignored: usize,
) -> Value {
    let docs_json: Vec<Value> = docs
        .iter()
        .map(|d| match &d.status {
            Status::Parsed {
                syntax,
                invoice,
                issues,
            } => json!({
                "file": d.label,
                "status": "parsed",
                "syntax": syntax_name(*syntax),
                "kind": match invoice.kind {
                    DocumentKind::Invoice => "invoice",
                    DocumentKind::CreditNote => "credit_note",
                },
                "number": invoice.number,
                "sum_rule_issues": serde_json::to_value(issues).unwrap_or(Value::Null),
            }),
            Status::NotAnInvoice(what) => json!({
                "file": d.label, "status": "not_an_invoice", "reason": what,
            }),
            Status::Failed(e) => json!({ "file": d.label, "status": "failed", "error": e }),
        })
        .collect();
    let pairs_json: Vec<Value> = pairs
        .iter()
        .map(|p| {
            json!({
                "example": p.example,
                "ubl": p.ubl,
                "cii": p.cii,
                "compared": p.not_compared.is_none(),
                "not_compared_reason": p.not_compared,
                "identical": p.not_compared.is_none() && p.differences.is_empty(),
                "differences": p.differences.iter().map(|d| json!({
                    "path": d.path,
                    "field": d.collapsed,
                    "ubl": d.ubl,
                    "cii": d.cii,
                    "known": d.known,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let c = counts(docs, pairs);
    json!({
        "mode": "xml",
        "dir": dir.display().to_string(),
        "documents": docs_json,
        "skipped": skipped.iter().map(|s| json!({ "file": s.file, "reason": s.reason })).collect::<Vec<_>>(),
        "pairs": pairs_json,
        "summary": {
            "parsed": c.parsed,
            "failed": c.failed,
            "not_an_invoice": c.not_invoice,
            "sum_rule_issues": c.issues,
            "pairs_compared": c.compared,
            "pairs_identical": c.identical,
            "unexplained_pair_differences": c.unexplained,
            "skipped": skipped.len(),
            "ignored": ignored,
        },
    })
}
