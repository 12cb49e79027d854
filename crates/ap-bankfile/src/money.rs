//! Exact money: ISO 4217 minor units and checked conversion between decimal amounts and
//! integer minor units. Floats never appear here.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use thiserror::Error;

/// Currencies this crate can put into a bank file. Kept deliberately small: a currency
/// whose minor unit is unknown must be refused rather than guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    /// US dollar (2 decimals).
    Usd,
    /// Euro (2 decimals).
    Eur,
    /// Pound sterling (2 decimals).
    Gbp,
    /// Swiss franc (2 decimals).
    Chf,
    /// Canadian dollar (2 decimals).
    Cad,
    /// Swedish krona (2 decimals).
    Sek,
    /// Danish krone (2 decimals).
    Dkk,
    /// Norwegian krone (2 decimals).
    Nok,
    /// Polish zloty (2 decimals).
    Pln,
    /// Japanese yen (0 decimals).
    Jpy,
    /// Bahraini dinar (3 decimals).
    Bhd,
    /// Kuwaiti dinar (3 decimals).
    Kwd,
}

const TABLE: [(Currency, &str, u32); 12] = [
    (Currency::Usd, "USD", 2),
    (Currency::Eur, "EUR", 2),
    (Currency::Gbp, "GBP", 2),
    (Currency::Chf, "CHF", 2),
    (Currency::Cad, "CAD", 2),
    (Currency::Sek, "SEK", 2),
    (Currency::Dkk, "DKK", 2),
    (Currency::Nok, "NOK", 2),
    (Currency::Pln, "PLN", 2),
    (Currency::Jpy, "JPY", 0),
    (Currency::Bhd, "BHD", 3),
    (Currency::Kwd, "KWD", 3),
];

impl Currency {
    /// Looks up an ISO 4217 alphabetic code (case-insensitive).
    pub fn from_code(code: &str) -> Result<Self, MoneyError> {
        TABLE
            .iter()
            .find(|(_, c, _)| c.eq_ignore_ascii_case(code.trim()))
            .map(|(cur, _, _)| *cur)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))
    }

    /// The ISO 4217 alphabetic code.
    pub fn code(self) -> &'static str {
        self.entry().1
    }

    /// Number of decimal places of the minor unit (2 for USD, 0 for JPY).
    pub fn minor_units(self) -> u32 {
        self.entry().2
    }

    fn entry(self) -> &'static (Currency, &'static str, u32) {
        // The table covers every variant; the fallback only keeps this total without a panic.
        TABLE
            .iter()
            .find(|(c, _, _)| *c == self)
            .unwrap_or(&TABLE[0])
    }
}

/// Why an amount cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// The currency code is not in the supported table.
    #[error("unknown or unsupported currency code {0:?}")]
    UnknownCurrency(String),
    /// Negative amounts are never valid in a payment file.
    #[error("amount {0} is negative")]
    Negative(Decimal),
    /// Zero is refused where a payment must move money.
    #[error("amount must be greater than zero")]
    Zero,
    /// More decimals than the currency's minor unit allows.
    #[error("amount {amount} has more than {max} decimal places for {currency}")]
    TooManyDecimals {
        /// The offending amount.
        amount: Decimal,
        /// Currency code.
        currency: &'static str,
        /// Allowed decimal places.
        max: u32,
    },
    /// The amount does not fit the target representation.
    #[error("amount {0} is too large")]
    Overflow(Decimal),
}

/// Whether a zero amount is acceptable for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZeroPolicy {
    /// Zero is an error (payments).
    Refuse,
    /// Zero is fine (invoice arithmetic).
    Allow,
}

/// Converts a decimal amount to integer minor units (cents for USD), refusing negatives,
/// zero when `zero` is [`ZeroPolicy::Refuse`], and sub-minor-unit precision.
pub fn to_minor_units(
    amount: Decimal,
    currency: Currency,
    zero: ZeroPolicy,
) -> Result<u64, MoneyError> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(MoneyError::Negative(amount));
    }
    if amount.is_zero() {
        return match zero {
            ZeroPolicy::Refuse => Err(MoneyError::Zero),
            ZeroPolicy::Allow => Ok(0),
        };
    }
    let max = currency.minor_units();
    if amount.normalize().scale() > max {
        return Err(MoneyError::TooManyDecimals {
            amount,
            currency: currency.code(),
            max,
        });
    }
    let factor = Decimal::from(10u64.pow(max));
    amount
        .checked_mul(factor)
        .and_then(|m| m.to_u64())
        .ok_or(MoneyError::Overflow(amount))
}

/// Checks an amount without converting it (same rules as [`to_minor_units`]).
pub fn check_amount(
    amount: Decimal,
    currency: Currency,
    zero: ZeroPolicy,
) -> Result<(), MoneyError> {
    to_minor_units(amount, currency, zero).map(|_| ())
}

/// Renders integer minor units as a plain decimal string with exactly the currency's number
/// of decimals (`1234` USD → `"12.34"`, `5` JPY → `"5"`).
pub fn format_minor_units(minor: u64, currency: Currency) -> String {
    let places = currency.minor_units();
    if places == 0 {
        return minor.to_string();
    }
    let factor = 10u64.pow(places);
    format!(
        "{}.{:0width$}",
        minor / factor,
        minor % factor,
        width = places as usize
    )
}

/// Converts integer minor units back to an exact decimal.
pub fn from_minor_units(minor: u64, currency: Currency) -> Decimal {
    Decimal::from_i128_with_scale(i128::from(minor), currency.minor_units())
}
