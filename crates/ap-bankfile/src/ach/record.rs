//! Typed NACHA records as read back from a file, with the totals a reader usually wants.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::spec::LineEnding;
use crate::money::{Currency, from_minor_units};
use crate::secret::AccountNumber;

/// A parsed and validated NACHA file.
#[derive(Debug, Clone, PartialEq)]
pub struct AchFile {
    /// File header (record type 1).
    pub header: FileHeader,
    /// Batches in file order.
    pub batches: Vec<Batch>,
    /// File control (record type 9).
    pub control: FileControl,
    /// Terminator found after the first record.
    pub line_ending: LineEnding,
    /// Physical records including padding.
    pub record_count: usize,
}

impl AchFile {
    /// Entry detail records across all batches (addenda not counted).
    pub fn entry_count(&self) -> usize {
        self.batches.iter().map(|b| b.entries.len()).sum()
    }

    /// Sum of credit entries, in cents.
    pub fn total_credit_cents(&self) -> u64 {
        self.control.total_credit_cents
    }

    /// Sum of debit entries, in cents.
    pub fn total_debit_cents(&self) -> u64 {
        self.control.total_debit_cents
    }

    /// Sum of credit entries in dollars.
    pub fn total_credit(&self) -> Decimal {
        from_minor_units(self.total_credit_cents(), Currency::Usd)
    }

    /// All entries in file order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.batches.iter().flat_map(|b| b.entries.iter())
    }
}

/// Record type 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeader {
    /// Priority code, normally `01`.
    pub priority_code: String,
    /// Immediate destination as written (10 characters, usually a space and 9 digits).
    pub immediate_destination: String,
    /// Immediate origin as written (10 characters).
    pub immediate_origin: String,
    /// YYMMDD.
    pub creation_date: String,
    /// HHMM (may be blank).
    pub creation_time: String,
    /// `A`–`Z` or `0`–`9`.
    pub file_id_modifier: char,
    /// Destination bank name.
    pub immediate_destination_name: String,
    /// Originator name.
    pub immediate_origin_name: String,
    /// Reference code.
    pub reference_code: String,
}

/// A batch: header, entries with their addenda, control.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Record type 5.
    pub header: BatchHeader,
    /// Record types 6 and 7.
    pub entries: Vec<Entry>,
    /// Record type 8.
    pub control: BatchControl,
}

/// Record type 5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchHeader {
    /// 200 mixed, 220 credits only, 225 debits only.
    pub service_class: u16,
    /// Originator name.
    pub company_name: String,
    /// Company discretionary data.
    pub company_discretionary_data: String,
    /// Company identification.
    pub company_id: String,
    /// Standard entry class code (CCD, CTX, PPD…).
    pub sec_code: String,
    /// Company entry description.
    pub entry_description: String,
    /// Company descriptive date.
    pub descriptive_date: String,
    /// YYMMDD.
    pub effective_entry_date: String,
    /// Settlement date (Julian, inserted by the ACH operator; usually blank).
    pub settlement_date: String,
    /// Originator status code.
    pub originator_status: char,
    /// Eight-digit originating DFI identification.
    pub odfi: String,
    /// Batch number.
    pub batch_number: u32,
}

impl BatchHeader {
    /// Effective entry date as a calendar date (years 2000–2099), if it is one.
    pub fn effective_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&format!("20{}", self.effective_entry_date), "%Y%m%d").ok()
    }
}

/// A two-digit ACH transaction code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransactionCode(pub u8);

impl TransactionCode {
    /// Credits: second digit 1–4 (return/NOC, live, prenote, zero-dollar).
    pub fn is_credit(self) -> bool {
        (1..=4).contains(&(self.0 % 10))
    }

    /// Debits: second digit 6–9.
    pub fn is_debit(self) -> bool {
        (6..=9).contains(&(self.0 % 10))
    }

    /// Account families 2x checking, 3x savings, 4x general ledger, 5x loan.
    pub fn is_known(self) -> bool {
        (2..=5).contains(&(self.0 / 10)) && (self.is_credit() || self.is_debit())
    }
}

/// Record type 6 with its addenda.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Transaction code.
    pub transaction_code: TransactionCode,
    /// Nine-digit receiving DFI routing number (checksum verified).
    pub routing: String,
    /// DFI account number.
    pub account: AccountNumber,
    /// Amount in cents.
    pub amount_cents: u64,
    /// Identification number.
    pub id_number: String,
    /// Receiver name (individual or company).
    pub name: String,
    /// Discretionary data.
    pub discretionary_data: String,
    /// Whether addenda follow.
    pub addenda_indicator: bool,
    /// Fifteen-digit trace number.
    pub trace_number: String,
    /// Record type 7s that follow.
    pub addenda: Vec<Addenda>,
}

impl Entry {
    /// Amount in dollars.
    pub fn amount(&self) -> Decimal {
        from_minor_units(self.amount_cents, Currency::Usd)
    }
}

/// Record type 7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addenda {
    /// Addenda type code (05 for payment-related information).
    pub type_code: String,
    /// Payment related information (trailing spaces removed).
    pub payment_related_information: String,
    /// 1-based addenda sequence number.
    pub sequence: u32,
    /// Last seven digits of the entry's trace number.
    pub entry_detail_sequence: u32,
}

/// Record type 8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchControl {
    /// Service class code.
    pub service_class: u16,
    /// Entries plus addenda.
    pub entry_addenda_count: u64,
    /// Entry hash.
    pub entry_hash: u64,
    /// Debit total in cents.
    pub total_debit_cents: u64,
    /// Credit total in cents.
    pub total_credit_cents: u64,
    /// Company identification.
    pub company_id: String,
    /// ODFI identification.
    pub odfi: String,
    /// Batch number.
    pub batch_number: u32,
}

/// Record type 9.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileControl {
    /// Number of batches.
    pub batch_count: u64,
    /// Number of 10-record blocks.
    pub block_count: u64,
    /// Entries plus addenda in the file.
    pub entry_addenda_count: u64,
    /// Entry hash.
    pub entry_hash: u64,
    /// Debit total in cents.
    pub total_debit_cents: u64,
    /// Credit total in cents.
    pub total_credit_cents: u64,
}
