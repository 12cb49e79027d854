//! Bank account numbers, which are secrets in accounts payable: their `Debug` never
//! prints the digits, and there is deliberately no `Display`.

use std::fmt;
use thiserror::Error;

/// A bank account number. Read it with [`AccountNumber::expose`] only where it must be
/// written into a bank file.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AccountNumber(String);

/// Why an account number was refused. Messages never repeat the number itself.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AccountNumberError {
    /// Nothing left after trimming.
    #[error("account number is empty")]
    Empty,
    /// Longer than the 34 characters any supported format allows.
    #[error("account number is {0} characters long; at most 34 are allowed")]
    TooLong(usize),
    /// Contains something other than letters, digits or hyphens.
    #[error("account number contains a character other than letters, digits or '-'")]
    Characters,
}

impl AccountNumber {
    /// Accepts letters, digits and hyphens (as banks print them), upper-cased, 1–34 chars.
    pub fn new(value: &str) -> Result<Self, AccountNumberError> {
        let v = value.trim();
        if v.is_empty() {
            return Err(AccountNumberError::Empty);
        }
        let len = v.chars().count();
        if len > 34 {
            return Err(AccountNumberError::TooLong(len));
        }
        if !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(AccountNumberError::Characters);
        }
        Ok(Self(v.to_ascii_uppercase()))
    }

    /// Wraps whatever a received bank file carried, without judging its characters.
    pub(crate) fn from_file(value: &str) -> Self {
        Self(value.trim().to_string())
    }

    /// The account number itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Number of characters.
    pub fn len(&self) -> usize {
        self.0.chars().count()
    }

    /// True when empty (only possible for numbers read from a received file).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The last four characters behind asterisks, for showing to a person.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        // Short numbers would be fully revealed by "last four", so hide them entirely.
        let keep = if chars.len() <= 4 {
            chars.len()
        } else {
            chars.len() - 4
        };
        chars
            .iter()
            .enumerate()
            .map(|(i, c)| if i < keep { '*' } else { *c })
            .collect()
    }
}

impl fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccountNumber(<redacted>)")
    }
}
