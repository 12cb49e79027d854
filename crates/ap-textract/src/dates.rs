//! Date parsing: ISO, numeric day/month orders with disambiguation, and month names in six languages.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

/// Which order an ambiguous numeric date like `03/04/2026` is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateOrder {
    #[default]
    DayFirst,
    MonthFirst,
}

static ISO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b").expect("iso date regex"));
static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{1,2})\s?([./-])\s?(\d{1,2})\s?[./-]\s?(\d{4}|\d{2})\b")
        .expect("numeric date regex")
});
static DAY_MONTH_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\d{1,2})(?:\.|er|º|st|nd|rd|th)?\s+(?:de\s+)?(\p{L}+)\.?,?\s+(?:de\s+|del\s+)?(\d{4})\b")
        .expect("textual date regex")
});
static MONTH_DAY_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\p{L}+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
        .expect("us textual date regex")
});

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("januar", 1),
    ("jänner", 1),
    ("janvier", 1),
    ("enero", 1),
    ("gennaio", 1),
    ("januari", 1),
    ("janv", 1),
    ("ene", 1),
    ("gen", 1),
    ("february", 2),
    ("feb", 2),
    ("februar", 2),
    ("février", 2),
    ("fevrier", 2),
    ("févr", 2),
    ("febrero", 2),
    ("febbraio", 2),
    ("februari", 2),
    ("march", 3),
    ("mar", 3),
    ("märz", 3),
    ("maerz", 3),
    ("mrz", 3),
    ("mars", 3),
    ("marzo", 3),
    ("maart", 3),
    ("mrt", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("avr", 4),
    ("abril", 4),
    ("abr", 4),
    ("aprile", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("maggio", 5),
    ("mei", 5),
    ("mag", 5),
    ("june", 6),
    ("jun", 6),
    ("juni", 6),
    ("juin", 6),
    ("junio", 6),
    ("giugno", 6),
    ("giu", 6),
    ("july", 7),
    ("jul", 7),
    ("juli", 7),
    ("juillet", 7),
    ("juil", 7),
    ("julio", 7),
    ("luglio", 7),
    ("lug", 7),
    ("august", 8),
    ("aug", 8),
    ("août", 8),
    ("aout", 8),
    ("agosto", 8),
    ("ago", 8),
    ("augustus", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("setiembre", 9),
    ("settembre", 9),
    ("set", 9),
    ("october", 10),
    ("oct", 10),
    ("oktober", 10),
    ("okt", 10),
    ("octobre", 10),
    ("octubre", 10),
    ("ottobre", 10),
    ("ott", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("december", 12),
    ("dec", 12),
    ("dezember", 12),
    ("dez", 12),
    ("décembre", 12),
    ("decembre", 12),
    ("déc", 12),
    ("diciembre", 12),
    ("dic", 12),
    ("dicembre", 12),
];

fn month_number(word: &str) -> Option<u32> {
    let lower = word.to_lowercase();
    MONTHS
        .iter()
        .find(|(name, _)| *name == lower)
        .map(|(_, n)| *n)
}

fn full_year(raw: &str) -> Option<i32> {
    let y: i32 = raw.parse().ok()?;
    // Two-digit years on invoices are this century unless they look like the 1900s.
    Some(match raw.len() {
        2 if y < 70 => 2000 + y,
        2 => 1900 + y,
        _ => y,
    })
}

/// A date found in a line, with its byte span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DateToken {
    pub start: usize,
    pub end: usize,
    pub value: NaiveDate,
}

/// Finds every date in a line; ambiguous numeric dates are read in `order`.
pub fn find_dates(line: &str, order: DateOrder) -> Vec<DateToken> {
    let mut out: Vec<DateToken> = Vec::new();
    let mut push = |start: usize, end: usize, value: Option<NaiveDate>| {
        if let Some(value) = value
            && !out.iter().any(|t| start < t.end && t.start < end)
        {
            out.push(DateToken { start, end, value });
        }
    };
    for c in ISO.captures_iter(line) {
        let m = c.get(0).expect("group 0 always exists");
        let date = (|| {
            NaiveDate::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
        })();
        push(m.start(), m.end(), date);
    }
    for c in NUMERIC.captures_iter(line) {
        let m = c.get(0).expect("group 0 always exists");
        let date = (|| {
            let a: u32 = c[1].parse().ok()?;
            let b: u32 = c[3].parse().ok()?;
            let year = full_year(&c[4])?;
            let (day, month) = match (a > 12, b > 12, &c[2], order) {
                (true, _, _, _) => (a, b),
                (_, true, _, _) => (b, a),
                // A dotted date is always day-first, in every locale that uses dots.
                (_, _, ".", _) | (_, _, _, DateOrder::DayFirst) => (a, b),
                _ => (b, a),
            };
            NaiveDate::from_ymd_opt(year, month, day)
        })();
        push(m.start(), m.end(), date);
    }
    for c in DAY_MONTH_YEAR.captures_iter(line) {
        let m = c.get(0).expect("group 0 always exists");
        let date = (|| {
            NaiveDate::from_ymd_opt(full_year(&c[3])?, month_number(&c[2])?, c[1].parse().ok()?)
        })();
        push(m.start(), m.end(), date);
    }
    for c in MONTH_DAY_YEAR.captures_iter(line) {
        let m = c.get(0).expect("group 0 always exists");
        let date = (|| {
            NaiveDate::from_ymd_opt(full_year(&c[3])?, month_number(&c[1])?, c[2].parse().ok()?)
        })();
        push(m.start(), m.end(), date);
    }
    out.sort_by_key(|t| t.start);
    out
}

/// Parses a string that should be exactly one date.
pub fn parse_date(s: &str, order: DateOrder) -> Option<NaiveDate> {
    let s = s.trim();
    find_dates(s, order)
        .into_iter()
        .find(|t| t.start == 0 && t.end == s.len())
        .map(|t| t.value)
}

/// Infers the numeric order from dates whose parts are unambiguous (a part above 12).
pub fn infer_order(text: &str) -> Option<DateOrder> {
    let (mut day_first, mut month_first) = (0, 0);
    for c in NUMERIC.captures_iter(text) {
        if &c[2] == "." {
            continue;
        }
        let a: u32 = c[1].parse().unwrap_or(0);
        let b: u32 = c[3].parse().unwrap_or(0);
        if a > 12 && b <= 12 {
            day_first += 1;
        } else if b > 12 && a <= 12 {
            month_first += 1;
        }
    }
    match day_first.cmp(&month_first) {
        std::cmp::Ordering::Greater => Some(DateOrder::DayFirst),
        std::cmp::Ordering::Less => Some(DateOrder::MonthFirst),
        std::cmp::Ordering::Equal => None,
    }
}
