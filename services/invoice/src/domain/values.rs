//! Parsed, validated values: currency and country codes, tax ids, amounts, quantities, dates,
//! invoice numbers. Parse, don't validate: each constructor is the only way in.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A validation failure naming the field, in words a client can show.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Active ISO 4217 codes.
const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Currency(String);

impl Currency {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 3 && CURRENCIES.split(' ').any(|c| c == code) {
            Ok(Self(code))
        } else {
            Err(FieldError::new(
                field,
                "must be an ISO 4217 currency code such as EUR or USD",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Country(String);

impl Country {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(FieldError::new(
                field,
                "must be a two-letter ISO 3166 country code",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tax id as written, and its normalised form (upper-case, separators removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxId {
    pub raw: String,
    pub normalized: String,
}

impl TaxId {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let normalized = normalize_tax_id(raw);
        if !(4..=30).contains(&normalized.len()) {
            return Err(FieldError::new(
                field,
                "must have 4 to 30 letters or digits",
            ));
        }
        Ok(Self {
            raw: raw.to_owned(),
            normalized,
        })
    }
}

pub fn normalize_tax_id(raw: &str) -> String {
    raw.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Legal-form words that do not tell two vendors apart ("Acme Steel Inc." is "ACME STEEL").
const LEGAL_SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "ltd",
    "limited",
    "co",
    "corp",
    "corporation",
    "company",
    "plc",
    "gmbh",
    "ag",
    "kg",
    "sa",
    "sas",
    "sarl",
    "srl",
    "spa",
    "bv",
    "nv",
    "oy",
    "ab",
    "as",
    "pty",
    "pte",
    "kk",
];

/// A vendor name for near-duplicate detection: [`normalize_name`] without trailing legal-form
/// words, so "Acme Steel Inc." and "ACME STEEL, INC" compare equal. `None` when nothing but
/// a legal form is left.
pub fn vendor_name_key(raw: &str) -> Option<String> {
    let normalized = normalize_name(raw);
    let mut words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_SUFFIXES.contains(w)) {
        words.pop();
    }
    let key = words.join(" ");
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod vendor_name_key_tests {
    use super::vendor_name_key;

    #[test]
    fn case_punctuation_and_legal_forms_do_not_tell_vendors_apart() {
        let key = |n: &str| vendor_name_key(n);
        assert_eq!(key("Acme Steel Inc."), key("ACME STEEL, INC"));
        assert_eq!(key("Acme Steel Inc."), key("acme steel"));
        assert_eq!(key("Müller GmbH & Co. KG").as_deref(), Some("müller"));
        assert_ne!(key("Acme Steel"), key("Acme Steelworks"));
        // A name that is only a legal form keeps it rather than matching every other one.
        assert_eq!(key("Inc.").as_deref(), Some("inc"));
        assert_eq!(key(" ,. "), None);
    }
}

/// Upper-case alphanumerics: `inv-0042` and `INV 0042` are the same number.
pub fn normalize_invoice_number(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Lower-case words without punctuation, for vendor name and alias comparison.
pub fn normalize_name(raw: &str) -> String {
    raw.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_decimal(field: &str, raw: &str) -> Result<Decimal, FieldError> {
    let raw = raw.trim();
    // Only plain decimal notation: no exponents, thousands separators or currency signs.
    let plain = !raw.is_empty()
        && raw
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && raw.matches('.').count() <= 1;
    if !plain {
        return Err(FieldError::new(
            field,
            "must be a decimal number such as 1234.50",
        ));
    }
    let value = Decimal::from_str(raw)
        .map_err(|_| FieldError::new(field, "must be a decimal number such as 1234.50"))?;
    if value.scale() > 4 {
        return Err(FieldError::new(field, "must have at most 4 decimal places"));
    }
    // NUMERIC(18,4) holds |x| < 10^14 (99999999999999.9999 included).
    if value.abs() >= ap_types::column_limit() {
        return Err(FieldError::new(
            field,
            "is too large: amounts must be below 100000000000000",
        ));
    }
    Ok(value)
}

/// A money amount; negative allowed for credit notes.
pub fn parse_amount(field: &str, raw: &str) -> Result<Decimal, FieldError> {
    parse_decimal(field, raw)
}

pub fn parse_non_negative(field: &str, raw: &str) -> Result<Decimal, FieldError> {
    let v = parse_decimal(field, raw)?;
    if v.is_sign_negative() && !v.is_zero() {
        return Err(FieldError::new(field, "must not be negative"));
    }
    Ok(v)
}

pub fn parse_quantity(field: &str, raw: &str) -> Result<Decimal, FieldError> {
    let v = parse_decimal(field, raw)?;
    if v <= Decimal::ZERO {
        return Err(FieldError::new(field, "must be greater than zero"));
    }
    Ok(v)
}

pub fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, "must be a date in the form YYYY-MM-DD"))
}

/// The date of a goods receipt: `YYYY-MM-DD`, or (the deprecated `received_at` spelling) an
/// RFC 3339 instant, of which the UTC date is kept.
pub fn parse_date_or_instant(field: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw.trim()) {
        return Ok(t.with_timezone(&chrono::Utc).date_naive());
    }
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        FieldError::new(
            field,
            "must be a date in the form YYYY-MM-DD (or an RFC 3339 instant)",
        )
    })
}

/// The receipt date from `received_on` (a date) or the deprecated `received_at` (a date or an
/// instant); `received_on` wins when both are given and they must then name the same day.
pub fn receipt_date(received_on: &str, received_at: &str) -> Result<NaiveDate, FieldError> {
    let on = Some(received_on.trim())
        .filter(|v| !v.is_empty())
        .map(|v| parse_date("received_on", v))
        .transpose()?;
    let at = Some(received_at.trim())
        .filter(|v| !v.is_empty())
        .map(|v| parse_date_or_instant("received_at", v))
        .transpose()?;
    match (on, at) {
        (Some(on), Some(at)) if on != at => Err(FieldError::new(
            "received_on",
            "differs from received_at; give received_on only",
        )),
        (Some(d), _) | (None, Some(d)) => Ok(d),
        (None, None) => Err(FieldError::new(
            "received_on",
            "is required: the date the goods arrived (YYYY-MM-DD)",
        )),
    }
}

pub fn parse_email(field: &str, raw: &str) -> Result<String, FieldError> {
    let e = raw.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !e.chars().any(char::is_whitespace);
    if ok {
        Ok(e)
    } else {
        Err(FieldError::new(field, "must be an email address"))
    }
}

/// A required, trimmed, bounded text.
pub fn parse_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if t.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(t.to_owned())
}

/// Optional text: blank means absent.
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<Option<String>, FieldError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse_text(field, raw, max).map(Some)
    }
}

/// Net days of payment terms text ("2/10 net 30" → 30), when recognisable.
pub fn terms_net_days(terms: &str) -> Option<i32> {
    ap_bankfile::PaymentTerms::parse(terms)
        .ok()
        .and_then(|t| i32::try_from(t.net_days).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_iso_codes_in_any_case() {
        assert_eq!(
            Currency::parse("currency", " eur ").expect("eur").as_str(),
            "EUR"
        );
        assert!(Currency::parse("currency", "EURO").is_err());
        assert!(Currency::parse("currency", "XYZ").is_err());
    }

    #[test]
    fn tax_ids_normalise_separators_away() {
        let t = TaxId::parse("tax_id", "de 123.456-789").expect("valid");
        assert_eq!(t.normalized, "DE123456789");
        assert!(TaxId::parse("tax_id", "--").is_err());
    }

    #[test]
    fn amounts_are_exact_plain_decimals() {
        assert_eq!(
            parse_amount("total", "15420.00").expect("ok").to_string(),
            "15420.00"
        );
        assert_eq!(
            parse_amount("total", "-12.5").expect("ok").to_string(),
            "-12.5"
        );
        for bad in [
            "1e3",
            "1,234.00",
            "$5",
            "",
            "1.23456",
            "NaN",
            "1.2.3",
            "999999999999999999",
            "100000000000000",
            "-100000000000000",
        ] {
            assert!(parse_amount("total", bad).is_err(), "{bad}");
        }
        // The whole range of NUMERIC(18,4) is accepted.
        assert!(parse_amount("total", "99999999999999.9999").is_ok());
        assert!(parse_amount("total", "-99999999999999.9999").is_ok());
        assert!(parse_quantity("quantity", "0").is_err());
        assert!(parse_non_negative("unit_price", "-1").is_err());
    }

    #[test]
    fn numbers_and_names_normalise_for_comparison() {
        assert_eq!(normalize_invoice_number("inv-0042 / a"), "INV0042A");
        assert_eq!(normalize_name("  ACME Steel, Inc. "), "acme steel inc");
    }

    #[test]
    fn payment_terms_give_net_days() {
        assert_eq!(terms_net_days("2/10 net 30"), Some(30));
        assert_eq!(terms_net_days("NET45"), Some(45));
        assert_eq!(terms_net_days("whenever"), None);
    }
}
