//! Decodes single 94-character NACHA records into typed structs, checking each field's own
//! format. Rules that span records (counts, totals, order) live in the parser.

use super::error::{AchError, AchErrorKind};
use super::record::{
    Addenda, BatchControl, BatchHeader, Entry, FileControl, FileHeader, TransactionCode,
};
use crate::routing::aba_checksum_ok;
use crate::secret::AccountNumber;

/// One physical record with its 1-based line number. Records are ASCII and 94 long.
#[derive(Clone, Copy)]
pub(crate) struct Rec<'a> {
    pub line: usize,
    pub text: &'a str,
}

impl<'a> Rec<'a> {
    pub fn err(&self, kind: AchErrorKind) -> AchError {
        AchError {
            line: self.line,
            kind,
        }
    }

    /// Field by the 1-based inclusive positions the NACHA rules use.
    pub fn raw(&self, from: usize, to: usize) -> &'a str {
        &self.text[from - 1..to]
    }

    pub fn text(&self, from: usize, to: usize) -> String {
        self.raw(from, to).trim_end().to_string()
    }

    pub fn num(&self, from: usize, to: usize, field: &'static str) -> Result<u64, AchError> {
        let raw = self.raw(from, to);
        if raw.bytes().all(|b| b.is_ascii_digit()) {
            // At most 15 digits, so u64 cannot overflow.
            Ok(raw
                .bytes()
                .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0')))
        } else {
            Err(self.err(AchErrorKind::NotNumeric {
                field,
                value: raw.to_string(),
            }))
        }
    }

    pub fn expect_literal(
        &self,
        from: usize,
        to: usize,
        want: &str,
        field: &'static str,
    ) -> Result<(), AchError> {
        let raw = self.raw(from, to);
        if raw == want {
            Ok(())
        } else {
            Err(self.err(AchErrorKind::InvalidField {
                field,
                value: raw.to_string(),
                reason: "unexpected value",
            }))
        }
    }

    fn invalid(&self, field: &'static str, value: &str, reason: &'static str) -> AchError {
        self.err(AchErrorKind::InvalidField {
            field,
            value: value.to_string(),
            reason,
        })
    }
}

fn small<T: TryFrom<u64>>(rec: &Rec<'_>, value: u64, field: &'static str) -> Result<T, AchError> {
    T::try_from(value).map_err(|_| rec.invalid(field, &value.to_string(), "out of range"))
}

pub(crate) fn file_header(rec: &Rec<'_>) -> Result<FileHeader, AchError> {
    rec.num(2, 3, "file header priority code")?;
    let destination = rec.raw(4, 13);
    let dest_digits = destination.trim_start();
    if dest_digits.len() == 9
        && dest_digits.bytes().all(|b| b.is_ascii_digit())
        && !aba_checksum_ok(dest_digits)
    {
        return Err(rec.err(AchErrorKind::RoutingCheckDigit {
            field: "file header immediate destination",
            value: dest_digits.to_string(),
        }));
    }
    rec.num(24, 29, "file creation date")?;
    let time = rec.raw(30, 33);
    if time.trim() != "" {
        rec.num(30, 33, "file creation time")?;
    }
    let modifier = rec.raw(34, 34).chars().next().unwrap_or(' ');
    if !(modifier.is_ascii_uppercase() || modifier.is_ascii_digit()) {
        return Err(rec.invalid("file id modifier", rec.raw(34, 34), "must be A-Z or 0-9"));
    }
    rec.expect_literal(35, 37, "094", "record size")?;
    rec.expect_literal(38, 39, "10", "blocking factor")?;
    rec.expect_literal(40, 40, "1", "format code")?;
    Ok(FileHeader {
        priority_code: rec.raw(2, 3).to_string(),
        immediate_destination: rec.raw(4, 13).to_string(),
        immediate_origin: rec.raw(14, 23).to_string(),
        creation_date: rec.raw(24, 29).to_string(),
        creation_time: time.to_string(),
        file_id_modifier: modifier,
        immediate_destination_name: rec.text(41, 63),
        immediate_origin_name: rec.text(64, 86),
        reference_code: rec.text(87, 94),
    })
}

pub(crate) fn batch_header(rec: &Rec<'_>) -> Result<BatchHeader, AchError> {
    let service_class = rec.num(2, 4, "batch header service class code")?;
    if ![200, 220, 225, 280].contains(&service_class) {
        return Err(rec.invalid(
            "batch header service class code",
            rec.raw(2, 4),
            "must be 200, 220, 225 or 280",
        ));
    }
    let sec_code = rec.raw(51, 53).to_string();
    if !sec_code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(rec.invalid(
            "standard entry class code",
            &sec_code,
            "must be three letters",
        ));
    }
    if sec_code == "IAT" {
        return Err(rec.invalid(
            "standard entry class code",
            &sec_code,
            "IAT batches are not supported",
        ));
    }
    rec.num(70, 75, "effective entry date")?;
    let odfi = rec.raw(80, 87);
    rec.num(80, 87, "batch header originating DFI identification")?;
    let batch_number = rec.num(88, 94, "batch header batch number")?;
    Ok(BatchHeader {
        service_class: small(rec, service_class, "service class code")?,
        company_name: rec.text(5, 20),
        company_discretionary_data: rec.text(21, 40),
        company_id: rec.text(41, 50),
        sec_code,
        entry_description: rec.text(54, 63),
        descriptive_date: rec.text(64, 69),
        effective_entry_date: rec.raw(70, 75).to_string(),
        settlement_date: rec.text(76, 78),
        originator_status: rec.raw(79, 79).chars().next().unwrap_or(' '),
        odfi: odfi.to_string(),
        batch_number: small(rec, batch_number, "batch number")?,
    })
}

/// Decodes an entry; for CTX also returns the entry's declared number of addenda.
pub(crate) fn entry(rec: &Rec<'_>, sec_code: &str) -> Result<(Entry, Option<u64>), AchError> {
    let code = rec.num(2, 3, "entry detail transaction code")?;
    let transaction_code = TransactionCode(small(rec, code, "transaction code")?);
    if !transaction_code.is_known() {
        return Err(rec.invalid(
            "entry detail transaction code",
            rec.raw(2, 3),
            "unknown transaction code",
        ));
    }
    rec.num(4, 12, "entry detail routing number")?;
    let routing = rec.raw(4, 12);
    if !aba_checksum_ok(routing) {
        return Err(rec.err(AchErrorKind::RoutingCheckDigit {
            field: "entry detail",
            value: routing.to_string(),
        }));
    }
    let amount_cents = rec.num(30, 39, "entry detail amount")?;
    let (name, declared_addenda) = if sec_code == "CTX" {
        (
            rec.text(59, 74),
            Some(rec.num(55, 58, "entry detail number of addenda records")?),
        )
    } else {
        (rec.text(55, 76), None)
    };
    let addenda_indicator = match rec.raw(79, 79) {
        "0" => false,
        "1" => true,
        other => {
            return Err(rec.invalid("entry detail addenda indicator", other, "must be 0 or 1"));
        }
    };
    rec.num(80, 94, "entry detail trace number")?;
    let entry = Entry {
        transaction_code,
        routing: routing.to_string(),
        account: AccountNumber::from_file(rec.raw(13, 29)),
        amount_cents,
        id_number: rec.text(40, 54),
        name,
        discretionary_data: rec.text(77, 78),
        addenda_indicator,
        trace_number: rec.raw(80, 94).to_string(),
        addenda: Vec::new(),
    };
    Ok((entry, declared_addenda))
}

pub(crate) fn addenda(rec: &Rec<'_>) -> Result<Addenda, AchError> {
    let type_code = rec.raw(2, 3);
    if type_code != "05" {
        return Err(rec.invalid(
            "addenda type code",
            type_code,
            "only 05 payment related information is supported",
        ));
    }
    let sequence = rec.num(84, 87, "addenda sequence number")?;
    let entry_detail_sequence = rec.num(88, 94, "addenda entry detail sequence number")?;
    Ok(Addenda {
        type_code: type_code.to_string(),
        payment_related_information: rec.text(4, 83),
        sequence: small(rec, sequence, "addenda sequence number")?,
        entry_detail_sequence: small(rec, entry_detail_sequence, "entry detail sequence number")?,
    })
}

pub(crate) fn batch_control(rec: &Rec<'_>) -> Result<BatchControl, AchError> {
    let service_class = rec.num(2, 4, "batch control service class code")?;
    Ok(BatchControl {
        service_class: small(rec, service_class, "service class code")?,
        entry_addenda_count: rec.num(5, 10, "batch control entry/addenda count")?,
        entry_hash: rec.num(11, 20, "batch control entry hash")?,
        total_debit_cents: rec.num(21, 32, "batch control total debit")?,
        total_credit_cents: rec.num(33, 44, "batch control total credit")?,
        company_id: rec.text(45, 54),
        odfi: rec.raw(80, 87).to_string(),
        batch_number: small(
            rec,
            rec.num(88, 94, "batch control batch number")?,
            "batch number",
        )?,
    })
}

pub(crate) fn file_control(rec: &Rec<'_>) -> Result<FileControl, AchError> {
    Ok(FileControl {
        batch_count: rec.num(2, 7, "file control batch count")?,
        block_count: rec.num(8, 13, "file control block count")?,
        entry_addenda_count: rec.num(14, 21, "file control entry/addenda count")?,
        entry_hash: rec.num(22, 31, "file control entry hash")?,
        total_debit_cents: rec.num(32, 43, "file control total debit")?,
        total_credit_cents: rec.num(44, 55, "file control total credit")?,
    })
}
