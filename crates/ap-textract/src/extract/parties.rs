//! Currency, seller name, seller VAT id and IBAN.

use std::sync::LazyLock;

use regex::Regex;

use super::{Cand, Ctx, pick};
use crate::ids;
use crate::labels::{Kind, LabelHit};
use crate::layout::{self, Token, cells, col};
use crate::model::{Field, Fields};

const CODES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "JPY", "CAD", "AUD",
    "RON", "BGN",
];

static CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\b({})\b|(€)|(£)|((?:A|AU|C|CA|US)?\$)|(?i:\b(euros?)\b)",
        CODES.join("|")
    ))
    .expect("currency regex")
});

fn currency_of(token: &str) -> Option<&'static str> {
    match token {
        "€" => Some("EUR"),
        "£" => Some("GBP"),
        "$" | "US$" => Some("USD"),
        "A$" | "AU$" => Some("AUD"),
        "C$" | "CA$" => Some("CAD"),
        t if t.eq_ignore_ascii_case("euro") || t.eq_ignore_ascii_case("euros") => Some("EUR"),
        t => CODES.iter().find(|c| **c == t).copied(),
    }
}

fn currency_tokens(line: &str) -> Vec<Token<&'static str>> {
    CODE.find_iter(line)
        .filter_map(|m| {
            currency_of(m.as_str()).map(|c| Token {
                start: m.start(),
                end: m.end(),
                value: c,
            })
        })
        .collect()
}

/// Currency from a "Currency:" label, else from the most frequent code or symbol.
pub(super) fn currency(
    lines: &[&str],
    labels: &[LabelHit],
    warnings: &mut Vec<String>,
) -> Option<Field<String>> {
    for hit in labels.iter().filter(|h| h.kind == Kind::Currency) {
        let skip = |s: &str| s.len() - s.trim_start_matches([' ', ':', '=', '.']).len();
        // The code may follow a spelled-out name ("EURO (EUR)"), so any token in the cell counts.
        let tokens = |l: &str| {
            let mut t = currency_tokens(l);
            if let Some(first) = t.first_mut() {
                first.start = 0;
            }
            t
        };
        if let Some(found) = layout::value_for(lines, labels, hit, skip, tokens) {
            return Some(Field::new(
                found.value.to_string(),
                0.97 * found.place.factor() / 0.95,
            ));
        }
    }
    let mut counts: Vec<(&'static str, usize, bool)> = Vec::new();
    for line in lines {
        for t in currency_tokens(line) {
            let is_code = line[t.start..t.end].len() == 3
                && line[t.start..t.end].chars().all(|c| c.is_ascii_uppercase());
            match counts.iter_mut().find(|(c, _, _)| *c == t.value) {
                Some(e) => {
                    e.1 += 1;
                    e.2 |= is_code;
                }
                None => counts.push((t.value, 1, is_code)),
            }
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    let (code, n, is_code) = *counts.first()?;
    let mut confidence = if is_code { 0.85 } else { 0.75 };
    if counts.len() > 1 {
        confidence *= n as f32 / counts.iter().map(|c| c.1).sum::<usize>() as f32;
        warnings.push(format!("several currencies mentioned; chose {code}"));
    }
    Some(Field::new(code.to_string(), confidence))
}

static BUYER_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:customer|client|buyer|bill\s+to|invoice\s+to|sold\s+to|ship\s+to|käufer|kunde|rechnungsempfänger|leistungsempfänger|acheteur|destinataire|cliente|comprador|destinatario|committente|klant|afnemer)\b")
        .expect("buyer heading regex")
});
static LEGAL_FORM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:GmbH|AG|KG|OHG|UG|e\.K\.|SARL|SAS|SA|S\.A\.|S\.L\.|SL|S\.r\.l\.|Srl|S\.p\.A\.|SpA|B\.V\.|BV|N\.V\.|NV|Ltd\.?|Limited|LLC|Inc\.?|Corp\.?|plc)(?:$|[\s,;·|])")
        .expect("legal form regex")
});

/// Columns that belong to the buyer: the columns of buyer headings, from their line on.
fn in_buyer_block(ctx: &Ctx, line: usize, start_col: usize) -> bool {
    ctx.lines[..=line]
        .iter()
        .enumerate()
        .rev()
        .take(14)
        .any(|(i, l)| {
            BUYER_HEADING.find_iter(l).any(|m| {
                let c = col(l, m.start());
                // Same column region and no seller heading in between.
                start_col + 4 >= c && start_col < c + 40 && i <= line
            })
        })
}

fn vat_candidates(ctx: &Ctx) -> Vec<Cand<String>> {
    let mut out = Vec::new();
    let tokens = |l: &str| {
        ids::find_vat_ids(l)
            .into_iter()
            .map(|(start, end, value)| Token { start, end, value })
            .collect()
    };
    let skip = |s: &str| s.len() - s.trim_start_matches([' ', ':', '=', '.', '#', '-']).len();
    for hit in ctx.hits(Kind::VatId) {
        if let Some(found) = layout::value_for(&ctx.lines, &ctx.labels, hit, skip, tokens) {
            let line = ctx.lines[found.line];
            let penalty = if in_buyer_block(ctx, found.line, col(line, hit.start)) {
                0.5
            } else {
                1.0
            };
            out.push(Cand {
                value: found.value,
                score: 0.92 * found.place.factor() * penalty,
                line: found.line,
            });
        }
    }
    if out.is_empty() {
        for (i, l) in ctx.lines.iter().enumerate() {
            for (start, _, value) in ids::find_vat_ids(l) {
                let penalty = if in_buyer_block(ctx, i, col(l, start)) {
                    0.5
                } else {
                    1.0
                };
                out.push(Cand {
                    value,
                    score: 0.45 * penalty,
                    line: i,
                });
            }
        }
    }
    // Earlier mentions are usually the seller's letterhead, so later ones weigh a little less.
    for (rank, c) in out.iter_mut().enumerate() {
        c.score *= 1.0 - 0.02 * rank.min(10) as f32;
    }
    out
}

fn seller_name(ctx: &Ctx) -> Vec<Cand<String>> {
    static KEY_VALUE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^([^:]{1,40}?)\s*:\s*(.*)$").expect("key value regex"));
    static NAME_KEY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:name|firma|raison sociale|nom|nombre|ragione sociale|naam|company)$")
            .expect("name key regex")
    });
    let mut out = Vec::new();
    for hit in ctx.hits(Kind::Seller) {
        let line = ctx.lines[hit.line];
        let heading_start = hit.start == 0
            || line[..hit.start].ends_with("  ")
            || line[..hit.start].trim().is_empty();
        let rest = line[hit.end..].trim_start();
        let cell_rest = rest.split("  ").next().unwrap_or("").trim();
        if !heading_start || !(cell_rest.is_empty() || cell_rest.starts_with(':')) {
            continue;
        }
        let inline = cell_rest.trim_start_matches(':').trim();
        if !inline.is_empty() {
            out.push(Cand {
                value: inline.to_string(),
                score: 0.85,
                line: hit.line,
            });
            continue;
        }
        let only_cell = cells(line).len() == 1;
        if cell_rest.is_empty() && !only_cell {
            continue;
        }
        let c0 = col(line, hit.start);
        for (i, l) in ctx.lines.iter().enumerate().skip(hit.line + 1).take(7) {
            let Some((s, cell)) = cells(l)
                .into_iter()
                .find(|(s, _)| col(l, *s) + 4 >= c0 && col(l, *s) <= c0 + 8)
            else {
                continue;
            };
            match KEY_VALUE.captures(&l[s..]) {
                Some(kv) if NAME_KEY.is_match(kv[1].trim()) && !kv[2].trim().is_empty() => {
                    let value = kv[2].trim().split("  ").next().unwrap_or("").trim();
                    out.push(Cand {
                        value: value.to_string(),
                        score: 0.85,
                        line: i,
                    });
                    break;
                }
                Some(_) => continue,
                None => {
                    out.push(Cand {
                        value: cell.trim().to_string(),
                        score: 0.75,
                        line: i,
                    });
                    break;
                }
            }
        }
    }
    if out.is_empty() {
        let top = ctx.lines.len().div_ceil(3);
        for (i, l) in ctx.lines.iter().enumerate().take(top) {
            if let Some((_, cell)) = cells(l).into_iter().find(|(_, c)| LEGAL_FORM.is_match(c))
                && !in_buyer_block(ctx, i, 0)
            {
                // Letterheads often run name, street and city together on one line.
                let name = cell.split(['·', '|']).next().unwrap_or(cell).trim();
                out.push(Cand {
                    value: name.to_string(),
                    score: 0.5,
                    line: i,
                });
                break;
            }
        }
    }
    if out.is_empty()
        && let Some((i, cell)) = ctx.lines.iter().enumerate().find_map(|(i, l)| {
            let has_label = ctx.labels.iter().any(|h| h.line == i);
            cells(l)
                .first()
                .filter(|(s, c)| {
                    !has_label && col(l, *s) < 10 && c.chars().any(char::is_alphabetic)
                })
                .map(|c| (i, c.1))
        })
    {
        out.push(Cand {
            value: cell.trim().to_string(),
            score: 0.25,
            line: i,
        });
    }
    out
}

static IBAN_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\biban\b").expect("iban label regex"));

pub(super) fn fill(ctx: &Ctx, fields: &mut Fields, warnings: &mut Vec<String>) {
    let vats = vat_candidates(ctx);
    fields.seller_vat_id = pick("seller vat id", &vats, None, warnings);
    fields.seller_name = pick("seller name", &seller_name(ctx), None, warnings);
    let mut ibans = Vec::new();
    for (i, l) in ctx.lines.iter().enumerate() {
        for iban in ids::find_ibans(l) {
            let score = if IBAN_LABEL.is_match(l) { 0.95 } else { 0.5 };
            ibans.push(Cand {
                value: iban,
                score,
                line: i,
            });
        }
    }
    fields.iban = pick("iban", &ibans, None, warnings);
}
