//! Typed input for a pain.001.001.09 message and the errors refusing it.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use thiserror::Error;

use super::bic::Bic;
use super::iban::Iban;
use crate::money::{Currency, MoneyError};
use crate::routing::RoutingNumber;
use crate::secret::AccountNumber;

/// An account: an IBAN, or another identifier such as a US account number for a wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccountId {
    /// Written as `Id/IBAN`.
    Iban(Iban),
    /// Written as `Id/Othr/Id`.
    Other(AccountNumber),
}

/// A bank, by BIC and/or US ABA routing number (written as clearing system member USABA).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Agent {
    /// BIC, when known.
    pub bic: Option<Bic>,
    /// ABA routing number, for US wires.
    pub aba_routing: Option<RoutingNumber>,
}

impl Agent {
    /// An agent known by BIC only.
    pub fn bic(bic: Bic) -> Self {
        Self {
            bic: Some(bic),
            aba_routing: None,
        }
    }

    /// True when neither identifier is known.
    pub fn is_empty(&self) -> bool {
        self.bic.is_none() && self.aba_routing.is_none()
    }
}

/// The paying company and the account it pays from. Transfers whose debtor, currency and
/// execution date are equal share one `PmtInf` block.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Debtor {
    /// Company name.
    pub name: String,
    /// Account debited.
    pub account: AccountId,
    /// Debtor's bank; if unknown, written as `Othr/Id NOTPROVIDED`.
    pub agent: Agent,
}

/// The vendor being paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creditor {
    /// Vendor name (cut to 140 characters).
    pub name: String,
    /// Vendor account.
    pub account: AccountId,
    /// Vendor's bank, when known.
    pub agent: Option<Agent>,
}

/// One payment.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditTransfer {
    /// Instruction id, unique within the message (1–35 characters).
    pub instruction_id: String,
    /// End-to-end id carried to the vendor (1–35 characters).
    pub end_to_end_id: String,
    /// Positive amount in `currency`, at most its minor-unit decimals.
    pub amount: Decimal,
    /// Currency of the amount.
    pub currency: Currency,
    /// Requested execution date.
    pub execution_date: NaiveDate,
    /// Who pays.
    pub debtor: Debtor,
    /// Who is paid.
    pub creditor: Creditor,
    /// Unstructured remittance (invoice numbers), at most 140 characters; empty omits it.
    pub remittance: String,
}

/// A whole message. The creation time is passed in so output is deterministic.
#[derive(Debug, Clone, PartialEq)]
pub struct Pain001Spec {
    /// Message id (1–35 characters); payment information ids are derived from it.
    pub message_id: String,
    /// `CreDtTm`.
    pub created_at: NaiveDateTime,
    /// Initiating party name.
    pub initiating_party: String,
    /// `BtchBookg`: ask the bank for one debit per payment information block.
    pub batch_booking: bool,
    /// The payments.
    pub transfers: Vec<CreditTransfer>,
}

/// Why a message cannot be written. Transfer positions are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Pain001Error {
    /// No transfers.
    #[error("message has no transfers")]
    NoTransfers,
    /// Bad amount.
    #[error("transfer {index}: {source}")]
    Amount {
        /// Transfer position.
        index: usize,
        /// Money rule broken.
        source: MoneyError,
    },
    /// A required text is empty after cleaning.
    #[error("transfer {index}: {field} is empty")]
    Empty {
        /// Transfer position (0 for message-level fields).
        index: usize,
        /// Field name.
        field: &'static str,
    },
    /// An identifier or remittance exceeds its schema length.
    #[error("transfer {index}: {field} is {len} characters; at most {max} allowed")]
    TooLong {
        /// Transfer position (0 for message-level fields).
        index: usize,
        /// Field name.
        field: &'static str,
        /// Length given.
        len: usize,
        /// Maximum.
        max: usize,
    },
    /// SEPA credit transfers (EUR) need IBANs on both sides.
    #[error("transfer {index}: EUR transfers are written as SEPA and need IBAN accounts")]
    SepaNeedsIban {
        /// Transfer position.
        index: usize,
    },
    /// A count or sum does not fit the schema.
    #[error("control sum or count is too large")]
    Overflow,
}
