//! Parsing of money amounts in the number formats invoices use (`1,234.56`, `1.234,56`, `1 234,56`, `12,50-`).

use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::Decimal;

/// Parses one amount written in any common European or US style.
///
/// A single separator followed by exactly three digits is read as a thousands
/// separator, because three-decimal money amounts are far rarer on invoices
/// than `1.234` or `1,234` meaning one thousand.
pub fn parse_amount(raw: &str) -> Option<Decimal> {
    let mut s = raw.trim();
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        negative = true;
        s = rest.trim();
    }
    for minus in ['-', '\u{2212}', '\u{2013}'] {
        if let Some(rest) = s.strip_prefix(minus) {
            negative = true;
            s = rest.trim_start();
        } else if let Some(rest) = s.strip_suffix(minus) {
            negative = true;
            s = rest.trim_end();
        }
    }
    if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let is_group_sep = |c: char| matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'' | '\u{2019}');
    if s.chars()
        .any(|c| !(c.is_ascii_digit() || c == '.' || c == ',' || is_group_sep(c)))
    {
        return None;
    }
    let last_dot = s.rfind('.');
    let last_comma = s.rfind(',');
    let decimal_pos = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(d.max(c)),
        (Some(p), None) | (None, Some(p)) => {
            let sep = s.as_bytes()[p] as char;
            let digits_after = s.len() - p - 1;
            let only_once = s.matches(sep).count() == 1;
            (only_once && digits_after != 3).then_some(p)
        }
        (None, None) => None,
    };
    let (int_part, frac_part) = match decimal_pos {
        Some(p) => (&s[..p], &s[p + 1..]),
        None => (s, ""),
    };
    if frac_part.chars().any(|c| !c.is_ascii_digit()) {
        return None;
    }
    let int_digits = validate_grouping(int_part, |c| c == '.' || c == ',' || is_group_sep(c))?;
    let text = if frac_part.is_empty() {
        int_digits
    } else {
        format!("{int_digits}.{frac_part}")
    };
    let value = Decimal::from_str(&text).ok()?;
    Some(if negative { -value } else { value })
}

/// Checks that separators split the integer part into groups of three and returns its digits.
fn validate_grouping(int_part: &str, is_sep: impl Fn(char) -> bool) -> Option<String> {
    let groups: Vec<&str> = int_part.split(|c: char| is_sep(c)).collect();
    if groups.len() > 1 {
        let first_ok = (1..=3).contains(&groups[0].len());
        if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
            return None;
        }
    }
    let digits: String = groups.concat();
    (!digits.is_empty()).then_some(digits)
}

static MONEY_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:[-\u{2212}]\s?)?
        (?:
            \d{1,3}(?:[.,'\u{a0}\u{202f}]\d{3})+[.,]\d{2}
          | \d{1,3}(?:\x20\d{3})+,\d{2}
          | \d+[.,]\d{2}
        )
        -?",
    )
    .expect("money token regex is valid")
});

/// An amount found inside a line, with its byte span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MoneyToken {
    pub start: usize,
    pub end: usize,
    pub value: Decimal,
}

/// Finds two-decimal amounts in a line, skipping percentages, dates and digits glued to words.
pub fn money_tokens(line: &str) -> Vec<MoneyToken> {
    let mut out = Vec::new();
    for m in MONEY_TOKEN.find_iter(line) {
        let (mut start, mut end) = (m.start(), m.end());
        let before = line[..start].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | ',' | '/' | '_')) {
            continue;
        }
        let token = &line[start..end];
        // A trailing hyphen only means "negative" when the token stands alone.
        let after = line[end..].chars().next();
        if token.ends_with('-') && after.is_some_and(|c| !c.is_whitespace()) {
            end -= 1;
        }
        let after = line[end..].chars().next();
        if after.is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '/' | '_' | ',')) {
            continue;
        }
        if line[end..].trim_start().starts_with('%') {
            continue;
        }
        if token.starts_with('-') && line[..start].ends_with(|c: char| c.is_ascii_digit()) {
            start += 1;
        }
        if let Some(mut value) = parse_amount(&line[start..end]) {
            // Accounting style "(250.00)" is a negative amount.
            if line[..start].ends_with('(') && line[end..].starts_with(')') {
                value = -value.abs();
                start -= 1;
                end += 1;
            }
            out.push(MoneyToken { start, end, value });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimal")
    }

    #[test]
    fn parses_common_styles() {
        assert_eq!(parse_amount("1,234.56"), Some(d("1234.56")));
        assert_eq!(parse_amount("1.234,56"), Some(d("1234.56")));
        assert_eq!(parse_amount("1 234,56"), Some(d("1234.56")));
        assert_eq!(parse_amount("1234.56"), Some(d("1234.56")));
        assert_eq!(parse_amount("-12,50"), Some(d("-12.50")));
        assert_eq!(parse_amount("12,50-"), Some(d("-12.50")));
        assert_eq!(parse_amount("1.234"), Some(d("1234")));
        assert_eq!(parse_amount("12.3.4"), None);
    }

    #[test]
    fn money_tokens_skip_percent_and_dates() {
        let t = money_tokens("19,00 %  31.01.2026  Total 1.234,56 EUR  - 5,00");
        let values: Vec<Decimal> = t.iter().map(|t| t.value).collect();
        assert_eq!(values, vec![d("1234.56"), d("-5.00")]);
    }
}
