//! Pure extraction from layout text: collects labelled candidates per field, picks and scores them.

mod amounts;
mod parties;
mod table;

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use crate::dates::{self, DateOrder};
use crate::ids;
use crate::labels::{self, Kind, LabelHit};
use crate::layout::{self, Found, Token};
use crate::model::{Extraction, Field, Fields};

/// One possible value of a field and how strongly the evidence supports it.
#[derive(Debug, Clone)]
pub(crate) struct Cand<T> {
    pub value: T,
    pub score: f32,
    pub line: usize,
}

impl<T> Cand<T> {
    fn from_found(found: Found<T>, weight: f32) -> Self {
        Cand {
            score: weight * found.place.factor(),
            value: found.value,
            line: found.line,
        }
    }
}

/// Picks the best candidate; disagreeing candidates lower the confidence, agreeing ones raise it.
pub(crate) fn pick<T: PartialEq + Clone + std::fmt::Debug>(
    name: &str,
    cands: &[Cand<T>],
    preferred: Option<&T>,
    warnings: &mut Vec<String>,
) -> Option<Field<T>> {
    let best = match preferred {
        Some(p) => cands
            .iter()
            .filter(|c| &c.value == p)
            .max_by(|a, b| a.score.total_cmp(&b.score))?,
        None => cands
            .iter()
            .max_by(|a, b| a.score.total_cmp(&b.score).then(b.line.cmp(&a.line)))?,
    };
    let mut confidence = best.score;
    let mut rivals: Vec<&T> = Vec::new();
    for c in cands {
        if c.value == best.value {
            if !std::ptr::eq(c, best) {
                confidence += (1.0 - confidence) * 0.2;
            }
        } else if !rivals.contains(&&c.value) {
            rivals.push(&c.value);
        }
    }
    if !rivals.is_empty() {
        // Strong rivals cost more than weak ones, but never more than half the confidence.
        let strongest = cands
            .iter()
            .filter(|c| c.value != best.value)
            .map(|c| c.score)
            .fold(0.0, f32::max);
        confidence *= (1.0 - 0.35 * strongest / best.score.max(0.01)).max(0.5);
        if preferred.is_none() {
            warnings.push(format!("{name}: chose {:?} over {:?}", best.value, rivals));
        }
    }
    Some(Field::new(best.value.clone(), confidence))
}

pub(crate) struct Ctx<'a> {
    pub lines: Vec<&'a str>,
    pub labels: Vec<LabelHit>,
}

impl Ctx<'_> {
    pub fn hits(&self, kind: Kind) -> impl Iterator<Item = &LabelHit> {
        self.labels.iter().filter(move |h| h.kind == kind)
    }
}

static REF_SKIP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:[\s:#=.\-–]|(?:nr\.?|no\.?|n°|nº|number|nummer|num[ée]ro|numero)(?:\s|:|$))*",
    )
    .expect("reference skip regex")
});
static DATE_SKIP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\s:#=.\-–]*").expect("date skip regex"));
// A date following the invoice number ("Nr. 471102 vom 05.03.2018") is its issue date.
static DATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:vom|du|del|dated|of|van|dd\.?)\s+").expect("dated regex")
});

pub(crate) fn skip_len(re: &Regex, s: &str) -> usize {
    re.find(s).map_or(0, |m| m.end())
}

fn reference_tokens(line: &str, order: DateOrder) -> Vec<Token<String>> {
    let mut out = Vec::new();
    let mut offset = 0;
    for word in line.split(' ') {
        if let Some(r) = ids::reference_at(word)
            && dates::find_dates(word, order).is_empty()
        {
            let start = offset + word.find(r).unwrap_or(0);
            out.push(Token {
                start,
                end: start + r.len(),
                value: r.to_string(),
            });
        }
        offset += word.len() + 1;
    }
    out
}

pub(crate) fn date_tokens(line: &str, order: DateOrder) -> Vec<Token<NaiveDate>> {
    dates::find_dates(line, order)
        .into_iter()
        .map(|t| Token {
            start: t.start,
            end: t.end,
            value: t.value,
        })
        .collect()
}

/// Extracts header fields and lines from `pdftotext -layout` output.
pub fn extract_text(text: &str) -> Extraction {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\u{c}')).collect();
    let labels = labels::find_labels(&lines);
    let mut warnings = Vec::new();
    let currency = parties::currency(&lines, &labels, &mut warnings);
    let order =
        dates::infer_order(text).unwrap_or(match currency.as_ref().map(|c| c.value.as_str()) {
            Some("USD") => DateOrder::MonthFirst,
            _ => DateOrder::DayFirst,
        });
    let ctx = Ctx { lines, labels };

    let mut numbers = Vec::new();
    let mut issue_dates = Vec::new();
    for hit in ctx.hits(Kind::InvoiceNumber) {
        let found = layout::value_for(
            &ctx.lines,
            &ctx.labels,
            hit,
            |s| skip_len(&REF_SKIP, s),
            |l| reference_tokens(l, order),
        );
        if let Some(found) = found {
            let tail = &ctx.lines[found.line][found.end..];
            if let Some(m) = DATED.find(tail)
                && let Some(d) = dates::find_dates(&tail[m.end()..], order)
                    .into_iter()
                    .find(|d| d.start == 0)
            {
                issue_dates.push(Cand {
                    value: d.value,
                    score: 0.9,
                    line: found.line,
                });
            }
            numbers.push(Cand::from_found(found, hit.weight));
        }
    }
    let mut po = Vec::new();
    for hit in ctx.hits(Kind::PoNumber) {
        let found = layout::value_for(
            &ctx.lines,
            &ctx.labels,
            hit,
            |s| skip_len(&REF_SKIP, s),
            |l| reference_tokens(l, order),
        );
        po.extend(found.map(|f| Cand::from_found(f, hit.weight)));
    }
    let mut due_dates = Vec::new();
    for (kind, out) in [
        (Kind::InvoiceDate, &mut issue_dates),
        (Kind::DueDate, &mut due_dates),
    ] {
        for hit in ctx.hits(kind) {
            let found = layout::value_for(
                &ctx.lines,
                &ctx.labels,
                hit,
                |s| skip_len(&DATE_SKIP, s),
                |l| date_tokens(l, order),
            );
            out.extend(found.map(|f| Cand::from_found(f, hit.weight)));
        }
    }
    if issue_dates.is_empty()
        && let Some((idx, d)) = ctx
            .lines
            .iter()
            .enumerate()
            .find_map(|(i, l)| dates::find_dates(l, order).first().map(|d| (i, d.value)))
    {
        // Without any label, the first date printed is most often the issue date.
        issue_dates.push(Cand {
            value: d,
            score: 0.35,
            line: idx,
        });
    }

    let mut fields = Fields {
        invoice_number: pick("invoice number", &numbers, None, &mut warnings),
        invoice_date: pick("invoice date", &issue_dates, None, &mut warnings),
        due_date: pick("due date", &due_dates, None, &mut warnings),
        po_number: pick("po number", &po, None, &mut warnings),
        currency,
        ..Fields::default()
    };
    if let (Some(issue), Some(due)) = (&fields.invoice_date, &fields.due_date)
        && due.value < issue.value
    {
        warnings.push("due date is before the invoice date".to_string());
    }
    amounts::fill(&ctx, &mut fields, &mut warnings);
    parties::fill(&ctx, &mut fields, &mut warnings);
    let lines = table::lines(&ctx);
    Extraction {
        fields,
        lines,
        warnings,
    }
}
