//! ABA routing transit numbers: nine digits whose last digit is a weighted checksum.

use std::fmt;
use thiserror::Error;

/// A nine-digit ABA routing number whose check digit has been verified.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoutingNumber(String);

/// Why a routing number was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RoutingError {
    /// Not exactly nine ASCII digits.
    #[error("routing number {0:?} must be exactly 9 digits")]
    Format(String),
    /// The ABA checksum (weights 3, 7, 1) does not hold.
    #[error("routing number {0} fails check digit")]
    CheckDigit(String),
}

/// True when `digits` is nine ASCII digits satisfying the ABA checksum
/// `3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10)`.
pub fn aba_checksum_ok(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    if bytes.len() != 9 || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    const WEIGHTS: [u32; 9] = [3, 7, 1, 3, 7, 1, 3, 7, 1];
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    sum.is_multiple_of(10)
}

/// Computes the check digit that completes an eight-digit DFI identification.
pub fn aba_check_digit(first_eight: &str) -> Option<u8> {
    let bytes = first_eight.as_bytes();
    if bytes.len() != 8 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    const WEIGHTS: [u32; 8] = [3, 7, 1, 3, 7, 1, 3, 7];
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    u8::try_from((10 - sum % 10) % 10).ok()
}

impl RoutingNumber {
    /// Parses nine digits (surrounding whitespace ignored) and verifies the check digit.
    pub fn parse(value: &str) -> Result<Self, RoutingError> {
        let v = value.trim();
        if v.len() != 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RoutingError::Format(v.to_string()));
        }
        if !aba_checksum_ok(v) {
            return Err(RoutingError::CheckDigit(v.to_string()));
        }
        Ok(Self(v.to_string()))
    }

    /// The nine digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first eight digits (the DFI identification used in entry hashes and traces).
    pub fn dfi_identification(&self) -> &str {
        &self.0[..8]
    }

    /// The ninth digit.
    pub fn check_digit(&self) -> &str {
        &self.0[8..]
    }
}

impl fmt::Display for RoutingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RoutingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Routing numbers identify banks, not people, so they are safe to show.
        write!(f, "RoutingNumber({})", self.0)
    }
}

impl std::str::FromStr for RoutingNumber {
    type Err = RoutingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
