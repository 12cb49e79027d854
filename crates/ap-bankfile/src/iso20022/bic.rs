//! Business Identifier Codes (ISO 9362): 8 or 11 characters in the shape the
//! pain.001.001.09 schema's BICFIDec2014Identifier pattern accepts.

use std::fmt;
use thiserror::Error;

/// A BIC in upper case, 8 or 11 characters.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Bic(String);

/// Why a BIC was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BicError {
    /// Not 8 or 11 characters.
    #[error("bic {0:?} must be 8 or 11 characters")]
    Length(String),
    /// Wrong characters for one of the parts.
    #[error(
        "bic {0:?} must be 4 letters or digits, a 2-letter country code, 2 letters or digits and an optional 3-character branch"
    )]
    Format(String),
}

impl Bic {
    /// Parses a BIC, ignoring surrounding whitespace and case.
    pub fn parse(value: &str) -> Result<Self, BicError> {
        let bic = value.trim().to_ascii_uppercase();
        if bic.len() != 8 && bic.len() != 11 {
            return Err(BicError::Length(bic));
        }
        let b = bic.as_bytes();
        let ok =
            b.iter().all(u8::is_ascii_alphanumeric) && b[4..6].iter().all(u8::is_ascii_uppercase);
        if !ok {
            return Err(BicError::Format(bic));
        }
        Ok(Self(bic))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// ISO 3166 country code (characters 5–6).
    pub fn country(&self) -> &str {
        &self.0[4..6]
    }
}

impl fmt::Display for Bic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Bic {
    type Err = BicError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
