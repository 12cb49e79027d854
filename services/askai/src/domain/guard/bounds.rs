//! Bounds on what one generated query may make PostgreSQL build in memory. `work_mem` caps
//! sorts and hashes, `statement_timeout` caps time and the wrapper caps returned rows; what
//! they do not cap is rows and strings the query generates itself. So `generate_series` must
//! have literal arguments and all of a query's series together at most [`MAX_SERIES_ROWS`]
//! rows; padding takes a literal length of at most [`MAX_PAD_LENGTH`]; a replacement text
//! is a short literal and only one replacing call may appear (nested or chained, they would
//! multiply a string's length).

use chrono::{NaiveDate, NaiveDateTime};
use sqlparser::ast::{
    DataType, Expr, FunctionArg, FunctionArgExpr, UnaryOperator, Value, ValueWithSpan,
};

use super::Refusal;

/// The rows of every `generate_series` of one query, multiplied together.
pub const MAX_SERIES_ROWS: u64 = 100_000;
/// Longest length `lpad`/`rpad` may pad to.
pub const MAX_PAD_LENGTH: i128 = 100;
/// Longest replacement text of `replace`/`regexp_replace`.
pub const MAX_REPLACEMENT_CHARS: usize = 64;
/// Replacing calls per query.
pub const MAX_REPLACING_CALLS: usize = 1;

fn refuse<T>(reason: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(reason.into()))
}

/// The plain expressions of a call's arguments; named arguments and wildcards are refused.
pub fn plain_args(args: &[FunctionArg]) -> Result<Vec<&Expr>, Refusal> {
    args.iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e),
            _ => refuse("only plain arguments are allowed here"),
        })
        .collect()
}

/// The number of rows `generate_series(args)` yields, when every argument is a literal.
pub fn series_rows(args: &[&Expr]) -> Result<u64, Refusal> {
    let (start, stop, step) = match args {
        [start, stop] => (*start, *stop, None),
        [start, stop, step] => (*start, *stop, Some(*step)),
        _ => return refuse("generate_series takes two or three arguments"),
    };
    if let (Some(a), Some(b)) = (integer(start), integer(stop)) {
        let step = match step {
            None => 1,
            Some(s) => integer(s).ok_or_else(|| {
                Refusal("generate_series with integer bounds needs an integer literal step".into())
            })?,
        };
        return count(a, b, step);
    }
    let (Some(a), Some(b)) = (instant(start), instant(stop)) else {
        return refuse("generate_series bounds must be integer, date or timestamp literals");
    };
    let step = step
        .and_then(interval_seconds)
        .ok_or_else(|| Refusal("a date series needs a literal interval step".into()))?;
    let span = i128::from((b - a).num_seconds());
    count(0, span, step)
}

fn count(start: i128, stop: i128, step: i128) -> Result<u64, Refusal> {
    if step == 0 {
        return refuse("generate_series step must not be zero");
    }
    let span = stop - start;
    if span != 0 && (span < 0) != (step < 0) {
        return Ok(0);
    }
    let rows = span / step + 1;
    Ok(u64::try_from(rows).unwrap_or(u64::MAX))
}

/// `lpad`/`rpad`: the length must be a literal no greater than [`MAX_PAD_LENGTH`].
pub fn pad(args: &[&Expr]) -> Result<(), Refusal> {
    match args.get(1).and_then(|e| integer(e)) {
        Some(n) if n <= MAX_PAD_LENGTH => Ok(()),
        Some(_) => refuse(format!("padding beyond {MAX_PAD_LENGTH} characters")),
        None => refuse("padding length must be an integer literal"),
    }
}

/// `replace(s, from, to)` / `regexp_replace(s, pattern, to [, flags])`: `to` must be a short
/// string literal.
pub fn replacement(args: &[&Expr]) -> Result<(), Refusal> {
    match args.get(2).and_then(|e| string(e)) {
        Some(to) if to.chars().count() <= MAX_REPLACEMENT_CHARS => Ok(()),
        Some(_) => refuse(format!(
            "replacement text longer than {MAX_REPLACEMENT_CHARS} characters"
        )),
        None => refuse("replacement text must be a string literal"),
    }
}

fn integer(e: &Expr) -> Option<i128> {
    match e {
        Expr::Value(ValueWithSpan {
            value: Value::Number(n, _),
            ..
        }) => n.to_string().parse().ok(),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => integer(expr).map(|n| -n),
        Expr::UnaryOp {
            op: UnaryOperator::Plus,
            expr,
        }
        | Expr::Nested(expr) => integer(expr),
        _ => None,
    }
}

fn string(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s),
            ..
        }) => Some(s),
        Expr::Nested(expr) => string(expr),
        _ => None,
    }
}

/// A date or timestamp literal: `DATE '…'`, `'…'::date`, `'…'::timestamp` or a bare string.
fn instant(e: &Expr) -> Option<NaiveDateTime> {
    let text = match e {
        Expr::TypedString(t) if is_time_type(&t.data_type) => match &t.value.value {
            Value::SingleQuotedString(s) => s.as_str(),
            _ => return None,
        },
        Expr::Cast {
            expr, data_type, ..
        } if is_time_type(data_type) => return instant(expr),
        Expr::Nested(expr) => return instant(expr),
        other => string(other)?,
    };
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok())
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").ok())
}

fn is_time_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Date | DataType::Timestamp(_, _) | DataType::Datetime(_)
    )
}

/// The shortest a literal interval can be, in seconds (a day may have 23 hours, a month 28
/// days), so the row count derived from it is an upper bound.
fn interval_seconds(e: &Expr) -> Option<i128> {
    let text = match e {
        Expr::Interval(iv) => {
            let value = string(&iv.value)
                .map(str::to_owned)
                .or_else(|| integer(&iv.value).map(|n| n.to_string()))?;
            match &iv.leading_field {
                Some(field) if iv.last_field.is_none() => format!("{value} {field}"),
                Some(_) => return None,
                None => value,
            }
        }
        Expr::TypedString(t) if matches!(t.data_type, DataType::Interval { .. }) => {
            match &t.value.value {
                Value::SingleQuotedString(s) => s.clone(),
                _ => return None,
            }
        }
        Expr::Cast {
            expr,
            data_type: DataType::Interval { .. },
            ..
        } => string(expr)?.to_owned(),
        Expr::Nested(expr) => return interval_seconds(expr),
        _ => return None,
    };
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return None;
    }
    let mut total: i128 = 0;
    for pair in words.chunks(2) {
        let n: i128 = pair[0].parse().ok()?;
        let unit = match pair[1].trim_end_matches('s') {
            "second" | "sec" => 1,
            "minute" | "min" => 60,
            "hour" => 3_600,
            "day" => 23 * 3_600,
            "week" => 7 * 23 * 3_600,
            "month" | "mon" => 28 * 23 * 3_600,
            "year" => 365 * 23 * 3_600,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    Some(total)
}
