//! Money as text on the wire: exact decimals, never floats. One place knows a currency's minor
//! unit (ISO 4217), the range the database column holds, and how an amount is written.

use rust_decimal::Decimal;

/// Decimals of the currencies that do not use two (ISO 4217 minor unit); every other code has 2.
const ZERO_DECIMALS: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];
const THREE_DECIMALS: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/// The scale of the amount columns (`NUMERIC(18,4)`): four decimals, `|x| < 10^14`.
pub const COLUMN_SCALE: u32 = 4;

/// The number of decimals of a currency's minor unit: JPY 0, USD 2, BHD 3. Unknown codes: 2.
pub fn minor_unit(currency: &str) -> u32 {
    let code = currency.trim().to_ascii_uppercase();
    if ZERO_DECIMALS.contains(&code.as_str()) {
        0
    } else if THREE_DECIMALS.contains(&code.as_str()) {
        3
    } else {
        2
    }
}

/// The smallest magnitude the amount columns cannot hold: `10^14`.
pub fn column_limit() -> Decimal {
    Decimal::from(100_000_000_000_000_i64)
}

/// Whether the amount columns (`NUMERIC(18,4)`) hold `d` exactly.
pub fn fits_column(d: Decimal) -> bool {
    d.abs() < column_limit() && d.normalize().scale() <= COLUMN_SCALE
}

/// Why a line total (`quantity × unit_price`) cannot be stored exactly, completing a sentence
/// that starts with "line total (quantity × unit_price)"; `None` when it can.
pub fn line_total_problem(quantity: Decimal, unit_price: Decimal) -> Option<String> {
    match quantity.checked_mul(unit_price) {
        Some(t) if t.abs() >= column_limit() => Some(too_large()),
        Some(t) if t.normalize().scale() > COLUMN_SCALE => Some(format!(
            "is {}, which has more than {COLUMN_SCALE} decimal places; round the quantity or the unit price",
            t.normalize()
        )),
        Some(_) => None,
        None => Some(too_large()),
    }
}

fn too_large() -> String {
    "is too large: amounts must be below 100000000000000".to_owned()
}

/// Refuses a payable amount that has more decimals than the currency's minor unit, or that the
/// column cannot hold. The message completes a sentence starting with the field name.
pub fn check_amount(d: Decimal, currency: &str) -> Result<(), String> {
    let unit = minor_unit(currency);
    if d.normalize().scale() > unit {
        return Err(format!(
            "must have at most {unit} decimal places for {}",
            currency.trim().to_ascii_uppercase()
        ));
    }
    if d.abs() >= column_limit() {
        return Err("is too large: amounts must be below 100000000000000".to_owned());
    }
    Ok(())
}

/// An amount in a currency, written with the currency's scale: `100` JPY → `"100"`,
/// `740` USD → `"740.00"`, `1` BHD → `"1.000"`. A value that carries more decimals than the
/// currency (a unit price of `0.0125`) keeps them: formatting never rounds.
pub fn amount_text(d: Decimal, currency: &str) -> String {
    let mut d = d.normalize();
    let unit = minor_unit(currency);
    if d.scale() < unit {
        d.rescale(unit);
    }
    d.to_string()
}

/// At least the two decimals of most currencies, more when the value has them:
/// `15420` → `"15420.00"`, `1.2345` → `"1.2345"`. Prefer [`amount_text`] where the currency
/// is known.
pub fn money_text(d: Decimal) -> String {
    amount_text(d, "")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    #[test]
    fn a_line_total_is_refused_for_its_real_reason() {
        let d = |t: &str| Decimal::from_str(t).unwrap();
        assert_eq!(line_total_problem(d("2"), d("0.0125")), None);
        let fine = line_total_problem(d("0.0001"), d("0.01")).expect("too fine");
        assert!(
            fine.contains("0.000001") && fine.contains("decimal places"),
            "{fine}"
        );
        let big = line_total_problem(d("99999999999999"), d("9999999999999.99")).expect("big");
        assert!(big.contains("too large"), "{big}");
    }

    use proptest::prelude::*;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn amounts_are_written_with_the_currency_scale() {
        assert_eq!(amount_text(d("100"), "JPY"), "100");
        assert_eq!(amount_text(d("740"), "USD"), "740.00");
        assert_eq!(amount_text(d("740.0000"), "USD"), "740.00");
        assert_eq!(amount_text(d("1"), "BHD"), "1.000");
        assert_eq!(amount_text(d("1.234"), "bhd"), "1.234");
        assert_eq!(amount_text(d("0.0125"), "USD"), "0.0125");
        assert_eq!(money_text(d("15420")), "15420.00");
    }

    #[test]
    fn an_amount_finer_than_the_minor_unit_is_refused_naming_the_currency() {
        assert_eq!(
            check_amount(d("100.55"), "JPY"),
            Err("must have at most 0 decimal places for JPY".to_owned())
        );
        assert!(check_amount(d("100"), "JPY").is_ok());
        assert!(check_amount(d("100.5500"), "USD").is_ok());
        assert!(check_amount(d("1.234"), "BHD").is_ok());
        assert!(check_amount(d("1.2345"), "BHD").is_err());
    }

    #[test]
    fn an_amount_beyond_the_column_range_is_refused() {
        assert!(check_amount(d("99999999999999.99"), "USD").is_ok());
        assert!(check_amount(d("100000000000000"), "USD").is_err());
        assert!(check_amount(d("-100000000000000"), "USD").is_err());
        assert!(!fits_column(d("999999999999989000000000000")));
        assert!(!fits_column(d("1.00001")));
    }

    fn currency() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just("JPY"),
            Just("USD"),
            Just("EUR"),
            Just("BHD"),
            Just("KWD"),
            Just("KRW")
        ]
    }

    proptest! {
        /// Any amount the column holds at the currency's scale, large or small, comes out of
        /// parse → validate → format with the same value, and its text parses back to itself.
        #[test]
        fn amounts_round_trip_unchanged_through_parse_validate_format(
            units in -99_999_999_999_999_i64..=99_999_999_999_999_i64,
            fraction in 0_u32..1000,
            cur in currency(),
        ) {
            let unit = minor_unit(cur);
            let frac = i64::from(fraction % 10_u32.pow(unit));
            let sign = if units < 0 { -1 } else { 1 };
            let value = Decimal::from(units) + Decimal::new(sign * frac, unit);
            prop_assume!(value.abs() < column_limit());
            let parsed = Decimal::from_str(&value.to_string()).unwrap_or_default();
            prop_assert!(check_amount(parsed, cur).is_ok());
            let text = amount_text(parsed, cur);
            prop_assert_eq!(Decimal::from_str(&text).unwrap_or_default(), value);
            prop_assert_eq!(amount_text(Decimal::from_str(&text).unwrap_or_default(), cur), text.clone());
            let scale = text.split_once('.').map_or(0, |(_, f)| f.len());
            prop_assert_eq!(scale as u32, unit);
        }

        /// A value with more decimals than the currency allows is refused, never rounded.
        #[test]
        fn finer_amounts_are_refused(units in 0_i64..1_000_000, cur in currency()) {
            let unit = minor_unit(cur);
            let value = Decimal::from(units) + Decimal::new(1, unit + 1);
            prop_assert!(check_amount(value, cur).is_err());
        }
    }
}
