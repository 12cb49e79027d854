//! ISO 20022 customer credit transfer initiation (pain.001.001.09): account and bank
//! identifiers, typed input, and the XML writer.

mod bic;
mod iban;
mod spec;
mod writer;
mod xml;

pub use bic::{Bic, BicError};
pub use iban::{Iban, IbanError};
pub use spec::{AccountId, Agent, CreditTransfer, Creditor, Debtor, Pain001Error, Pain001Spec};
pub use writer::write_pain001;

/// XML namespace of the message version this crate writes.
pub const PAIN001_NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";
