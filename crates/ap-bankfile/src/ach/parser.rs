//! Reads a NACHA file into typed records and checks everything the writer guarantees:
//! record length and order, counts, totals, entry hashes, blocking and padding, routing
//! check digits, addenda indicators and trace numbers.

use std::borrow::Cow;

mod batch;

use super::decode::{self, Rec};
use super::error::{AchError, AchErrorKind};
use super::record::{AchFile, Batch};
use super::spec::LineEnding;
use super::{BLOCKING_FACTOR, RECORD_LEN, fold_entry_hash};

/// How strictly record length is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParseMode {
    /// Records shorter than 94 characters are taken to have lost trailing spaces (some
    /// tools and mail gateways trim them) and are padded back. Everything else is checked.
    #[default]
    Lenient,
    /// Every record must be exactly 94 characters.
    Strict,
}

/// Parses and validates leniently (see [`ParseMode::Lenient`]).
pub fn parse_ach(input: &str) -> Result<AchFile, AchError> {
    parse_ach_with(input, ParseMode::Lenient)
}

/// Parses and validates a NACHA file. Accepts `\n` or `\r\n` terminators, with or without
/// one after the last record.
pub fn parse_ach_with(input: &str, mode: ParseMode) -> Result<AchFile, AchError> {
    let line_ending = if input.split('\n').next().is_some_and(|l| l.ends_with('\r')) {
        LineEnding::CrLf
    } else {
        LineEnding::Lf
    };
    let lines = split_records(input, mode)?;
    let recs: Vec<Rec<'_>> = lines
        .iter()
        .map(|(line, text)| Rec { line: *line, text })
        .collect();
    let mut cursor = Cursor {
        recs: &recs,
        pos: 0,
    };

    let first = cursor.next().ok_or(AchError {
        line: 1,
        kind: AchErrorKind::Empty,
    })?;
    expect_type(&first, '1', "file header (record type 1)")?;
    let header = decode::file_header(&first)?;

    let mut batches = Vec::new();
    let control_rec = loop {
        let rec = cursor.next().ok_or_else(|| end_error(&recs))?;
        match type_of(&rec) {
            '5' => {
                let batch = batch::parse_batch(&rec, &mut cursor, &recs)?;
                if let Some(prev) = batches.last().map(|b: &Batch| b.header.batch_number)
                    && batch.header.batch_number <= prev
                {
                    return Err(rec.err(AchErrorKind::InvalidField {
                        field: "batch number",
                        value: batch.header.batch_number.to_string(),
                        reason: "batch numbers must ascend",
                    }));
                }
                batches.push(batch);
            }
            '9' => break rec,
            other => return Err(rec.err(order("batch header (5) or file control (9)", other))),
        }
    };
    let control = decode::file_control(&control_rec)?;

    for rec in &recs[cursor.pos..] {
        if rec.text.len() != RECORD_LEN || !rec.text.bytes().all(|b| b == b'9') {
            return Err(rec.err(AchErrorKind::Padding));
        }
    }
    if !recs.len().is_multiple_of(BLOCKING_FACTOR) {
        let last = recs.last().map_or(1, |r| r.line);
        return Err(AchError {
            line: last,
            kind: AchErrorKind::Blocking {
                records: recs.len(),
            },
        });
    }

    let mut count = 0u64;
    let mut hash = 0u64;
    let mut debit = 0u64;
    let mut credit = 0u64;
    for b in &batches {
        count += b.control.entry_addenda_count;
        hash = fold_entry_hash(hash, b.control.entry_hash);
        debit += b.control.total_debit_cents;
        credit += b.control.total_credit_cents;
    }
    let checks = [
        (
            "file control batch count",
            control.batch_count,
            batches.len() as u64,
        ),
        (
            "file control block count",
            control.block_count,
            (recs.len() / BLOCKING_FACTOR) as u64,
        ),
        (
            "file control entry/addenda count",
            control.entry_addenda_count,
            count,
        ),
        ("file control entry hash", control.entry_hash, hash),
        ("file control total debit", control.total_debit_cents, debit),
        (
            "file control total credit",
            control.total_credit_cents,
            credit,
        ),
    ];
    compare(&control_rec, &checks)?;

    Ok(AchFile {
        header,
        batches,
        control,
        line_ending,
        record_count: recs.len(),
    })
}

pub(super) struct Cursor<'r, 'a> {
    recs: &'r [Rec<'a>],
    pos: usize,
}

impl<'a> Cursor<'_, 'a> {
    pub(super) fn next(&mut self) -> Option<Rec<'a>> {
        let rec = self.recs.get(self.pos).copied();
        self.pos += usize::from(rec.is_some());
        rec
    }

    pub(super) fn peek_type(&self) -> Option<char> {
        self.recs.get(self.pos).map(type_of)
    }
}

fn split_records(input: &str, mode: ParseMode) -> Result<Vec<(usize, Cow<'_, str>)>, AchError> {
    let mut raw: Vec<&str> = input.split('\n').collect();
    if raw.last() == Some(&"") {
        raw.pop();
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, line) in raw.into_iter().enumerate() {
        let text = line.strip_suffix('\r').unwrap_or(line);
        let err = |kind| AchError { line: i + 1, kind };
        if !text.is_ascii() {
            return Err(err(AchErrorKind::NonAscii));
        }
        let len = text.len();
        let padded = match mode {
            _ if len == RECORD_LEN => Cow::Borrowed(text),
            ParseMode::Lenient if len > 0 && len < RECORD_LEN => {
                Cow::Owned(format!("{text:<RECORD_LEN$}"))
            }
            _ => return Err(err(AchErrorKind::RecordLength { len })),
        };
        out.push((i + 1, padded));
    }
    Ok(out)
}

pub(super) fn type_of(rec: &Rec<'_>) -> char {
    rec.text.chars().next().unwrap_or(' ')
}

pub(super) fn order(expected: &'static str, found: char) -> AchErrorKind {
    AchErrorKind::RecordOrder { expected, found }
}

fn expect_type(rec: &Rec<'_>, want: char, expected: &'static str) -> Result<(), AchError> {
    let found = type_of(rec);
    if found == want {
        Ok(())
    } else {
        Err(rec.err(order(expected, found)))
    }
}

pub(super) fn end_error(recs: &[Rec<'_>]) -> AchError {
    AchError {
        line: recs.last().map_or(1, |r| r.line),
        kind: AchErrorKind::MissingFileControl,
    }
}

pub(super) fn compare(rec: &Rec<'_>, checks: &[(&'static str, u64, u64)]) -> Result<(), AchError> {
    for &(field, declared, computed) in checks {
        if declared != computed {
            return Err(rec.err(AchErrorKind::ControlMismatch {
                field,
                declared,
                computed,
            }));
        }
    }
    Ok(())
}
