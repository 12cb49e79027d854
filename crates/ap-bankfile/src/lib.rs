//! Bank payment files for accounts payable: NACHA ACH credits, ISO 20022 pain.001.001.09
//! credit transfers, and early-payment discount arithmetic. Pure code: no clock, no I/O.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ach;
pub mod iso20022;
pub mod money;
pub mod routing;
pub mod secret;
pub mod terms;

pub use ach::{
    AccountType, AchBatchSpec, AchCredit, AchError, AchErrorKind, AchFile, AchFileSpec,
    AchWriteError, LineEnding, ParseMode, SecCode, parse_ach, parse_ach_with, write_ach,
};
pub use iso20022::{
    AccountId, Agent, Bic, BicError, CreditTransfer, Creditor, Debtor, Iban, IbanError,
    Pain001Error, Pain001Spec, write_pain001,
};
pub use money::{Currency, MoneyError};
pub use routing::{RoutingError, RoutingNumber};
pub use secret::{AccountNumber, AccountNumberError};
pub use terms::{Discount, Payable, PaymentTerms, TermsError};
