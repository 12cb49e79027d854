//! Tests for the NACHA parser and validator against the shared corpus and tampered files.

#[path = "helpers/fixtures.rs"]
mod fixtures;

use ap_bankfile::{AchErrorKind, LineEnding, ParseMode, parse_ach, parse_ach_with, write_ach};
use fixtures::*;

#[test]
fn corpus_ccd_debit_file_is_accepted_with_its_totals() {
    let file = parse_ach(&corpus_file("ccd-debit.ach")).expect("valid test input");
    assert_eq!(file.entry_count(), 2);
    assert_eq!(file.total_debit_cents(), 500_125);
    assert_eq!(file.total_credit_cents(), 0);
    assert_eq!(file.batches[0].header.sec_code, "CCD");
    assert!(file.entries().all(|e| e.transaction_code.is_debit()));
    assert_eq!(file.batches[0].entries[0].account.expose(), "744-5678-99");
}

#[test]
fn corpus_ctx_debit_file_with_two_addenda_is_accepted() {
    let file = parse_ach(&corpus_file("ctx-debit.ach")).expect("valid test input");
    let entry = &file.batches[0].entries[0];
    assert_eq!(entry.addenda.len(), 2);
    assert_eq!(entry.name, "Receiver Company");
    assert_eq!(
        entry.addenda[1].payment_related_information,
        "Debit Second Account"
    );
    assert_eq!(file.control.entry_addenda_count, 3);
    assert_eq!(file.total_debit_cents(), 100_000_000);
}

#[test]
fn corpus_ppd_file_with_trimmed_trailing_spaces_is_accepted_leniently_but_not_strictly() {
    let text = corpus_file("ppd-debit.ach");
    let file = parse_ach(&text).expect("valid test input");
    assert_eq!(file.entry_count(), 1);
    assert_eq!(file.batches[0].header.sec_code, "PPD");
    let err = parse_ach_with(&text, ParseMode::Strict).expect_err("must fail");
    assert_eq!(err.line, 1);
    assert!(matches!(err.kind, AchErrorKind::RecordLength { .. }));
}

#[test]
fn corpus_file_with_a_bad_entry_check_digit_is_rejected_naming_line_and_rule() {
    let err = parse_ach(&corpus_file("invalid-ppd-entry-check-digit.ach")).expect_err("must fail");
    assert_eq!(
        err.to_string(),
        "line 3: entry detail routing number 231380105 fails check digit"
    );
}

#[test]
fn crlf_and_missing_final_newline_are_both_accepted() {
    let text = corpus_file("ccd-debit.ach");
    let crlf = text.replace('\n', "\r\n");
    assert_eq!(
        parse_ach(&crlf).expect("valid test input").line_ending,
        LineEnding::CrLf
    );
    let with_newline = format!("{}\n", text.trim_end());
    assert!(parse_ach(&with_newline).is_ok());
}

fn generated() -> String {
    write_ach(&three_credit_file()).expect("valid test input")
}

fn replace_line(text: &str, index: usize, f: impl Fn(&str) -> String) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| if i == index { f(l) } else { l.to_string() } + "\n")
        .collect()
}

fn splice(line: &str, at: usize, with: &str) -> String {
    format!("{}{}{}", &line[..at], with, &line[at + with.len()..])
}

fn kind_at(text: &str) -> (usize, AchErrorKind) {
    let err = parse_ach_with(text, ParseMode::Strict).expect_err("must fail");
    (err.line, err.kind)
}

#[test]
fn a_wrong_batch_credit_total_is_reported_on_the_batch_control_line() {
    let text = replace_line(&generated(), 8, |l| splice(l, 32, "000000148458"));
    let (line, kind) = kind_at(&text);
    assert_eq!(line, 9);
    assert_eq!(
        kind,
        AchErrorKind::ControlMismatch {
            field: "batch control total credit",
            declared: 148_458,
            computed: 148_457
        }
    );
}

#[test]
fn a_wrong_entry_hash_is_reported() {
    let text = replace_line(&generated(), 8, |l| splice(l, 10, "0005800963"));
    let (line, kind) = kind_at(&text);
    assert_eq!(line, 9);
    assert!(matches!(
        kind,
        AchErrorKind::ControlMismatch {
            field: "batch control entry hash",
            ..
        }
    ));
}

#[test]
fn a_wrong_file_block_count_is_reported_on_the_file_control_line() {
    let text = replace_line(&generated(), 9, |l| splice(l, 7, "000002"));
    let (line, kind) = kind_at(&text);
    assert_eq!(line, 10);
    assert!(matches!(
        kind,
        AchErrorKind::ControlMismatch {
            field: "file control block count",
            declared: 2,
            computed: 1
        }
    ));
}

#[test]
fn a_file_not_padded_to_a_multiple_of_ten_records_is_rejected() {
    let text = corpus_file("ccd-debit.ach");
    let shorter: String = text.lines().take(9).map(|l| format!("{l}\n")).collect();
    let (line, kind) = kind_at(&shorter);
    assert_eq!((line, kind), (9, AchErrorKind::Blocking { records: 9 }));
}

#[test]
fn a_padding_record_that_is_not_all_nines_is_rejected() {
    let text = corpus_file("ccd-debit.ach");
    let bad = replace_line(&text, 7, |l| splice(l, 0, "8"));
    assert_eq!(kind_at(&bad), (8, AchErrorKind::Padding));
}

#[test]
fn records_out_of_order_are_rejected() {
    let text = generated();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(1, 2);
    let swapped: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let (line, kind) = kind_at(&swapped);
    assert_eq!(line, 2);
    assert!(matches!(kind, AchErrorKind::RecordOrder { found: '6', .. }));
}

#[test]
fn an_addenda_indicator_without_an_addenda_record_is_rejected() {
    let text = generated();
    let lines: Vec<&str> = text.lines().collect();
    // Drop the first addenda but keep 10 records by adding padding.
    let mut kept: Vec<String> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3)
        .map(|(_, l)| l.to_string())
        .collect();
    kept.push("9".repeat(94));
    let joined: String = kept.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(
        kind_at(&joined),
        (
            3,
            AchErrorKind::AddendaIndicator {
                indicator: '1',
                found: 0
            }
        )
    );
}

#[test]
fn records_longer_than_94_characters_are_rejected_even_leniently() {
    let text = replace_line(&generated(), 4, |l| format!("{l} "));
    let err = parse_ach(&text).expect_err("must fail");
    assert_eq!(
        err.to_string(),
        "line 5: record is 95 characters long, expected 94"
    );
}

#[test]
fn a_debit_in_a_credits_only_batch_is_rejected() {
    let text = replace_line(&generated(), 2, |l| splice(l, 1, "27"));
    let (line, kind) = kind_at(&text);
    assert_eq!(
        (line, kind),
        (
            3,
            AchErrorKind::ServiceClassConflict {
                code: 27,
                service_class: 220
            }
        )
    );
}

#[test]
fn a_trace_number_from_another_odfi_is_rejected() {
    let text = replace_line(&generated(), 2, |l| splice(l, 79, "99999999"));
    let (line, kind) = kind_at(&text);
    assert_eq!(line, 3);
    assert!(matches!(kind, AchErrorKind::TraceNumber { .. }));
}

#[test]
fn empty_input_and_non_ascii_records_are_rejected() {
    assert_eq!(
        parse_ach("").expect_err("must fail").kind,
        AchErrorKind::Empty
    );
    let text = replace_line(&generated(), 2, |l| l.replacen("INITECH", "INITÉCH", 1));
    assert_eq!(
        parse_ach(&text).expect_err("must fail").kind,
        AchErrorKind::NonAscii
    );
}
