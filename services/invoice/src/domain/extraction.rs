//! What an extraction run produced, as typed fields with source and confidence, and the
//! checks that follow it (arithmetic, missing fields, low confidence). Pure: the worker in
//! `app::extraction` does the I/O.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

/// Where a field's value came from (DOMAIN.md: xml, text, ocr, llm, manual).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Xml,
    Text,
    Ocr,
    Llm,
}

impl Source {
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Xml => "xml",
            Source::Text => "text",
            Source::Ocr => "ocr",
            Source::Llm => "llm",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field<T> {
    pub value: T,
    pub confidence: f64,
}

impl<T> Field<T> {
    pub fn certain(value: T) -> Self {
        Self {
            value,
            confidence: 1.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExtractedLine {
    pub line_number: i32,
    pub description: Option<String>,
    pub quantity: Option<Decimal>,
    pub unit: Option<String>,
    pub unit_price: Option<Decimal>,
    pub line_total: Option<Decimal>,
    pub tax_rate: Option<Decimal>,
    pub po_line_number: Option<i32>,
}

/// Header fields an extraction found; absent ones stay `None`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extracted {
    pub source: Option<Source>,
    pub invoice_number: Option<Field<String>>,
    pub invoice_date: Option<Field<NaiveDate>>,
    pub due_date: Option<Field<NaiveDate>>,
    pub currency: Option<Field<String>>,
    pub subtotal: Option<Field<Decimal>>,
    pub tax_amount: Option<Field<Decimal>>,
    pub total_amount: Option<Field<Decimal>>,
    pub amount_due: Option<Field<Decimal>>,
    pub po_number: Option<Field<String>>,
    pub payment_terms: Option<Field<String>>,
    pub seller_name: Option<Field<String>>,
    pub seller_tax_id: Option<Field<String>>,
    pub payee_iban: Option<Field<String>>,
    pub lines: Vec<ExtractedLine>,
    /// Sum rules the document itself breaks (BR-CO-*), as sentences.
    pub arithmetic_issues: Vec<String>,
    /// Rules about the payable amount the document breaks (BR-CO-16 strictly, rounding beyond
    /// one currency unit, a negative prepaid amount, a payable outside 0 .. total), as
    /// sentences: they route the invoice to a person and block its approval.
    pub payable_issues: Vec<String>,
    pub is_credit_note: bool,
    /// Fields whose value came from the LLM (the deterministic reader found nothing).
    pub llm_fields: Vec<&'static str>,
    /// Fields where the deterministic reader and the LLM disagree, as sentences.
    pub disagreements: Vec<String>,
}

/// What the LLM read from the same document, as text to be typed and compared.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
pub struct LlmFields {
    pub invoice_number: Option<String>,
    pub invoice_date: Option<String>,
    pub due_date: Option<String>,
    pub currency: Option<String>,
    pub subtotal: Option<String>,
    pub tax_amount: Option<String>,
    pub total_amount: Option<String>,
    pub amount_due: Option<String>,
    pub po_number: Option<String>,
    pub seller_name: Option<String>,
    pub seller_vat_id: Option<String>,
    pub iban: Option<String>,
}

/// Confidence of a value only the LLM found.
const LLM_ONLY: f64 = 0.6;
/// Factor applied to both readings' confidence when they disagree.
const DISAGREEMENT: f64 = 0.5;

/// Compares the LLM's reading with the deterministic one as typed values (decimals as
/// decimals, dates as dates, identifiers without spacing or case): agreement keeps the value,
/// disagreement lowers its confidence and is recorded, a value only the LLM found is taken
/// at modest confidence. The LLM never overrides a value the deterministic reader found.
pub fn reconcile(e: &mut Extracted, llm: &LlmFields) {
    fn text_key(s: &str) -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_uppercase)
            .collect()
    }
    fn date(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
    }
    fn amount(s: &str) -> Option<Decimal> {
        s.trim().replace(' ', "").parse::<Decimal>().ok()
    }
    macro_rules! compare {
        ($name:literal, $slot:ident, $llm:expr, $parse:expr, $key:expr) => {
            if let Some(theirs) = $llm.as_deref().and_then($parse) {
                match &mut e.$slot {
                    Some(ours) if $key(&ours.value) == $key(&theirs) => {}
                    Some(ours) => {
                        e.disagreements.push(format!(
                            "{}: read {:?}, the LLM read {:?}",
                            $name, ours.value, theirs
                        ));
                        ours.confidence *= DISAGREEMENT;
                    }
                    None => {
                        e.$slot = Some(Field {
                            value: theirs,
                            confidence: LLM_ONLY,
                        });
                        e.llm_fields.push($name);
                    }
                }
            }
        };
    }
    let same = |v: &Decimal| v.normalize();
    let as_date = |v: &NaiveDate| *v;
    let as_text = |v: &String| text_key(v);
    let some_text = |s: &str| Some(s.trim().to_owned()).filter(|t| !t.is_empty());
    compare!(
        "invoice_number",
        invoice_number,
        llm.invoice_number,
        some_text,
        as_text
    );
    compare!(
        "invoice_date",
        invoice_date,
        llm.invoice_date,
        date,
        as_date
    );
    compare!("due_date", due_date, llm.due_date, date, as_date);
    compare!(
        "currency",
        currency,
        llm.currency,
        |s: &str| some_text(s).map(|c| c.to_uppercase()),
        as_text
    );
    compare!("subtotal", subtotal, llm.subtotal, amount, same);
    compare!("tax_amount", tax_amount, llm.tax_amount, amount, same);
    compare!("total_amount", total_amount, llm.total_amount, amount, same);
    compare!("amount_due", amount_due, llm.amount_due, amount, same);
    compare!("po_number", po_number, llm.po_number, some_text, as_text);
    compare!(
        "vendor_name_raw",
        seller_name,
        llm.seller_name,
        some_text,
        as_text
    );
    compare!(
        "seller_tax_id",
        seller_tax_id,
        llm.seller_vat_id,
        some_text,
        as_text
    );
    compare!("payee_iban", payee_iban, llm.iban, some_text, as_text);
}

/// The JSON schema of the tool the LLM must fill in.
pub fn llm_schema() -> serde_json::Value {
    let s = |d: &str| serde_json::json!({"type": ["string", "null"], "description": d});
    serde_json::json!({
        "type": "object",
        "properties": {
            "invoice_number": s("the invoice number exactly as printed"),
            "invoice_date": s("issue date, YYYY-MM-DD"),
            "due_date": s("payment due date, YYYY-MM-DD"),
            "currency": s("ISO 4217 code"),
            "subtotal": s("total without tax, plain decimal with a dot, e.g. 1234.50"),
            "tax_amount": s("total tax, plain decimal"),
            "total_amount": s("total with tax, plain decimal"),
            "amount_due": s("amount to pay, plain decimal"),
            "po_number": s("buyer's purchase order number"),
            "seller_name": s("the seller's name"),
            "seller_vat_id": s("the seller's VAT or tax id"),
            "iban": s("the IBAN to pay to")
        },
        "additionalProperties": false
    })
}

/// The canonical e-invoice as extracted fields. Credit notes carry negative amounts, so
/// they net against invoices everywhere downstream.
pub fn from_einvoice(inv: &ap_einvoice::Invoice) -> Extracted {
    let credit = inv.kind == ap_einvoice::DocumentKind::CreditNote;
    let sign = |d: Decimal| if credit { -d } else { d };
    let t = &inv.totals;
    let lines = inv
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| ExtractedLine {
            line_number: i32::try_from(i + 1).unwrap_or(i32::MAX),
            description: l.name.clone().or_else(|| l.description.clone()),
            quantity: Some(l.quantity),
            unit: l.unit_code.clone(),
            unit_price: l.net_price,
            line_total: Some(sign(l.net_amount)),
            tax_rate: l.vat_rate,
            po_line_number: l
                .order_line_reference
                .as_deref()
                .and_then(|r| r.trim().parse().ok()),
        })
        .collect();
    let payable_issues = super::payable::check_document(&super::payable::DocumentTotals {
        total_with_vat: t.total_with_vat,
        prepaid: t.prepaid,
        rounding: t.rounding,
        amount_due: t.amount_due,
    })
    .into_iter()
    .map(|i| i.0)
    .collect();
    // BR-CO-16 is judged with the payable rules above (and blocks); not twice.
    let arithmetic_issues = ap_einvoice::check_totals(inv)
        .iter()
        .filter(|i| i.rule != "BR-CO-16")
        .map(|i| {
            format!(
                "{} ({}): stated {}, computed {}",
                i.rule, i.description, i.stated, i.computed
            )
        })
        .collect();
    let vat_total = t
        .vat_total
        .unwrap_or_else(|| inv.vat_breakdown.iter().map(|v| v.tax_amount).sum());
    Extracted {
        source: Some(Source::Xml),
        invoice_number: Some(Field::certain(inv.number.trim().to_owned()))
            .filter(|f| !f.value.is_empty()),
        invoice_date: Some(Field::certain(inv.issue_date)),
        due_date: inv.due_date.map(Field::certain),
        currency: Some(Field::certain(inv.currency.to_ascii_uppercase())),
        subtotal: Some(Field::certain(sign(t.total_without_vat))),
        tax_amount: Some(Field::certain(sign(vat_total))),
        total_amount: Some(Field::certain(sign(t.total_with_vat))),
        amount_due: Some(Field::certain(sign(t.amount_due))),
        po_number: inv
            .purchase_order_reference
            .clone()
            .filter(|p| !p.trim().is_empty())
            .map(Field::certain),
        payment_terms: inv
            .payment_terms
            .clone()
            .map(|p| Field::certain(p.chars().take(100).collect())),
        seller_name: Some(Field::certain(inv.seller.name.clone())).filter(|f| !f.value.is_empty()),
        seller_tax_id: inv
            .seller
            .vat_id
            .clone()
            .or_else(|| inv.seller.tax_registration_id.clone())
            .map(Field::certain),
        payee_iban: inv
            .payee_accounts
            .first()
            .map(|a| Field::certain(a.iban.replace(' ', "").to_ascii_uppercase())),
        lines,
        arithmetic_issues,
        payable_issues,
        is_credit_note: credit,
        llm_fields: Vec::new(),
        disagreements: Vec::new(),
    }
}

/// Fields read from a PDF's text layer. Confidences come from the reader (label found,
/// sums consistent, candidates agreeing).
pub fn from_text(t: &ap_textract::Extraction, source: Source) -> Extracted {
    fn field<T: Clone>(f: &Option<ap_textract::Field<T>>) -> Option<Field<T>> {
        f.as_ref().map(|f| Field {
            value: f.value.clone(),
            confidence: f64::from(f.confidence),
        })
    }
    let f = &t.fields;
    let lines = t
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| ExtractedLine {
            line_number: i32::try_from(i + 1).unwrap_or(i32::MAX),
            description: Some(l.description.clone()).filter(|d| !d.is_empty()),
            quantity: l.quantity,
            unit: None,
            unit_price: l.unit_price,
            line_total: l.line_total,
            tax_rate: None,
            po_line_number: None,
        })
        .collect();
    Extracted {
        source: Some(source),
        invoice_number: field(&f.invoice_number),
        invoice_date: field(&f.invoice_date),
        due_date: field(&f.due_date),
        currency: field(&f.currency),
        subtotal: field(&f.subtotal),
        tax_amount: field(&f.tax),
        total_amount: field(&f.total),
        amount_due: field(&f.amount_due),
        po_number: field(&f.po_number),
        payment_terms: None,
        seller_name: field(&f.seller_name),
        seller_tax_id: field(&f.seller_vat_id),
        payee_iban: field(&f.iban),
        payable_issues: payable_issues(
            f.total.as_ref().map(|t| t.value),
            f.amount_due.as_ref().map(|t| t.value),
        ),
        lines,
        arithmetic_issues: Vec::new(),
        is_credit_note: f.total.as_ref().is_some_and(|t| t.value.is_sign_negative()),
        llm_fields: Vec::new(),
        disagreements: Vec::new(),
    }
}

/// A read amount due outside 0 .. total (plus the largest rounding) is a payable issue.
fn payable_issues(total: Option<Decimal>, amount_due: Option<Decimal>) -> Vec<String> {
    if super::payable::storable_amount_due(total, amount_due) {
        return Vec::new();
    }
    vec![format!(
        "the amount due {} lies outside 0 .. total {}",
        amount_due.unwrap_or_default(),
        total.unwrap_or_default()
    )]
}

/// Due date from payment terms when the document gives none: invoice date + net days.
pub fn due_from_terms(
    invoice_date: NaiveDate,
    terms: Option<&str>,
    vendor_days: Option<i32>,
) -> Option<NaiveDate> {
    let days = terms
        .and_then(super::values::terms_net_days)
        .or(vendor_days)?;
    invoice_date.checked_add_days(Days::new(u64::try_from(days).ok()?))
}

/// subtotal + tax = total within one cent of rounding (None when a value is missing or the
/// sum holds). Shared by extraction and by matching, which applies it whatever the values'
/// source (a reading, a CSV import, a person's correction).
pub fn header_sum_issue(
    sub: Option<Decimal>,
    tax: Option<Decimal>,
    total: Option<Decimal>,
) -> Option<String> {
    let (sub, tax, total) = (sub?, tax?, total?);
    ((sub + tax - total).abs() > Decimal::new(1, 2)).then(|| {
        format!(
            "subtotal {} + tax {} = {} differs from total {}",
            sub.normalize(),
            tax.normalize(),
            (sub + tax).normalize(),
            total.normalize()
        )
    })
}

/// A due date before the invoice date (None when either is missing or the order holds).
pub fn date_order_issue(invoice_date: Option<NaiveDate>, due: Option<NaiveDate>) -> Option<String> {
    let (date, due) = (invoice_date?, due?);
    (due < date).then(|| format!("the due date {due} is before the invoice date {date}"))
}

/// Checks any extraction (not only XML) against the sums: lines → subtotal, subtotal + tax =
/// total, within one cent per line of rounding.
pub fn check_sums(e: &Extracted) -> Vec<String> {
    let mut issues = Vec::new();
    let cent = Decimal::new(1, 2);
    let (sub, tax, total) = (
        e.subtotal.as_ref().map(|f| f.value),
        e.tax_amount.as_ref().map(|f| f.value),
        e.total_amount.as_ref().map(|f| f.value),
    );
    issues.extend(header_sum_issue(sub, tax, total));
    let line_totals: Vec<Decimal> = e.lines.iter().filter_map(|l| l.line_total).collect();
    if let Some(sub) = sub
        && !line_totals.is_empty()
        && line_totals.len() == e.lines.len()
    {
        let sum: Decimal = line_totals.iter().sum();
        let tolerance = cent * Decimal::from(line_totals.len());
        // Document-level allowances and charges legitimately separate the two for XML; those
        // are judged by the EN 16931 rules instead.
        if e.source != Some(Source::Xml) && (sum - sub).abs() > tolerance {
            issues.push(format!("lines sum to {sum}, subtotal is {sub}"));
        }
    }
    issues
}

/// Header fields a usable invoice needs; the missing ones are named.
pub fn missing_fields(e: &Extracted) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if e.invoice_number.is_none() {
        missing.push("invoice_number");
    }
    if e.invoice_date.is_none() {
        missing.push("invoice_date");
    }
    if e.currency.is_none() {
        missing.push("currency");
    }
    if e.total_amount.is_none() {
        missing.push("total_amount");
    }
    missing
}

/// Similarity of two vendor names in [0, 1]: Dice coefficient over character trigrams of
/// the normalised names, so word order and legal suffixes cost little.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let grams = |s: &str| -> Vec<String> {
        let s = format!("  {} ", super::values::normalize_name(s));
        let chars: Vec<char> = s.chars().collect();
        let mut g: Vec<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
        g.sort();
        g.dedup();
        g
    };
    let (ga, gb) = (grams(a), grams(b));
    if ga.is_empty() || gb.is_empty() {
        return 0.0;
    }
    let common = ga.iter().filter(|g| gb.binary_search(g).is_ok()).count();
    2.0 * common as f64 / (ga.len() + gb.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn due_dates_come_from_terms_then_vendor_days() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        assert_eq!(
            due_from_terms(date, Some("2/10 net 30"), None),
            NaiveDate::from_ymd_opt(2026, 4, 1)
        );
        assert_eq!(
            due_from_terms(date, None, Some(14)),
            NaiveDate::from_ymd_opt(2026, 3, 16)
        );
        assert_eq!(due_from_terms(date, Some("soon"), None), None);
    }

    #[test]
    fn sums_that_do_not_add_up_are_named() {
        let mut e = Extracted {
            source: Some(Source::Text),
            subtotal: Some(Field::certain(d("100.00"))),
            tax_amount: Some(Field::certain(d("19.00"))),
            total_amount: Some(Field::certain(d("119.00"))),
            ..Default::default()
        };
        assert!(check_sums(&e).is_empty());
        e.total_amount = Some(Field::certain(d("120.00")));
        assert_eq!(check_sums(&e).len(), 1);
        e.total_amount = Some(Field::certain(d("119.01")));
        assert!(check_sums(&e).is_empty(), "a cent of rounding passes");
        e.lines = vec![ExtractedLine {
            line_number: 1,
            description: None,
            quantity: None,
            unit: None,
            unit_price: None,
            line_total: Some(d("90.00")),
            tax_rate: None,
            po_line_number: None,
        }];
        assert!(check_sums(&e).iter().any(|i| i.contains("lines sum")));
    }

    #[test]
    fn the_llm_fills_gaps_and_disagreements_lower_confidence() {
        let mut e = Extracted {
            source: Some(Source::Text),
            invoice_number: Some(Field {
                value: "INV-1".into(),
                confidence: 0.9,
            }),
            total_amount: Some(Field {
                value: d("119.00"),
                confidence: 0.9,
            }),
            ..Default::default()
        };
        let llm = LlmFields {
            invoice_number: Some("inv 1".into()),
            total_amount: Some("120.00".into()),
            due_date: Some("2026-04-01".into()),
            currency: Some("not a date".into()),
            ..Default::default()
        };
        reconcile(&mut e, &llm);
        assert_eq!(
            e.invoice_number.as_ref().map(|f| f.confidence),
            Some(0.9),
            "same number, other spelling"
        );
        assert_eq!(
            e.total_amount.as_ref().map(|f| f.value),
            Some(d("119.00")),
            "never overridden"
        );
        assert!(e.total_amount.as_ref().is_some_and(|f| f.confidence < 0.5));
        assert_eq!(e.disagreements.len(), 1);
        assert_eq!(
            e.due_date
                .as_ref()
                .map(|f| (f.value.to_string(), f.confidence)),
            Some(("2026-04-01".into(), LLM_ONLY))
        );
        assert_eq!(e.llm_fields, vec!["due_date", "currency"]);
        let mut same = e.clone();
        reconcile(
            &mut same,
            &LlmFields {
                total_amount: Some("119".into()),
                ..Default::default()
            },
        );
        assert_eq!(
            same.disagreements.len(),
            1,
            "119 equals 119.00 as a decimal"
        );
    }

    #[test]
    fn similar_vendor_names_score_high_and_others_low() {
        assert!(name_similarity("ACME Steel, Inc.", "Acme Steel Inc") > 0.9);
        assert!(name_similarity("Lieferant GmbH", "Lieferant") > 0.6);
        assert!(name_similarity("Acme Steel", "Globex Corporation") < 0.2);
        assert_eq!(name_similarity("", "x"), 0.0);
    }
}
