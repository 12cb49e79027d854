//! Property tests for amount and date parsing.

use ap_einvoice::{parse_cefact_date, parse_decimal, parse_iso_date};
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

proptest! {
    /// Any `int.frac` text reads back to exactly integer-part × 10^n + fraction.
    #[test]
    fn decimal_text_is_read_exactly(negative: bool, int in 0u64..1_000_000_000_000_000, frac in "[0-9]{0,10}") {
        let text = if frac.is_empty() { format!("{}{int}", if negative { "-" } else { "" }) }
            else { format!("{}{int}.{frac}", if negative { "-" } else { "" }) };
        let scale = frac.len() as u32;
        let frac_value: i128 = if frac.is_empty() { 0 } else { frac.parse().expect("digits") };
        let mut mantissa = i128::from(int) * 10i128.pow(scale) + frac_value;
        if negative { mantissa = -mantissa; }
        let expected = Decimal::from_i128_with_scale(mantissa, scale);
        let parsed = parse_decimal(&text).expect("valid decimal text");
        prop_assert_eq!(parsed, expected);
        prop_assert_eq!(parsed.scale(), scale, "trailing zeros are kept as written");
    }

    /// A decimal printed by rust_decimal reads back to itself.
    #[test]
    fn displayed_decimals_round_trip(mantissa: i64, scale in 0u32..=12) {
        let d = Decimal::new(mantissa, scale);
        prop_assert_eq!(parse_decimal(&d.to_string()), Some(d));
    }

    /// Arbitrary text never panics, and whatever is accepted is plain digits with one point.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        if parse_decimal(&text).is_some() {
            let t = text.trim();
            let body = t.strip_prefix(['-', '+']).unwrap_or(t);
            prop_assert!(body.chars().all(|c| c.is_ascii_digit() || c == '.'));
            prop_assert!(body.matches('.').count() <= 1);
        }
        let _ = parse_iso_date(&text);
        let _ = parse_cefact_date(&text, Some("102"));
        let _ = parse_cefact_date(&text, None);
    }

    /// Exponents, grouping and decimal commas are refused instead of being guessed.
    #[test]
    fn localised_or_scientific_forms_are_refused(int in 1u32..100_000, frac in 1u32..100) {
        let exponent = format!("{int}e{frac}");
        let comma = format!("{int},{frac}");
        let grouped = format!("1 {int:03}");
        prop_assert_eq!(parse_decimal(&exponent), None);
        prop_assert_eq!(parse_decimal(&comma), None);
        prop_assert_eq!(parse_decimal(&grouped), None);
    }

    /// Both date forms read every valid calendar date.
    #[test]
    fn dates_round_trip(days in 0i64..100_000) {
        let date = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Days::new(days as u64);
        prop_assert_eq!(parse_iso_date(&date.format("%Y-%m-%d").to_string()), Some(date));
        prop_assert_eq!(parse_cefact_date(&date.format("%Y%m%d").to_string(), Some("102")), Some(date));
    }
}

#[test]
fn more_than_28_significant_digits_are_refused_not_rounded() {
    assert!(parse_decimal("1234567890123456789012345678").is_some());
    assert_eq!(parse_decimal("12345678901234567890123456789"), None);
    assert_eq!(parse_decimal("0.12345678901234567890123456789"), None);
    assert!(parse_decimal("0000000000000000000000000000001.5").is_some());
}
