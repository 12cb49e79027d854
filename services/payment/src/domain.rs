//! Pure payment rules: methods and run states, which invoices a run takes (due dates,
//! early-payment discounts, exclusions), and the bank file a run produces. No I/O.

pub mod files;
pub mod selection;

use std::fmt;
use std::str::FromStr;

/// How a payment reaches the vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Ach,
    Wire,
    Check,
}

impl Method {
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Ach => "ACH",
            Method::Wire => "WIRE",
            Method::Check => "CHECK",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ACH" => Ok(Method::Ach),
            "WIRE" => Ok(Method::Wire),
            "CHECK" => Ok(Method::Check),
            _ => Err(()),
        }
    }
}

/// The file a run produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// NACHA ACH credits (CCD or CTX): USD paid by ACH.
    Nacha,
    /// ISO 20022 pain.001.001.09 credit transfers: wires, and ACH-style transfers outside the
    /// US (SEPA for EUR).
    Pain001,
    /// A CSV check register for the cheque printer: no bank details needed.
    CheckRegister,
}

impl FileFormat {
    /// NACHA for USD by ACH; pain.001 for wires and any other currency; a check register for
    /// checks.
    pub fn for_run(currency: &str, method: Method) -> Self {
        match (method, currency) {
            (Method::Check, _) => FileFormat::CheckRegister,
            (Method::Ach, "USD") => FileFormat::Nacha,
            _ => FileFormat::Pain001,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            FileFormat::Nacha => "nacha",
            FileFormat::Pain001 => "pain.001",
            FileFormat::CheckRegister => "check-register",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            FileFormat::Nacha,
            FileFormat::Pain001,
            FileFormat::CheckRegister,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }

    pub const fn content_type(self) -> &'static str {
        match self {
            FileFormat::Nacha => "text/plain; charset=us-ascii",
            FileFormat::Pain001 => "application/xml",
            FileFormat::CheckRegister => "text/csv; charset=utf-8",
        }
    }

    pub const fn extension(self) -> &'static str {
        match self {
            FileFormat::Nacha => "ach",
            FileFormat::Pain001 => "xml",
            FileFormat::CheckRegister => "csv",
        }
    }
}

/// A run's lifecycle: draft → approved → executed; draft or approved → cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Draft,
    Approved,
    Executed,
    Cancelled,
}

impl RunStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            RunStatus::Draft => "draft",
            RunStatus::Approved => "approved",
            RunStatus::Executed => "executed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            RunStatus::Draft,
            RunStatus::Approved,
            RunStatus::Executed,
            RunStatus::Cancelled,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    /// Draft and approved runs hold their invoices.
    pub const fn is_open(self) -> bool {
        matches!(self, RunStatus::Draft | RunStatus::Approved)
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usd_ach_is_nacha_wires_and_other_currencies_are_pain001_checks_a_register() {
        assert_eq!(FileFormat::for_run("USD", Method::Ach), FileFormat::Nacha);
        assert_eq!(
            FileFormat::for_run("USD", Method::Wire),
            FileFormat::Pain001
        );
        assert_eq!(FileFormat::for_run("EUR", Method::Ach), FileFormat::Pain001);
        assert_eq!(
            FileFormat::for_run("GBP", Method::Wire),
            FileFormat::Pain001
        );
        assert_eq!(
            FileFormat::for_run("USD", Method::Check),
            FileFormat::CheckRegister
        );
    }
}
