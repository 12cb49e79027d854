//! International Bank Account Numbers: format, known country lengths and the mod-97 check.

use std::fmt;
use thiserror::Error;

/// A validated IBAN in electronic form (no spaces, upper case). `Debug` masks it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Iban(String);

/// Why an IBAN was refused. Messages never repeat the full IBAN.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IbanError {
    /// Outside 15–34 characters.
    #[error("iban is {0} characters long; expected 15 to 34")]
    Length(usize),
    /// Does not start with two letters and two digits, or has other characters.
    #[error("iban must be two letters, two check digits and up to 30 letters or digits")]
    Format,
    /// Wrong length for a country whose IBAN length is known.
    #[error("iban for country {country} must be {expected} characters, not {actual}")]
    CountryLength {
        /// Country code.
        country: String,
        /// Length for that country.
        expected: usize,
        /// Length given.
        actual: usize,
    },
    /// The mod-97 check fails.
    #[error("iban check digits do not match (mod-97)")]
    Checksum,
}

/// IBAN lengths for the countries AP payments most often go to; other countries are
/// checked for format and mod-97 only.
const COUNTRY_LENGTHS: [(&str, usize); 24] = [
    ("AT", 20),
    ("BE", 16),
    ("CH", 21),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GR", 27),
    ("HU", 28),
    ("IE", 22),
    ("IT", 27),
    ("LI", 21),
    ("LU", 20),
    ("MC", 27),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("SE", 24),
    ("SK", 24),
];

impl Iban {
    /// Parses an IBAN, ignoring spaces and case (as printed on invoices).
    pub fn parse(value: &str) -> Result<Self, IbanError> {
        let iban: String = value
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let len = iban.chars().count();
        if !(15..=34).contains(&len) {
            return Err(IbanError::Length(len));
        }
        let b = iban.as_bytes();
        let shape = b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..4].iter().all(u8::is_ascii_digit)
            && b[4..].iter().all(u8::is_ascii_alphanumeric);
        if !shape {
            return Err(IbanError::Format);
        }
        if let Some((country, expected)) = COUNTRY_LENGTHS.iter().find(|(c, _)| *c == &iban[..2])
            && *expected != len
        {
            return Err(IbanError::CountryLength {
                country: (*country).to_string(),
                expected: *expected,
                actual: len,
            });
        }
        if mod97(&iban) != 1 {
            return Err(IbanError::Checksum);
        }
        Ok(Self(iban))
    }

    /// Electronic form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// ISO 3166 country code.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }
}

/// Moves the first four characters to the end, maps letters to 10–35 and reduces mod 97
/// digit by digit so no big integers are needed.
fn mod97(iban: &str) -> u32 {
    let rearranged = iban[4..].bytes().chain(iban[..4].bytes());
    let mut rem: u32 = 0;
    for b in rearranged {
        if b.is_ascii_digit() {
            rem = (rem * 10 + u32::from(b - b'0')) % 97;
        } else {
            rem = (rem * 100 + u32::from(b - b'A') + 10) % 97;
        }
    }
    rem
}

impl fmt::Debug for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An IBAN is an account number; show only what a person needs to recognise it.
        let tail = &self.0[self.0.len() - 4..];
        write!(f, "Iban({}…{})", &self.0[..2], tail)
    }
}

impl std::str::FromStr for Iban {
    type Err = IbanError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
