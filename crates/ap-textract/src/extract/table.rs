//! Best-effort invoice lines: finds a table header and reads numeric columns by alignment.

use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::Decimal;

use super::Ctx;
use crate::labels::Kind;
use crate::layout::col;
use crate::model::Line;
use crate::numbers::{money_tokens, parse_amount};

static DESCRIPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:description|item|article|beschreibung|bezeichnung|artikel|leistung|d[ée]signation|libell[ée]|descripci[óo]n|concepto|descrizione|omschrijving)\b")
        .expect("description header regex")
});
static QUANTITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\bqty\b|\bquantity\b|\bmenge\b|\banzahl\b|\bqt[ée]\b|\bquantit[ée]\b|\bcantidad\b|\bcant\.|\bquantit[àa]\b|\bqt[àa]\b|\baantal\b|\bhours\b|\bstunden\b)")
        .expect("quantity header regex")
});
static PRICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:unit\s+price|\bprice\b|\brate\b|einzelpreis|nettopreis|\bpreis\b|p\.u\.|prix\s+unitaire|precio(?:\s+unitario)?|prezzo(?:\s+unitario)?|stukprijs|\bprijs\b)")
        .expect("price header regex")
});
static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\bamount\b|line\s+total|\btotal\b|\bbetrag\b|gesamtpreis|\bgesamt\b|\bentgelt\b|\bmontant\b|total\s+ht|\bimporte\b|\bimporto\b|\btotale\b|\bbedrag\b|\btotaal\b)")
        .expect("amount header regex")
});
static QTY_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\s)(-?\d+(?:[.,]\d{1,3})?)(?:\s|$)").expect("quantity token regex")
});

struct Header {
    line: usize,
    qty: Option<usize>,
    price: Option<usize>,
    amount: usize,
}

fn header(ctx: &Ctx) -> Option<Header> {
    ctx.lines.iter().enumerate().find_map(|(i, l)| {
        DESCRIPTION.find(l)?;
        let centre = |m: regex::Match| (col(l, m.start()) + col(l, m.end())) / 2;
        let amount = AMOUNT.find_iter(l).last().map(centre)?;
        let qty = QUANTITY.find(l).map(centre);
        let price = PRICE.find(l).map(centre);
        (qty.is_some() || price.is_some()).then_some(Header {
            line: i,
            qty,
            price,
            amount,
        })
    })
}

fn nearest(columns: &[(usize, usize)], c: usize) -> Option<usize> {
    columns
        .iter()
        .min_by_key(|(_, pos)| pos.abs_diff(c))
        .map(|(which, _)| *which)
}

/// Reads lines between the table header and the first totals label.
pub(super) fn lines(ctx: &Ctx) -> Vec<Line> {
    let Some(h) = header(ctx) else {
        return Vec::new();
    };
    let stop_kinds = [Kind::Net, Kind::Total, Kind::Tax, Kind::AmountDue];
    let mut columns = vec![(2usize, h.amount)];
    columns.extend(h.qty.map(|c| (0, c)));
    columns.extend(h.price.map(|c| (1, c)));
    let mut out: Vec<Line> = Vec::new();
    let mut blank_run = 0;
    for (i, l) in ctx.lines.iter().enumerate().skip(h.line + 1) {
        if l.trim().is_empty() {
            blank_run += 1;
            if blank_run >= 4 && !out.is_empty() {
                break;
            }
            continue;
        }
        blank_run = 0;
        let first_text = l.len() - l.trim_start().len();
        let is_totals = ctx.labels.iter().any(|lab| {
            lab.line == i
                && stop_kinds.contains(&lab.kind)
                && (lab.kind != Kind::Tax || lab.start == first_text)
        });
        let money = money_tokens(l);
        if is_totals && !out.is_empty() {
            break;
        }
        if money.is_empty() {
            continue;
        }
        let mut line = Line::default();
        for t in &money {
            let c = (col(l, t.start) + col(l, t.end)) / 2;
            match nearest(&columns, c) {
                Some(0) => line.quantity = Some(t.value),
                Some(1) => line.unit_price = Some(t.value),
                _ => line.line_total = Some(t.value),
            }
        }
        let first_num = money.first().map_or(l.len(), |t| t.start);
        if line.quantity.is_none()
            && let Some(qc) = h.qty
        {
            line.quantity = QTY_TOKEN
                .captures_iter(l)
                .filter_map(|c| c.get(1))
                .filter(|m| col(l, m.start()).abs_diff(qc) < 12)
                .find_map(|m| parse_amount(m.as_str()));
        }
        let text = l[..first_num].trim();
        // A leading position number is not part of the description.
        let text = text
            .split_once(char::is_whitespace)
            .filter(|(pos, _)| pos.chars().all(|c| c.is_ascii_digit()));
        let description = match text {
            Some((_, rest)) => rest,
            None => l[..first_num].trim(),
        };
        line.description = description
            .split("  ")
            .find(|s| !s.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_string();
        if line.line_total.is_some() && !line.description.is_empty() && !looks_like_subline(&line) {
            out.push(line);
        }
    }
    out
}

fn looks_like_subline(line: &Line) -> bool {
    line.description.starts_with('(')
        || line.description.ends_with(':')
        || line.line_total == Some(Decimal::ZERO) && line.quantity.is_none()
}
