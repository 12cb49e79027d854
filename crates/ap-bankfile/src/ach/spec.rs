//! Typed input for writing an ACH credit file: originator, batches and vendor credits.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use crate::routing::RoutingNumber;
use crate::secret::AccountNumber;

/// Kind of receiving account; decides the transaction code (22 checking, 32 savings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// Demand deposit account: transaction code 22.
    Checking,
    /// Savings account: transaction code 32.
    Savings,
}

impl AccountType {
    /// The credit transaction code for this account type.
    pub fn credit_transaction_code(self) -> u8 {
        match self {
            AccountType::Checking => 22,
            AccountType::Savings => 32,
        }
    }
}

/// Standard entry class codes the writer produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecCode {
    /// Corporate credit or debit: one optional 05 addenda per entry.
    Ccd,
    /// Corporate trade exchange: the entry counts its addenda and names the receiver in 16 chars.
    Ctx,
}

impl SecCode {
    /// The three-letter code.
    pub fn as_str(self) -> &'static str {
        match self {
            SecCode::Ccd => "CCD",
            SecCode::Ctx => "CTX",
        }
    }
}

/// Line terminator between records. NACHA itself only defines 94-character records;
/// `\n` is the default because most ODFI upload portals and SFTP drops accept it and it
/// keeps files byte-identical across platforms. Some banks insist on CRLF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnding {
    /// `\n` after every record.
    #[default]
    Lf,
    /// `\r\n` after every record.
    CrLf,
}

impl LineEnding {
    /// The terminator text.
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
        }
    }
}

/// One credit to a vendor's bank account.
#[derive(Debug, Clone, PartialEq)]
pub struct AchCredit {
    /// Receiver (vendor) name; sanitised and cut to the field width (22, or 16 for CTX).
    pub name: String,
    /// Receiving DFI routing number.
    pub routing: RoutingNumber,
    /// Receiving account (at most 17 characters in NACHA).
    pub account: AccountNumber,
    /// Checking or savings.
    pub account_type: AccountType,
    /// Amount in dollars; must be positive with at most 2 decimals.
    pub amount: Decimal,
    /// Vendor identification number (at most 15 characters).
    pub id_number: String,
    /// Remittance text (invoice numbers) for the 05 addenda; at most 80 characters after
    /// sanitising. Empty means no addenda record.
    pub remittance: String,
}

/// One batch: one company, one effective date, one SEC code.
#[derive(Debug, Clone, PartialEq)]
pub struct AchBatchSpec {
    /// Originator name (16 characters).
    pub company_name: String,
    /// Company discretionary data (20 characters, usually blank).
    pub company_discretionary_data: String,
    /// Company identification (10 characters, often `1` + EIN).
    pub company_id: String,
    /// CCD or CTX.
    pub sec_code: SecCode,
    /// Company entry description shown to the receiver (10 characters), e.g. `VENDOR PAY`.
    pub entry_description: String,
    /// Company descriptive date (6 characters, free text, usually blank).
    pub descriptive_date: String,
    /// Date the originator wants the credits to settle.
    pub effective_entry_date: NaiveDate,
    /// Originating DFI; its first eight digits prefix every trace number.
    pub odfi: RoutingNumber,
    /// The credits; a batch must have at least one.
    pub credits: Vec<AchCredit>,
}

/// A whole file: header fields and batches. The creation time is passed in so the output
/// is a pure function of the input.
#[derive(Debug, Clone, PartialEq)]
pub struct AchFileSpec {
    /// Immediate destination (usually the ODFI or its processor).
    pub immediate_destination: RoutingNumber,
    /// Immediate origin.
    pub immediate_origin: RoutingNumber,
    /// Name of the destination bank (23 characters).
    pub immediate_destination_name: String,
    /// Name of the originator (23 characters).
    pub immediate_origin_name: String,
    /// File creation date and time (minutes are kept).
    pub file_creation: NaiveDateTime,
    /// `A`–`Z` or `0`–`9`; distinguishes files created on the same day.
    pub file_id_modifier: char,
    /// Reference code (8 characters, optional).
    pub reference_code: String,
    /// Record terminator.
    pub line_ending: LineEnding,
    /// Batches in order; batch numbers are assigned 1, 2, 3…
    pub batches: Vec<AchBatchSpec>,
}
