//! Writes a NACHA credit file from an [`AchFileSpec`]: every control total, count, hash,
//! trace number and padding record is derived here, never taken from the caller.

use super::error::AchWriteError;
use super::spec::{AchBatchSpec, AchCredit, AchFileSpec, SecCode};
use super::text::{alpha, digits, numeric, sanitize};
use super::{BLOCKING_FACTOR, RECORD_LEN, fold_entry_hash};
use crate::money::{Currency, ZeroPolicy, to_minor_units};

/// Credits-only batches: the writer never originates debits.
const SERVICE_CLASS_CREDITS: u64 = 220;
const MAX_ENTRY_CENTS: u64 = 9_999_999_999;
const MAX_TOTAL_CENTS: u64 = 999_999_999_999;

struct Totals {
    count: u64,
    hash: u64,
    credit: u64,
}

/// Renders the file. Output is a pure function of `spec`; every record is 94 characters
/// followed by the chosen line ending (including the last), and the record count is a
/// multiple of 10.
pub fn write_ach(spec: &AchFileSpec) -> Result<String, AchWriteError> {
    if spec.batches.is_empty() {
        return Err(AchWriteError::NoBatches);
    }
    let modifier = spec.file_id_modifier;
    if !(modifier.is_ascii_uppercase() || modifier.is_ascii_digit()) {
        return Err(AchWriteError::FileIdModifier(modifier));
    }
    let eol = spec.line_ending.as_str();
    let approx_records: usize = 2 + spec
        .batches
        .iter()
        .map(|b| 2 + 2 * b.credits.len())
        .sum::<usize>();
    let mut out = String::with_capacity((approx_records + BLOCKING_FACTOR) * (RECORD_LEN + 2));
    let mut records: u64 = 0;

    write_file_header(&mut out, spec)?;
    end_record(&mut out, eol, &mut records);

    let mut file = Totals {
        count: 0,
        hash: 0,
        credit: 0,
    };
    let mut trace_seq: u64 = 0;
    for (index, batch) in spec.batches.iter().enumerate() {
        let batch_number =
            u64::try_from(index + 1).map_err(|_| AchWriteError::ControlOverflow("batch count"))?;
        if batch_number > 9_999_999 {
            return Err(AchWriteError::ControlOverflow("batch count"));
        }
        let totals = write_batch(
            &mut out,
            eol,
            &mut records,
            batch,
            batch_number,
            &mut trace_seq,
        )?;
        file.count += totals.count;
        file.hash = fold_entry_hash(file.hash, totals.hash);
        file.credit = file
            .credit
            .checked_add(totals.credit)
            .ok_or(AchWriteError::ControlOverflow("file credit total"))?;
    }

    let batch_count = spec.batches.len() as u64;
    let with_control = records + 1;
    let padded = with_control.div_ceil(BLOCKING_FACTOR as u64) * BLOCKING_FACTOR as u64;
    let blocks = padded / BLOCKING_FACTOR as u64;
    check_width(batch_count, 6, "file batch count")?;
    check_width(blocks, 6, "file block count")?;
    check_width(file.count, 8, "file entry/addenda count")?;
    check_width(file.credit, 12, "file credit total")?;
    out.push('9');
    numeric(&mut out, batch_count, 6);
    numeric(&mut out, blocks, 6);
    numeric(&mut out, file.count, 8);
    numeric(&mut out, file.hash, 10);
    numeric(&mut out, 0, 12);
    numeric(&mut out, file.credit, 12);
    alpha(&mut out, "", 39);
    end_record(&mut out, eol, &mut records);

    while records < padded {
        out.extend(std::iter::repeat_n('9', RECORD_LEN));
        end_record(&mut out, eol, &mut records);
    }
    Ok(out)
}

fn end_record(out: &mut String, eol: &str, records: &mut u64) {
    out.push_str(eol);
    *records += 1;
}

fn check_width(value: u64, width: usize, field: &'static str) -> Result<(), AchWriteError> {
    if digits(value) > width {
        return Err(AchWriteError::ControlOverflow(field));
    }
    Ok(())
}

/// Sanitises an identifier and refuses to cut it: a shortened company id or invoice
/// reference would silently point somewhere else.
fn exact(
    value: &str,
    max: usize,
    field: &'static str,
    required: bool,
) -> Result<String, AchWriteError> {
    let clean = sanitize(value);
    if required && clean.is_empty() {
        return Err(AchWriteError::EmptyField { field });
    }
    if clean.len() > max {
        return Err(AchWriteError::FieldTooLong {
            field,
            value: clean,
            max,
        });
    }
    Ok(clean)
}

fn write_file_header(out: &mut String, spec: &AchFileSpec) -> Result<(), AchWriteError> {
    let reference = exact(&spec.reference_code, 8, "reference code", false)?;
    out.push_str("101 ");
    out.push_str(spec.immediate_destination.as_str());
    out.push(' ');
    out.push_str(spec.immediate_origin.as_str());
    out.push_str(&spec.file_creation.format("%y%m%d%H%M").to_string());
    out.push(spec.file_id_modifier);
    out.push_str("094101");
    alpha(out, &sanitize(&spec.immediate_destination_name), 23);
    alpha(out, &sanitize(&spec.immediate_origin_name), 23);
    alpha(out, &reference, 8);
    Ok(())
}

fn write_batch(
    out: &mut String,
    eol: &str,
    records: &mut u64,
    batch: &AchBatchSpec,
    batch_number: u64,
    trace_seq: &mut u64,
) -> Result<Totals, AchWriteError> {
    let b = usize::try_from(batch_number).unwrap_or(usize::MAX);
    if batch.credits.is_empty() {
        return Err(AchWriteError::EmptyBatch { batch: b });
    }
    let company_id = exact(&batch.company_id, 10, "company identification", true)?;
    let description = exact(
        &batch.entry_description,
        10,
        "company entry description",
        true,
    )?;
    let discretionary = exact(
        &batch.company_discretionary_data,
        20,
        "company discretionary data",
        false,
    )?;
    let descriptive_date = exact(
        &batch.descriptive_date,
        6,
        "company descriptive date",
        false,
    )?;
    let company_name = sanitize(&batch.company_name);
    if company_name.is_empty() {
        return Err(AchWriteError::EmptyField {
            field: "company name",
        });
    }
    let odfi = batch.odfi.dfi_identification();

    out.push('5');
    numeric(out, SERVICE_CLASS_CREDITS, 3);
    alpha(out, &company_name, 16);
    alpha(out, &discretionary, 20);
    alpha(out, &company_id, 10);
    out.push_str(batch.sec_code.as_str());
    alpha(out, &description, 10);
    alpha(out, &descriptive_date, 6);
    out.push_str(&batch.effective_entry_date.format("%y%m%d").to_string());
    out.push_str("   1");
    out.push_str(odfi);
    numeric(out, batch_number, 7);
    end_record(out, eol, records);

    let mut totals = Totals {
        count: 0,
        hash: 0,
        credit: 0,
    };
    for (i, credit) in batch.credits.iter().enumerate() {
        *trace_seq += 1;
        if *trace_seq > 9_999_999 {
            return Err(AchWriteError::ControlOverflow("trace sequence"));
        }
        let (cents, has_addenda) = write_entry(
            out,
            eol,
            records,
            credit,
            batch.sec_code,
            odfi,
            *trace_seq,
            (b, i + 1),
        )?;
        totals.credit = totals
            .credit
            .checked_add(cents)
            .ok_or(AchWriteError::ControlOverflow("batch credit total"))?;
        totals.count += 1 + u64::from(has_addenda);
        let dfi: u64 = credit.routing.dfi_identification().parse().unwrap_or(0);
        totals.hash = fold_entry_hash(totals.hash, dfi);
    }
    check_width(totals.count, 6, "batch entry/addenda count")?;
    if totals.credit > MAX_TOTAL_CENTS {
        return Err(AchWriteError::ControlOverflow("batch credit total"));
    }

    out.push('8');
    numeric(out, SERVICE_CLASS_CREDITS, 3);
    numeric(out, totals.count, 6);
    numeric(out, totals.hash, 10);
    numeric(out, 0, 12);
    numeric(out, totals.credit, 12);
    alpha(out, &company_id, 10);
    alpha(out, "", 25);
    out.push_str(odfi);
    numeric(out, batch_number, 7);
    end_record(out, eol, records);
    Ok(totals)
}

#[allow(clippy::too_many_arguments)]
fn write_entry(
    out: &mut String,
    eol: &str,
    records: &mut u64,
    credit: &AchCredit,
    sec: SecCode,
    odfi: &str,
    trace_seq: u64,
    (batch, entry): (usize, usize),
) -> Result<(u64, bool), AchWriteError> {
    let cents =
        to_minor_units(credit.amount, Currency::Usd, ZeroPolicy::Refuse).map_err(|source| {
            AchWriteError::Amount {
                batch,
                entry,
                source,
            }
        })?;
    if cents > MAX_ENTRY_CENTS {
        return Err(AchWriteError::AmountTooLarge { batch, entry });
    }
    if credit.account.len() > 17 {
        return Err(AchWriteError::AccountTooLong {
            batch,
            entry,
            len: credit.account.len(),
        });
    }
    let id_number = exact(&credit.id_number, 15, "identification number", false)?;
    let remittance = exact(&credit.remittance, 80, "remittance", false)?;
    let name = sanitize(&credit.name);
    if name.is_empty() {
        return Err(AchWriteError::EmptyField {
            field: "receiver name",
        });
    }
    let has_addenda = !remittance.is_empty();

    out.push('6');
    numeric(
        out,
        u64::from(credit.account_type.credit_transaction_code()),
        2,
    );
    out.push_str(credit.routing.as_str());
    alpha(out, credit.account.expose(), 17);
    numeric(out, cents, 10);
    alpha(out, &id_number, 15);
    match sec {
        SecCode::Ccd => alpha(out, &name, 22),
        SecCode::Ctx => {
            numeric(out, u64::from(has_addenda), 4);
            alpha(out, &name, 16);
            out.push_str("  ");
        }
    }
    out.push_str("  ");
    out.push(if has_addenda { '1' } else { '0' });
    out.push_str(odfi);
    numeric(out, trace_seq, 7);
    end_record(out, eol, records);

    if has_addenda {
        out.push_str("705");
        alpha(out, &remittance, 80);
        out.push_str("0001");
        numeric(out, trace_seq, 7);
        end_record(out, eol, records);
    }
    Ok((cents, has_addenda))
}
