//! Text mode: scores the PDF text path against the e-invoice XML embedded in each hybrid PDF.
//!
//! The ground truth is read with `ap_einvoice::extract_embedded_xml` + `ap_einvoice::parse_xml`.
//! The extractor gets the PDF bytes through `ap_textract::extract_pdf`, exactly as the
//! invoice service calls it: that function hands the bytes to `pdftotext` and reads fields from
//! the rendered page text only, so the attachment (and the parsed invoice) never reach it.
//!
//! Only files directly in DIR are evaluated (no recursion): every file is either evaluated or
//! listed as skipped with the reason (not a PDF, unreadable PDF, no embedded XML, embedded XML
//! that does not parse).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ap_einvoice::{DocumentKind, Invoice};
use ap_textract::{Field, Fields, PdfToTextConfig};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Report, display_path, has_extension, looks_like_pdf, percent, percent_text};

/// A typed field value; equality is typed (decimals by value, dates as dates).
#[derive(Debug, Clone, PartialEq)]
enum V {
    Text(String),
    Date(NaiveDate),
    Amount(Decimal),
}

impl std::fmt::Display for V {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            V::Text(s) => write!(f, "{s:?}"),
            V::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            V::Amount(a) => write!(f, "{a}"),
        }
    }
}

/// One evaluated header field: where the truth comes from and how both sides are normalised.
struct Spec {
    name: &'static str,
    /// EN 16931 business term of the ground truth.
    term: &'static str,
    /// The normalisation applied to both sides before comparing; printed in the legend.
    rule: &'static str,
    /// Accepted ground-truth values, already normalised; empty when the XML states none.
    truth: fn(&Invoice) -> Vec<V>,
    /// The extracted value, normalised the same way.
    got: fn(&Fields) -> Option<V>,
}

// Normalisations. Each is applied identically to the ground truth and to the extraction.

/// Identifiers (invoice number, PO number): surrounding whitespace removed; case and inner
/// characters kept, because `INV-1a` and `INV-1A` may be different documents.
fn ident(s: &str) -> V {
    V::Text(s.trim().to_string())
}

/// Currency: trimmed and ASCII-uppercased (ISO 4217 codes carry no case information).
fn currency(s: &str) -> V {
    V::Text(s.trim().to_ascii_uppercase())
}

/// Names: whitespace runs collapsed to one space and case-folded, since layout text breaks
/// and capitalises names freely. Punctuation and legal-form suffixes are kept.
fn name(s: &str) -> V {
    V::Text(
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase(),
    )
}

/// VAT ids and IBANs: only ASCII letters and digits, uppercased, so `DE 123.456.789` equals
/// `DE123456789` and a printed `DE89 3704 ...` equals the electronic form.
fn compact(s: &str) -> V {
    V::Text(
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase(),
    )
}

fn text_of(f: &Option<Field<String>>, norm: fn(&str) -> V) -> Option<V> {
    f.as_ref().map(|f| norm(&f.value))
}

fn date_of(f: &Option<Field<NaiveDate>>) -> Option<V> {
    f.as_ref().map(|f| V::Date(f.value))
}

fn amount_of(f: &Option<Field<Decimal>>) -> Option<V> {
    f.as_ref().map(|f| V::Amount(f.value))
}

const DATE_RULE: &str = "compared as calendar dates, whatever the printed format";
const AMOUNT_RULE: &str =
    "compared as decimals by value (100.50 = 100.5), sign as the document writes it, no tolerance";

const SPECS: [Spec; 12] = [
    Spec {
        name: "invoice_number",
        term: "BT-1",
        rule: "trimmed; case kept",
        truth: |i| vec![ident(&i.number)],
        got: |f| text_of(&f.invoice_number, ident),
    },
    Spec {
        name: "invoice_date",
        term: "BT-2",
        rule: DATE_RULE,
        truth: |i| vec![V::Date(i.issue_date)],
        got: |f| date_of(&f.invoice_date),
    },
    Spec {
        name: "due_date",
        term: "BT-9",
        rule: DATE_RULE,
        truth: |i| i.due_date.map(V::Date).into_iter().collect(),
        got: |f| date_of(&f.due_date),
    },
    Spec {
        name: "currency",
        term: "BT-5",
        rule: "trimmed, upper case",
        truth: |i| vec![currency(&i.currency)],
        got: |f| text_of(&f.currency, currency),
    },
    Spec {
        name: "po_number",
        term: "BT-13",
        rule: "trimmed; case kept",
        truth: |i| {
            i.purchase_order_reference
                .as_deref()
                .map(ident)
                .into_iter()
                .collect()
        },
        got: |f| text_of(&f.po_number, ident),
    },
    Spec {
        name: "subtotal",
        term: "BT-109",
        rule: AMOUNT_RULE,
        truth: |i| vec![V::Amount(i.totals.total_without_vat)],
        got: |f| amount_of(&f.subtotal),
    },
    Spec {
        name: "tax",
        term: "BT-110",
        rule: AMOUNT_RULE,
        truth: |i| i.totals.vat_total.map(V::Amount).into_iter().collect(),
        got: |f| amount_of(&f.tax),
    },
    Spec {
        name: "total",
        term: "BT-112",
        rule: AMOUNT_RULE,
        truth: |i| vec![V::Amount(i.totals.total_with_vat)],
        got: |f| amount_of(&f.total),
    },
    Spec {
        name: "amount_due",
        term: "BT-115",
        rule: AMOUNT_RULE,
        truth: |i| vec![V::Amount(i.totals.amount_due)],
        got: |f| amount_of(&f.amount_due),
    },
    Spec {
        name: "seller_name",
        term: "BT-27",
        rule: "whitespace runs collapsed, case-folded; punctuation kept",
        truth: |i| {
            let n = i.seller.name.trim();
            if n.is_empty() { vec![] } else { vec![name(n)] }
        },
        got: |f| text_of(&f.seller_name, name),
    },
    Spec {
        name: "seller_vat_id",
        term: "BT-31",
        rule: "letters and digits only, upper case",
        truth: |i| {
            i.seller
                .vat_id
                .as_deref()
                .map(compact)
                .into_iter()
                .collect()
        },
        got: |f| text_of(&f.seller_vat_id, compact),
    },
    Spec {
        name: "iban",
        term: "BT-84",
        rule: "letters and digits only, upper case; any of the document's payee accounts (BG-17) counts",
        truth: |i| {
            let mut v: Vec<V> = i.payee_accounts.iter().map(|a| compact(&a.iban)).collect();
            v.dedup();
            v
        },
        got: |f| text_of(&f.iban, compact),
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Ground truth present, extracted value equal to it.
    Correct,
    /// Ground truth present, a different value extracted.
    Wrong,
    /// Ground truth present, nothing extracted.
    Missed,
    /// No ground truth, but the extractor returned a value (not counted in accuracy).
    Extra,
    /// Neither side has a value.
    Absent,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Correct => "correct",
            Outcome::Wrong => "wrong",
            Outcome::Missed => "missed",
            Outcome::Extra => "extra",
            Outcome::Absent => "absent",
        }
    }
}

fn outcome(truth: &[V], got: Option<&V>) -> Outcome {
    match (truth.is_empty(), got) {
        (true, None) => Outcome::Absent,
        (true, Some(_)) => Outcome::Extra,
        (false, None) => Outcome::Missed,
        (false, Some(g)) if truth.contains(g) => Outcome::Correct,
        (false, Some(_)) => Outcome::Wrong,
    }
}

struct FieldResult {
    outcome: Outcome,
    expected: Vec<V>,
    got: Option<V>,
    confidence: Option<f32>,
}

struct Evaluated {
    file: String,
    attachment: Option<String>,
    kind: DocumentKind,
    /// Why the text path returned nothing, if it failed; every field then counts as missed.
    text_error: Option<String>,
    fields: Vec<FieldResult>,
}

impl Evaluated {
    /// Every field the ground truth states was read correctly.
    fn all_right(&self) -> bool {
        self.fields.iter().all(|f| {
            matches!(
                f.outcome,
                Outcome::Correct | Outcome::Absent | Outcome::Extra
            )
        })
    }
}

struct Skipped {
    file: String,
    reason: String,
}

fn confidence_of(f: &Fields, field: &str) -> Option<f32> {
    match field {
        "invoice_number" => f.invoice_number.as_ref().map(|x| x.confidence),
        "invoice_date" => f.invoice_date.as_ref().map(|x| x.confidence),
        "due_date" => f.due_date.as_ref().map(|x| x.confidence),
        "currency" => f.currency.as_ref().map(|x| x.confidence),
        "po_number" => f.po_number.as_ref().map(|x| x.confidence),
        "subtotal" => f.subtotal.as_ref().map(|x| x.confidence),
        "tax" => f.tax.as_ref().map(|x| x.confidence),
        "total" => f.total.as_ref().map(|x| x.confidence),
        "amount_due" => f.amount_due.as_ref().map(|x| x.confidence),
        "seller_name" => f.seller_name.as_ref().map(|x| x.confidence),
        "seller_vat_id" => f.seller_vat_id.as_ref().map(|x| x.confidence),
        "iban" => f.iban.as_ref().map(|x| x.confidence),
        _ => None,
    }
}

/// Reads one file: `Ok` with the evaluation, or `Err` with the reason it was skipped.
fn evaluate(path: &Path, file: String, config: &PdfToTextConfig) -> Result<Evaluated, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read file: {e}"))?;
    if !looks_like_pdf(&bytes) {
        return Err(if has_extension(path, "pdf") {
            "named .pdf but has no PDF header".to_string()
        } else {
            "not a pdf".to_string()
        });
    }
    let embedded = match ap_einvoice::extract_embedded_xml(&bytes) {
        Ok(Some(e)) => e,
        Ok(None) => return Err("no embedded e-invoice xml (no ground truth)".to_string()),
        Err(e) => return Err(format!("unreadable pdf: {e}")),
    };
    let truth = ap_einvoice::parse_xml(&embedded.xml)
        .map_err(|e| format!("embedded xml gives no ground truth: {e}"))?;
    // The text path: PDF bytes -> pdftotext -> field extraction. Neither the attachment nor
    // `truth` is passed in.
    let (fields, text_error) = match ap_textract::extract_pdf(&bytes, config) {
        Ok(x) => (x.fields, None),
        Err(e) => (Fields::default(), Some(e.to_string())),
    };
    let results = SPECS
        .iter()
        .map(|spec| {
            let expected = (spec.truth)(&truth);
            let got = (spec.got)(&fields);
            FieldResult {
                outcome: outcome(&expected, got.as_ref()),
                confidence: confidence_of(&fields, spec.name),
                expected,
                got,
            }
        })
        .collect();
    Ok(Evaluated {
        file,
        attachment: embedded.filename,
        kind: truth.kind,
        text_error,
        fields: results,
    })
}

#[derive(Default, Clone, Copy)]
struct Tally {
    correct: usize,
    present: usize,
    wrong: usize,
    missed: usize,
    extra: usize,
}

pub(super) fn run(dir: &Path) -> Result<Report, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut skipped = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => {
                let path = e.path();
                // Follows symlinks; sub-directories are not evaluated in text mode.
                if path.is_file() {
                    paths.push(path);
                }
            }
            Err(e) => skipped.push(Skipped {
                file: "(directory entry)".into(),
                reason: format!("cannot read directory entry: {e}"),
            }),
        }
    }
    paths.sort();

    let config = PdfToTextConfig::default();
    let mut invoices = Vec::new();
    for path in &paths {
        let file = display_path(dir, path);
        match evaluate(path, file.clone(), &config) {
            Ok(e) => invoices.push(e),
            Err(reason) => skipped.push(Skipped { file, reason }),
        }
    }

    let mut tallies = [Tally::default(); SPECS.len()];
    for inv in &invoices {
        for (t, f) in tallies.iter_mut().zip(&inv.fields) {
            match f.outcome {
                Outcome::Correct => t.correct += 1,
                Outcome::Wrong => t.wrong += 1,
                Outcome::Missed => t.missed += 1,
                Outcome::Extra => t.extra += 1,
                Outcome::Absent => {}
            }
            if !f.expected.is_empty() {
                t.present += 1;
            }
        }
    }
    let all_right = invoices.iter().filter(|i| i.all_right()).count();
    Ok(Report {
        text: render_text(dir, &invoices, &skipped, &tallies, all_right),
        json: render_json(dir, &invoices, &skipped, &tallies, all_right),
    })
}

fn expected_text(v: &[V]) -> String {
    v.iter().map(V::to_string).collect::<Vec<_>>().join(" or ")
}

fn render_text(
    dir: &Path,
    invoices: &[Evaluated],
    skipped: &[Skipped],
    tallies: &[Tally],
    all_right: usize,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "extract eval {}: PDF text path vs the e-invoice XML embedded in each PDF\n",
        dir.display()
    );
    let _ = writeln!(out, "invoices ({}):", invoices.len());
    for inv in invoices {
        let attachment = inv.attachment.as_deref().unwrap_or("embedded xml");
        let kind = match inv.kind {
            DocumentKind::Invoice => "",
            DocumentKind::CreditNote => ", credit note",
        };
        let mut problems = Vec::new();
        for (spec, f) in SPECS.iter().zip(&inv.fields) {
            match f.outcome {
                Outcome::Wrong => problems.push(format!(
                    "{} wrong (expected {}, got {})",
                    spec.name,
                    expected_text(&f.expected),
                    f.got.as_ref().map(V::to_string).unwrap_or_default()
                )),
                Outcome::Missed => problems.push(format!(
                    "{} missed (expected {})",
                    spec.name,
                    expected_text(&f.expected)
                )),
                _ => {}
            }
        }
        let stated = inv.fields.iter().filter(|f| !f.expected.is_empty()).count();
        let _ = write!(out, "  {} [{attachment}{kind}]: ", inv.file);
        if let Some(e) = &inv.text_error {
            let _ = write!(out, "text path failed: {e}; ");
        }
        if problems.is_empty() {
            let _ = writeln!(out, "all {stated} ground-truth fields right");
        } else {
            let _ = writeln!(out, "{}", problems.join("; "));
        }
    }
    let _ = writeln!(out, "\nskipped ({}):", skipped.len());
    for s in skipped {
        let _ = writeln!(out, "  {}: {}", s.file, s.reason);
    }

    let _ = writeln!(
        out,
        "\n{:<15} {:<7} {:>7} {:>8} {:>5} {:>6} {:>5} {:>9}",
        "field", "term", "correct", "in truth", "wrong", "missed", "extra", "accuracy"
    );
    for (spec, t) in SPECS.iter().zip(tallies) {
        let _ = writeln!(
            out,
            "{:<15} {:<7} {:>7} {:>8} {:>5} {:>6} {:>5} {:>9}",
            spec.name,
            spec.term,
            t.correct,
            t.present,
            t.wrong,
            t.missed,
            t.extra,
            percent_text(percent(t.correct, t.present))
        );
    }
    let _ = writeln!(
        out,
        "\nall-header-fields-right: {all_right} / {} invoices ({})",
        invoices.len(),
        percent_text(percent(all_right, invoices.len()))
    );
    let _ = writeln!(
        out,
        "{} invoices evaluated, {} files skipped",
        invoices.len(),
        skipped.len()
    );

    let _ = writeln!(out, "\nlegend:");
    for line in [
        "correct   the ground truth states the field and the extracted value equals it",
        "in truth  invoices whose embedded XML states the field (the denominator of accuracy)",
        "wrong     the ground truth states the field and a different value was extracted",
        "missed    the ground truth states the field and nothing was extracted",
        "extra     nothing in the ground truth but a value was extracted (not in accuracy)",
        "accuracy  correct / in truth",
        "all-header-fields-right  invoices where every field the ground truth states is correct",
        "a failed text path (no text layer, no invoice data) counts every stated field as missed",
        "normalisation, applied to both sides:",
    ] {
        let _ = writeln!(out, "  {line}");
    }
    for spec in &SPECS {
        let _ = writeln!(out, "    {:<15} ({}) {}", spec.name, spec.term, spec.rule);
    }
    out
}

fn render_json(
    dir: &Path,
    invoices: &[Evaluated],
    skipped: &[Skipped],
    tallies: &[Tally],
    all_right: usize,
) -> Value {
    let fields: Vec<Value> = SPECS
        .iter()
        .zip(tallies)
        .map(|(spec, t)| {
            json!({
                "field": spec.name,
                "term": spec.term,
                "normalisation": spec.rule,
                "correct": t.correct,
                "present": t.present,
                "wrong": t.wrong,
                "missed": t.missed,
                "extra": t.extra,
                "accuracy": percent(t.correct, t.present),
            })
        })
        .collect();
    let invoices_json: Vec<Value> = invoices
        .iter()
        .map(|inv| {
            let per_field: Vec<Value> = SPECS
                .iter()
                .zip(&inv.fields)
                .map(|(spec, f)| {
                    json!({
                        "field": spec.name,
                        "outcome": f.outcome.as_str(),
                        "expected": f.expected.iter().map(json_value).collect::<Vec<_>>(),
                        "got": f.got.as_ref().map(json_value),
                        "confidence": f.confidence,
                    })
                })
                .collect();
            json!({
                "file": inv.file,
                "attachment": inv.attachment,
                "kind": match inv.kind {
                    DocumentKind::Invoice => "invoice",
                    DocumentKind::CreditNote => "credit_note",
                },
                "text_error": inv.text_error,
                "all_header_fields_right": inv.all_right(),
                "fields": per_field,
            })
        })
        .collect();
    json!({
        "mode": "text",
        "dir": dir.display().to_string(),
        "fields": fields,
        "invoices": invoices_json,
        "skipped": skipped
            .iter()
            .map(|s| json!({ "file": s.file, "reason": s.reason }))
            .collect::<Vec<_>>(),
        "summary": {
            "invoices": invoices.len(),
            "skipped": skipped.len(),
            "all_header_fields_right": all_right,
            "all_header_fields_right_pct": percent(all_right, invoices.len()),
        },
    })
}

fn json_value(v: &V) -> Value {
    match v {
        V::Text(s) => Value::String(s.clone()),
        V::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
        // Decimals as strings, so no precision is lost on the way through JSON.
        V::Amount(a) => Value::String(a.to_string()),
    }
}
