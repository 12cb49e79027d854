//! Parser for payment terms text. Hand-written: the grammar is tiny and a regex engine
//! would be the largest dependency in the crate.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::{Discount, PaymentTerms, TermsError};

pub(super) fn parse(text: &str) -> Result<PaymentTerms, TermsError> {
    let unrecognised = || TermsError::Unrecognised(text.to_string());
    let norm = normalise(text);
    if matches!(
        norm.as_str(),
        "due on receipt" | "due upon receipt" | "on receipt" | "upon receipt" | "receipt"
    ) {
        return PaymentTerms::new(None, 0);
    }
    if let Some(net) = net_days(&norm) {
        return PaymentTerms::new(None, net?);
    }
    // Discount form: "<percent>[%]/<days> <net part>" or "<percent>% <days> <net part>".
    let (discount_part, rest) = split_discount(&norm).ok_or_else(unrecognised)?;
    let (percent_text, days_text) = discount_part;
    let percent = Decimal::from_str(percent_text).map_err(|_| unrecognised())?;
    let days = days_value(days_text).ok_or_else(unrecognised)??;
    let net = net_days(rest).ok_or_else(unrecognised)??;
    PaymentTerms::new(Some(Discount { percent, days }), net)
}

/// Lower-cases, turns commas into spaces, collapses whitespace and drops a trailing "days".
fn normalise(text: &str) -> String {
    let lowered = text.to_lowercase().replace(',', " ");
    let words: Vec<&str> = lowered.split_whitespace().collect();
    let mut joined = words.join(" ");
    for suffix in [" days", " day"] {
        if let Some(stripped) = joined.strip_suffix(suffix) {
            joined = stripped.to_string();
        }
    }
    joined
}

/// `net 30`, `net30`, `net/30`, `n/30`, `n 30`, `n30`. `None` when `s` is not a net clause;
/// `Some(Err)` when it is one with an out-of-range day count.
fn net_days(s: &str) -> Option<Result<u32, TermsError>> {
    let s = s.trim();
    let rest = s.strip_prefix("net").or_else(|| s.strip_prefix('n'))?;
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('/').unwrap_or(rest).trim_start();
    days_value(rest)
}

fn days_value(s: &str) -> Option<Result<u32, TermsError>> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = s.parse().ok()?;
    Some(match u32::try_from(value) {
        Ok(v) if v <= super::MAX_DAYS => Ok(v),
        _ => Err(TermsError::Days(value)),
    })
}

/// Splits `2/10 net 30` into (("2", "10"), "net 30"); also `2%/10`, `2% 10`.
fn split_discount(s: &str) -> Option<((&str, &str), &str)> {
    let (first, rest) = s.split_once(' ')?;
    if let Some((p, d)) = first.split_once('/') {
        let p = p.strip_suffix('%').unwrap_or(p);
        return Some(((p, d), rest));
    }
    let p = first.strip_suffix('%')?;
    let (d, rest) = rest.split_once(' ')?;
    Some(((p, d), rest))
}
