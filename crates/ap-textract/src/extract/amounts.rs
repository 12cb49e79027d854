//! Money fields (net, tax, total, amount due), chosen so that net + tax = total whenever the text allows.

use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::Decimal;

use super::{Cand, Ctx, pick, skip_len};
use crate::labels::Kind;
use crate::layout::{self, Token};
use crate::model::{Field, Fields};
use crate::numbers::money_tokens;

// Between a label and its amount: separators, a currency, a tax rate like "19 %" or "(20%)".
static MONEY_SKIP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(?:
            [\s:\#=–]
          | \.(?:\s|$)
          | \(\s*(?:EUR|USD|GBP|CHF|SEK|NOK|DKK|PLN|CZK|HUF|€|\$|£)\s*\)
          | (?:EUR|USD|GBP|CHF|SEK|NOK|DKK|PLN|CZK|HUF)\b
          | [€$£]
          | \(?\s*(?:@\s*)?\d{1,2}(?:[.,]\d{1,2})?\s*%\s*\)?
          | (?:in|en|incl\.?|excl\.?)\s+(?:EUR|€)
        )*",
    )
    .expect("money skip regex")
});

fn tokens(line: &str) -> Vec<Token<Decimal>> {
    money_tokens(line)
        .into_iter()
        .map(|t| Token {
            start: t.start,
            end: t.end,
            value: t.value,
        })
        .collect()
}

fn candidates(ctx: &Ctx, kind: Kind) -> Vec<Cand<Decimal>> {
    ctx.hits(kind)
        .filter_map(|hit| {
            layout::value_for(
                &ctx.lines,
                &ctx.labels,
                hit,
                |s| skip_len(&MONEY_SKIP, s),
                tokens,
            )
            .map(|f| Cand::from_found(f, hit.weight))
        })
        .collect()
}

fn distinct_best(cands: &[Cand<Decimal>]) -> Vec<(Decimal, f32)> {
    let mut out: Vec<(Decimal, f32)> = Vec::new();
    for c in cands {
        match out.iter_mut().find(|(v, _)| *v == c.value) {
            Some(entry) => entry.1 = entry.1.max(c.score),
            None => out.push((c.value, c.score)),
        }
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out.truncate(6);
    out
}

/// The net/tax/total triple with the highest evidence whose sum checks out.
fn consistent_triple(
    nets: &[Cand<Decimal>],
    taxes: &[Cand<Decimal>],
    totals: &[Cand<Decimal>],
) -> Option<(Decimal, Decimal, Decimal)> {
    let mut best: Option<((Decimal, Decimal, Decimal), f32)> = None;
    for (n, ns) in distinct_best(nets) {
        for (t, ts) in distinct_best(taxes) {
            for (g, gs) in distinct_best(totals) {
                let score = ns + ts + gs;
                if n + t == g && best.is_none_or(|(_, s)| score > s) {
                    best = Some(((n, t, g), score));
                }
            }
        }
    }
    best.map(|(triple, _)| triple)
}

fn boost<T>(field: &mut Option<Field<T>>, keep: f32) {
    if let Some(f) = field {
        f.confidence = 1.0 - (1.0 - f.confidence) * keep;
    }
}

pub(super) fn fill(ctx: &Ctx, fields: &mut Fields, warnings: &mut Vec<String>) {
    let nets = candidates(ctx, Kind::Net);
    let taxes = candidates(ctx, Kind::Tax);
    let mut totals = candidates(ctx, Kind::Total);
    let dues = candidates(ctx, Kind::AmountDue);

    if totals.is_empty() {
        // Inferred: the largest amount printed, which is usually the gross total.
        let largest = ctx
            .lines
            .iter()
            .enumerate()
            .flat_map(|(i, l)| money_tokens(l).into_iter().map(move |t| (i, t.value)))
            .max_by(|a, b| a.1.abs().cmp(&b.1.abs()));
        if let Some((line, value)) = largest {
            totals.push(Cand {
                value,
                score: 0.35,
                line,
            });
            warnings.push("total inferred as the largest amount".to_string());
        }
    }

    match consistent_triple(&nets, &taxes, &totals) {
        Some((n, t, g)) => {
            fields.subtotal = pick("subtotal", &nets, Some(&n), warnings);
            fields.tax = pick("tax", &taxes, Some(&t), warnings);
            fields.total = pick("total", &totals, Some(&g), warnings);
            boost(&mut fields.subtotal, 0.3);
            boost(&mut fields.tax, 0.3);
            boost(&mut fields.total, 0.3);
        }
        None => {
            fields.subtotal = pick("subtotal", &nets, None, warnings);
            fields.tax = pick("tax", &taxes, None, warnings);
            fields.total = pick("total", &totals, None, warnings);
            if let (Some(n), Some(t), Some(g)) = (&fields.subtotal, &fields.tax, &fields.total) {
                warnings.push(format!(
                    "net {} + tax {} does not equal total {}",
                    n.value, t.value, g.value
                ));
            }
        }
    }

    let total_value = fields.total.as_ref().map(|f| f.value);
    let preferred_due = total_value.filter(|g| dues.iter().any(|d| d.value == *g));
    fields.amount_due = pick("amount due", &dues, preferred_due.as_ref(), warnings);
    match (&mut fields.amount_due, &fields.total) {
        (Some(due), Some(total)) if due.value == total.value => {
            due.confidence = 1.0 - (1.0 - due.confidence) * 0.5;
        }
        (None, Some(total)) => {
            // Without a separate amount-due line nothing was prepaid, so the total is due.
            fields.amount_due = Some(Field::new(total.value, total.confidence * 0.6));
        }
        _ => {}
    }
}
