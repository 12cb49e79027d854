//! NACHA ACH files: typed input for the credit writer, typed records from the parser, and
//! the validation rules both sides share.

mod decode;
mod error;
mod parser;
mod record;
mod spec;
mod text;
mod writer;

pub use error::{AchError, AchErrorKind, AchWriteError};
pub use parser::{ParseMode, parse_ach, parse_ach_with};
pub use record::{
    AchFile, Addenda, Batch, BatchControl, BatchHeader, Entry, FileControl, FileHeader,
    TransactionCode,
};
pub use spec::{AccountType, AchBatchSpec, AchCredit, AchFileSpec, LineEnding, SecCode};
pub use text::sanitize;
pub use writer::write_ach;

/// Every NACHA record is exactly this many characters.
pub const RECORD_LEN: usize = 94;
/// Records per block; files are padded with all-`9` records to a multiple of this.
pub const BLOCKING_FACTOR: usize = 10;

/// Entry hash: the sum of the eight-digit receiving DFI identifications, keeping only the
/// last ten digits (the field is ten wide and overflow is expected on large files).
pub(crate) fn fold_entry_hash(acc: u64, dfi: u64) -> u64 {
    (acc + dfi) % 10_000_000_000
}
