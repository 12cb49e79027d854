//! Errors for writing ACH files (bad input) and reading them (a named rule broken on a line).

use thiserror::Error;

use crate::money::MoneyError;

/// Why an [`crate::AchFileSpec`] cannot be written. Batch and entry positions are 1-based.
/// Messages never include account numbers.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AchWriteError {
    /// A file needs at least one batch.
    #[error("file has no batches")]
    NoBatches,
    /// A batch needs at least one credit.
    #[error("batch {batch} has no credits")]
    EmptyBatch {
        /// Batch position.
        batch: usize,
    },
    /// The amount is negative, zero, or not whole cents.
    #[error("batch {batch} entry {entry}: {source}")]
    Amount {
        /// Batch position.
        batch: usize,
        /// Entry position within the batch.
        entry: usize,
        /// The money rule broken.
        source: MoneyError,
    },
    /// An amount needs more than the ten-digit entry field ($99,999,999.99).
    #[error("batch {batch} entry {entry}: amount does not fit the 10-digit entry amount field")]
    AmountTooLarge {
        /// Batch position.
        batch: usize,
        /// Entry position within the batch.
        entry: usize,
    },
    /// The account number is longer than the 17-character DFI account field.
    #[error("batch {batch} entry {entry}: account number is {len} characters; NACHA allows 17")]
    AccountTooLong {
        /// Batch position.
        batch: usize,
        /// Entry position within the batch.
        entry: usize,
        /// Its length.
        len: usize,
    },
    /// An identifier would have to be cut to fit, which would change its meaning.
    #[error("{field} {value:?} is longer than {max} characters after sanitising")]
    FieldTooLong {
        /// Field name.
        field: &'static str,
        /// The sanitised value.
        value: String,
        /// Field width.
        max: usize,
    },
    /// A required field is empty after sanitising.
    #[error("{field} is empty after sanitising")]
    EmptyField {
        /// Field name.
        field: &'static str,
    },
    /// File id modifier must be `A`–`Z` or `0`–`9`.
    #[error("file id modifier {0:?} must be A-Z or 0-9")]
    FileIdModifier(char),
    /// A count or total does not fit its control-record field.
    #[error("{0} does not fit its control record field")]
    ControlOverflow(&'static str),
}

/// A broken rule found while parsing a NACHA file, with the 1-based line it was found on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {kind}")]
pub struct AchError {
    /// 1-based physical line number.
    pub line: usize,
    /// The rule broken.
    pub kind: AchErrorKind,
}

/// The rules a NACHA file is checked against.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AchErrorKind {
    /// The input has no records.
    #[error("file is empty")]
    Empty,
    /// Record is not exactly 94 characters (or, leniently, longer than 94).
    #[error("record is {len} characters long, expected 94")]
    RecordLength {
        /// Actual length.
        len: usize,
    },
    /// Non-ASCII bytes cannot be in a NACHA record.
    #[error("record contains a non-ASCII character")]
    NonAscii,
    /// Records out of the 1-5-6-7-8-9 order.
    #[error("expected {expected}, found record type {found:?}")]
    RecordOrder {
        /// What could come next.
        expected: &'static str,
        /// The record type character found.
        found: char,
    },
    /// A numeric field holds something else.
    #[error("{field} is not numeric: {value:?}")]
    NotNumeric {
        /// Field name.
        field: &'static str,
        /// Raw field text.
        value: String,
    },
    /// A field holds a value the format does not allow.
    #[error("{field} {value:?} is invalid: {reason}")]
    InvalidField {
        /// Field name.
        field: &'static str,
        /// Raw field text.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A routing number fails the ABA checksum.
    #[error("{field} routing number {value} fails check digit")]
    RoutingCheckDigit {
        /// Which record's routing number.
        field: &'static str,
        /// The nine digits.
        value: String,
    },
    /// A control field disagrees with what the records add up to.
    #[error("{field} is {declared} but the records add up to {computed}")]
    ControlMismatch {
        /// Control field name.
        field: &'static str,
        /// Value in the control record.
        declared: u64,
        /// Value computed from the records.
        computed: u64,
    },
    /// Batch header and batch control disagree.
    #[error("batch control {field} {control:?} does not match batch header {header:?}")]
    HeaderControlMismatch {
        /// Field name.
        field: &'static str,
        /// Value in the batch header.
        header: String,
        /// Value in the batch control.
        control: String,
    },
    /// Addenda indicator and following addenda records disagree.
    #[error("entry detail addenda indicator is {indicator} but {found} addenda record(s) follow")]
    AddendaIndicator {
        /// The indicator digit.
        indicator: char,
        /// Addenda records found.
        found: usize,
    },
    /// More addenda than the SEC code allows.
    #[error("{sec} entries allow at most {max} addenda record(s), found {found}")]
    TooManyAddenda {
        /// SEC code.
        sec: String,
        /// Maximum allowed.
        max: usize,
        /// Found.
        found: usize,
    },
    /// Addenda sequence or entry detail sequence is wrong.
    #[error("addenda {field} is {found}, expected {expected}")]
    AddendaSequence {
        /// Which sequence.
        field: &'static str,
        /// Found.
        found: u64,
        /// Expected.
        expected: u64,
    },
    /// A credit in a debits-only batch, or a debit in a credits-only batch.
    #[error("transaction code {code} is not allowed in a batch with service class {service_class}")]
    ServiceClassConflict {
        /// Entry transaction code.
        code: u8,
        /// Batch service class code.
        service_class: u16,
    },
    /// Trace numbers must start with the batch's ODFI and ascend within a batch.
    #[error("trace number {trace} {reason}")]
    TraceNumber {
        /// The trace number.
        trace: String,
        /// The rule broken.
        reason: &'static str,
    },
    /// A padding record after the file control is not 94 `9`s.
    #[error("record after the file control is not a padding record of 94 '9' characters")]
    Padding,
    /// The number of records is not a multiple of the blocking factor.
    #[error("file has {records} records, not a multiple of the blocking factor 10")]
    Blocking {
        /// Physical records including padding.
        records: usize,
    },
    /// The file ended before its file control record.
    #[error("file ends before the file control record")]
    MissingFileControl,
}
