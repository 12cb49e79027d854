//! Strict readers for the numbers and dates that e-invoices carry as text.
//!
//! Amounts are never routed through floating point: the text is validated against the
//! XML Schema `xs:decimal` lexical form and handed to [`Decimal::from_str`].

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Parses an `xs:decimal` lexical value (`-12.50`, `+3`, `.5`, `7.`) exactly.
///
/// Returns `None` for anything else: exponents, thousands separators, decimal commas,
/// blanks, or values beyond the 28 significant digits a [`Decimal`] holds.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    // Leading zeros carry no value but would count against the 28-digit budget.
    let int = int.trim_start_matches('0');
    if int.len() + frac.len() > 28 {
        return None;
    }
    let negative = text.starts_with('-');
    let int = if int.is_empty() { "0" } else { int };
    let canonical = if frac.is_empty() {
        format!("{}{int}", if negative { "-" } else { "" })
    } else {
        format!("{}{int}.{frac}", if negative { "-" } else { "" })
    };
    Decimal::from_str(&canonical).ok()
}

/// Parses an ISO 8601 calendar date as UBL writes it (`2017-11-13`, tolerating a zone suffix).
pub fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let date = text.get(..10)?;
    let rest = &text[10..];
    let zone_ok = rest.is_empty()
        || rest == "Z"
        || (rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')));
    if !zone_ok {
        return None;
    }
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

/// Parses a UN/CEFACT `DateTimeString`: format 102 is `CCYYMMDD`.
///
/// When the format attribute is absent, both 102 and ISO forms are tried because
/// some producers omit it.
pub fn parse_cefact_date(text: &str, format: Option<&str>) -> Option<NaiveDate> {
    let text = text.trim();
    match format {
        Some("102") | None if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) => {
            NaiveDate::parse_from_str(text, "%Y%m%d").ok()
        }
        None => parse_iso_date(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_decimals_exactly() {
        assert_eq!(
            parse_decimal("19.90")
                .expect("valid test input")
                .to_string(),
            "19.90"
        );
        assert_eq!(
            parse_decimal(" -0.01 ")
                .expect("valid test input")
                .to_string(),
            "-0.01"
        );
        assert_eq!(
            parse_decimal("+3").expect("valid test input").to_string(),
            "3"
        );
        assert_eq!(
            parse_decimal(".5").expect("valid test input").to_string(),
            "0.5"
        );
        assert_eq!(
            parse_decimal("7.").expect("valid test input").to_string(),
            "7"
        );
    }

    #[test]
    fn refuses_non_decimal_forms() {
        for bad in [
            "", "-", ".", "1e3", "1,5", "1 000", "NaN", "--1", "1.2.3", "0x10",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn reads_both_date_forms() {
        let d = NaiveDate::from_ymd_opt(2015, 1, 9).expect("valid test input");
        assert_eq!(parse_cefact_date("20150109", Some("102")), Some(d));
        assert_eq!(parse_iso_date("2015-01-09"), Some(d));
        assert_eq!(parse_iso_date("2015-01-09+01:00"), Some(d));
        assert_eq!(parse_cefact_date("20151309", Some("102")), None);
        assert_eq!(parse_cefact_date("201501", Some("610")), None);
    }
}
