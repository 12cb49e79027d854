//! Rules inside one batch: entry and addenda order, service class, trace numbers,
//! addenda indicators and sequences, and the batch control's counts, hash and totals.

use super::{Cursor, compare, end_error, order, type_of};
use crate::ach::decode::{self, Rec};
use crate::ach::error::{AchError, AchErrorKind};
use crate::ach::fold_entry_hash;
use crate::ach::record::{Addenda, Batch, BatchHeader, Entry};

pub(super) fn parse_batch(
    head: &Rec<'_>,
    cursor: &mut Cursor<'_, '_>,
    recs: &[Rec<'_>],
) -> Result<Batch, AchError> {
    let header = decode::batch_header(head)?;
    let mut entries: Vec<Entry> = Vec::new();
    let (mut count, mut hash, mut debit, mut credit) = (0u64, 0u64, 0u64, 0u64);
    let control_rec = loop {
        let rec = cursor.next().ok_or_else(|| end_error(recs))?;
        match type_of(&rec) {
            '6' => {
                let (mut entry, declared) = decode::entry(&rec, &header.sec_code)?;
                check_entry(&rec, &entry, &header, entries.last())?;
                while cursor.peek_type() == Some('7') {
                    if let Some(add_rec) = cursor.next() {
                        let addenda = decode::addenda(&add_rec)?;
                        check_addenda(&add_rec, &entry, &addenda, entry.addenda.len())?;
                        entry.addenda.push(addenda);
                    }
                }
                check_addenda_count(&rec, &entry, &header.sec_code, declared)?;
                count += 1 + entry.addenda.len() as u64;
                hash = fold_entry_hash(hash, entry.routing[..8].parse().unwrap_or(0));
                let total = if entry.transaction_code.is_credit() {
                    &mut credit
                } else {
                    &mut debit
                };
                *total = total.checked_add(entry.amount_cents).ok_or_else(|| {
                    rec.err(AchErrorKind::InvalidField {
                        field: "batch total",
                        value: String::new(),
                        reason: "overflows",
                    })
                })?;
                entries.push(entry);
            }
            '8' => break rec,
            other => {
                return Err(rec.err(order(
                    "entry detail (6), addenda (7) or batch control (8)",
                    other,
                )));
            }
        }
    };
    let control = decode::batch_control(&control_rec)?;
    let pairs = [
        (
            "service class code",
            header.service_class.to_string(),
            control.service_class.to_string(),
        ),
        (
            "company identification",
            header.company_id.clone(),
            control.company_id.clone(),
        ),
        (
            "originating DFI identification",
            header.odfi.clone(),
            control.odfi.clone(),
        ),
        (
            "batch number",
            header.batch_number.to_string(),
            control.batch_number.to_string(),
        ),
    ];
    for (field, h, c) in pairs {
        if h != c {
            return Err(control_rec.err(AchErrorKind::HeaderControlMismatch {
                field,
                header: h,
                control: c,
            }));
        }
    }
    compare(
        &control_rec,
        &[
            (
                "batch control entry/addenda count",
                control.entry_addenda_count,
                count,
            ),
            ("batch control entry hash", control.entry_hash, hash),
            (
                "batch control total debit",
                control.total_debit_cents,
                debit,
            ),
            (
                "batch control total credit",
                control.total_credit_cents,
                credit,
            ),
        ],
    )?;
    Ok(Batch {
        header,
        entries,
        control,
    })
}

fn check_entry(
    rec: &Rec<'_>,
    entry: &Entry,
    header: &BatchHeader,
    previous: Option<&Entry>,
) -> Result<(), AchError> {
    let code = entry.transaction_code;
    let conflict = (header.service_class == 220 && code.is_debit())
        || (header.service_class == 225 && code.is_credit());
    if conflict {
        return Err(rec.err(AchErrorKind::ServiceClassConflict {
            code: code.0,
            service_class: header.service_class,
        }));
    }
    let trace = &entry.trace_number;
    if trace[..8] != header.odfi {
        return Err(rec.err(AchErrorKind::TraceNumber {
            trace: trace.clone(),
            reason: "does not start with the batch's originating DFI identification",
        }));
    }
    if previous.is_some_and(|p| p.trace_number >= *trace) {
        return Err(rec.err(AchErrorKind::TraceNumber {
            trace: trace.clone(),
            reason: "is not in ascending order",
        }));
    }
    Ok(())
}

fn check_addenda(
    rec: &Rec<'_>,
    entry: &Entry,
    addenda: &Addenda,
    index: usize,
) -> Result<(), AchError> {
    let expected_seq = index as u64 + 1;
    if u64::from(addenda.sequence) != expected_seq {
        return Err(rec.err(AchErrorKind::AddendaSequence {
            field: "sequence number",
            found: u64::from(addenda.sequence),
            expected: expected_seq,
        }));
    }
    let trace_tail: u64 = entry.trace_number[8..].parse().unwrap_or(0);
    if u64::from(addenda.entry_detail_sequence) != trace_tail {
        return Err(rec.err(AchErrorKind::AddendaSequence {
            field: "entry detail sequence number",
            found: u64::from(addenda.entry_detail_sequence),
            expected: trace_tail,
        }));
    }
    Ok(())
}

fn check_addenda_count(
    rec: &Rec<'_>,
    entry: &Entry,
    sec: &str,
    declared: Option<u64>,
) -> Result<(), AchError> {
    let found = entry.addenda.len();
    if entry.addenda_indicator != (found > 0) {
        let indicator = if entry.addenda_indicator { '1' } else { '0' };
        return Err(rec.err(AchErrorKind::AddendaIndicator { indicator, found }));
    }
    let max = if sec == "CTX" { 9999 } else { 1 };
    if found > max {
        return Err(rec.err(AchErrorKind::TooManyAddenda {
            sec: sec.to_string(),
            max,
            found,
        }));
    }
    if let Some(declared) = declared
        && declared != found as u64
    {
        return Err(rec.err(AchErrorKind::ControlMismatch {
            field: "entry detail number of addenda records",
            declared,
            computed: found as u64,
        }));
    }
    Ok(())
}
