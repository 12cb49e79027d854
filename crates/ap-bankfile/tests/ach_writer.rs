//! Tests for the NACHA credit writer: layout, totals, options and refused input.

#[path = "helpers/fixtures.rs"]
mod fixtures;

use ap_bankfile::{AchWriteError, LineEnding, MoneyError, ParseMode, parse_ach_with, write_ach};
use fixtures::*;

#[test]
fn three_credit_file_matches_the_checked_in_golden_file() {
    let text = write_ach(&three_credit_file()).expect("valid test input");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/three_credits.ach"
    );
    // Regenerate deliberately after a reviewed format change: AP_BLESS_GOLDEN=1 cargo test
    if std::env::var("AP_BLESS_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(path, &text).expect("valid test input");
    }
    let golden = std::fs::read_to_string(path).expect("valid test input");
    assert_eq!(text, golden, "generated:\n{text}");
}

#[test]
fn every_record_is_94_characters_and_the_file_is_padded_to_a_multiple_of_ten() {
    let credits = (0..4)
        .map(|i| {
            credit(
                "Vendor",
                "021000021",
                "123",
                &format!("{}.00", i + 1),
                "INV",
            )
        })
        .collect();
    let text = write_ach(&file(vec![batch(credits)])).expect("valid test input");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.iter().all(|l| l.len() == 94));
    assert_eq!(lines.len(), 20);
    // 1 header + 1 batch header + 8 entry/addenda + 1 batch control + 1 file control = 12.
    assert!(lines[12..].iter().all(|l| l.chars().all(|c| c == '9')));
    assert!(!lines[11].chars().all(|c| c == '9'));
    assert_eq!(&lines[11][7..13], "000002", "block count");
    assert!(text.ends_with('\n') && !text.contains('\r'));
}

#[test]
fn crlf_option_terminates_every_record_with_crlf() {
    let mut spec = three_credit_file();
    spec.line_ending = LineEnding::CrLf;
    let text = write_ach(&spec).expect("valid test input");
    assert_eq!(text.matches("\r\n").count(), 10);
    assert_eq!(text.matches('\n').count(), 10);
    let parsed = parse_ach_with(&text, ParseMode::Strict).expect("valid test input");
    assert_eq!(parsed.line_ending, LineEnding::CrLf);
}

#[test]
fn control_records_carry_the_totals_counts_and_entry_hash_of_the_entries() {
    let text = write_ach(&three_credit_file()).expect("valid test input");
    let parsed = parse_ach_with(&text, ParseMode::Strict).expect("valid test input");
    assert_eq!(parsed.entry_count(), 3);
    assert_eq!(parsed.total_credit_cents(), 123_456 + 25_000 + 1);
    assert_eq!(parsed.total_credit(), dec("1484.57"));
    assert_eq!(parsed.total_debit_cents(), 0);
    assert_eq!(parsed.control.entry_hash, 2_100_002 + 2_600_959 + 1_100_001);
    assert_eq!(parsed.control.entry_addenda_count, 6);
    assert_eq!(parsed.batches[0].header.service_class, 220);
    assert_eq!(
        parsed.batches[0].header.effective_date(),
        Some(date(2026, 12, 1))
    );
}

#[test]
fn trace_numbers_are_the_odfi_followed_by_a_file_wide_sequence() {
    let b1 = batch(vec![
        credit("A", "021000021", "1", "1.00", ""),
        credit("B", "021000021", "2", "2.00", ""),
    ]);
    let b2 = batch(vec![credit("C", "021000021", "3", "3.00", "")]);
    let parsed = parse_ach_with(
        &write_ach(&file(vec![b1, b2])).expect("valid test input"),
        ParseMode::Strict,
    )
    .expect("valid test input");
    let traces: Vec<&str> = parsed.entries().map(|e| e.trace_number.as_str()).collect();
    assert_eq!(
        traces,
        ["121042880000001", "121042880000002", "121042880000003"]
    );
    assert_eq!(parsed.batches[1].header.batch_number, 2);
}

#[test]
fn checking_and_savings_credits_use_transaction_codes_22_and_32() {
    let parsed = parse_ach_with(
        &write_ach(&three_credit_file()).expect("valid test input"),
        ParseMode::Strict,
    )
    .expect("valid test input");
    let codes: Vec<u8> = parsed.entries().map(|e| e.transaction_code.0).collect();
    assert_eq!(codes, [22, 32, 22]);
}

#[test]
fn remittance_is_uppercased_and_reduced_to_the_nacha_character_set() {
    let parsed = parse_ach_with(
        &write_ach(&three_credit_file()).expect("valid test input"),
        ParseMode::Strict,
    )
    .expect("valid test input");
    let entry = &parsed.batches[0].entries[2];
    assert_eq!(
        entry.addenda[0].payment_related_information,
        "INV 9/77 (CREDIT MEMO) ADJ"
    );
    assert_eq!(entry.name, "SOCIETE GENERALE & FIL");
    assert_eq!(entry.addenda[0].type_code, "05");
}

#[test]
fn empty_remittance_writes_no_addenda_record() {
    let parsed = parse_ach_with(
        &write_ach(&file(vec![batch(vec![credit(
            "A",
            "021000021",
            "1",
            "1.00",
            "  ",
        )])]))
        .expect("valid test input"),
        ParseMode::Strict,
    )
    .expect("valid test input");
    let entry = &parsed.batches[0].entries[0];
    assert!(!entry.addenda_indicator && entry.addenda.is_empty());
    assert_eq!(parsed.control.entry_addenda_count, 1);
}

#[test]
fn ctx_entries_declare_their_addenda_count_and_a_16_character_name() {
    let mut b = batch(vec![credit(
        "A Very Long Vendor Name Ltd",
        "021000021",
        "1",
        "1.00",
        "ISA*00~",
    )]);
    b.sec_code = ap_bankfile::SecCode::Ctx;
    let text = write_ach(&file(vec![b])).expect("valid test input");
    let entry_line = text.lines().nth(2).expect("valid test input");
    assert_eq!(&entry_line[54..58], "0001");
    assert_eq!(&entry_line[58..74], "A VERY LONG VEND");
    let parsed = parse_ach_with(&text, ParseMode::Strict).expect("valid test input");
    assert_eq!(parsed.batches[0].header.sec_code, "CTX");
}

#[test]
fn entry_hash_keeps_only_the_last_ten_digits() {
    // 150 × 72,xxx,xxx exceeds 10^10, so the hash must wrap.
    let check = ap_bankfile::routing::aba_check_digit("72000000").expect("valid test input");
    let rn = format!("72000000{check}");
    let credits = (0..150)
        .map(|_| credit("V", &rn, "1", "1.00", ""))
        .collect();
    let parsed = parse_ach_with(
        &write_ach(&file(vec![batch(credits)])).expect("valid test input"),
        ParseMode::Strict,
    )
    .expect("valid test input");
    assert_eq!(
        parsed.control.entry_hash,
        (150u64 * 72_000_000) % 10_000_000_000
    );
}

#[test]
fn output_is_a_pure_function_of_the_input() {
    assert_eq!(
        write_ach(&three_credit_file()).expect("valid test input"),
        write_ach(&three_credit_file()).expect("valid test input")
    );
}

#[test]
fn negative_zero_and_fractional_cent_amounts_are_refused() {
    for (amount, expected) in [
        ("-5.00", MoneyError::Negative(dec("-5.00"))),
        ("0.00", MoneyError::Zero),
        (
            "1.005",
            MoneyError::TooManyDecimals {
                amount: dec("1.005"),
                currency: "USD",
                max: 2,
            },
        ),
    ] {
        let spec = file(vec![batch(vec![credit("A", "021000021", "1", amount, "")])]);
        assert_eq!(
            write_ach(&spec),
            Err(AchWriteError::Amount {
                batch: 1,
                entry: 1,
                source: expected
            })
        );
    }
    // Trailing zeros beyond two places are still whole cents.
    assert!(
        write_ach(&file(vec![batch(vec![credit(
            "A",
            "021000021",
            "1",
            "1.5000",
            ""
        )])]))
        .is_ok()
    );
}

#[test]
fn amounts_beyond_the_ten_digit_entry_field_are_refused() {
    let spec = file(vec![batch(vec![credit(
        "A",
        "021000021",
        "1",
        "100000000.00",
        "",
    )])]);
    assert_eq!(
        write_ach(&spec),
        Err(AchWriteError::AmountTooLarge { batch: 1, entry: 1 })
    );
}

#[test]
fn remittance_longer_than_80_characters_is_refused_rather_than_cut() {
    let long = "INV-12345 ".repeat(9);
    let spec = file(vec![batch(vec![credit(
        "A",
        "021000021",
        "1",
        "1.00",
        &long,
    )])]);
    assert!(matches!(
        write_ach(&spec),
        Err(AchWriteError::FieldTooLong {
            field: "remittance",
            max: 80,
            ..
        })
    ));
}

#[test]
fn account_numbers_longer_than_17_characters_are_refused() {
    let spec = file(vec![batch(vec![credit(
        "A",
        "021000021",
        "123456789012345678",
        "1.00",
        "",
    )])]);
    assert_eq!(
        write_ach(&spec),
        Err(AchWriteError::AccountTooLong {
            batch: 1,
            entry: 1,
            len: 18
        })
    );
}

#[test]
fn account_numbers_never_appear_in_debug_output_or_errors() {
    let spec = three_credit_file();
    let debug = format!("{spec:?}");
    assert!(!debug.contains("4001-778-12") && !debug.contains("99887766"));
    assert!(debug.contains("AccountNumber(<redacted>)"));
    let err = ap_bankfile::AccountNumber::new("12345678901234567890123456789012345")
        .expect_err("must fail");
    assert!(!err.to_string().contains("1234567890"));
    assert_eq!(
        ap_bankfile::AccountNumber::new("99887766")
            .expect("valid test input")
            .masked(),
        "****7766"
    );
}

#[test]
fn routing_numbers_with_a_bad_check_digit_are_refused() {
    assert_eq!(
        ap_bankfile::RoutingNumber::parse("231380105")
            .expect_err("must fail")
            .to_string(),
        "routing number 231380105 fails check digit"
    );
    assert!(ap_bankfile::RoutingNumber::parse("23138010").is_err());
    assert!(ap_bankfile::RoutingNumber::parse("23138010x").is_err());
}

#[test]
fn empty_files_batches_and_bad_identifiers_are_refused() {
    assert_eq!(write_ach(&file(vec![])), Err(AchWriteError::NoBatches));
    assert_eq!(
        write_ach(&file(vec![batch(vec![])])),
        Err(AchWriteError::EmptyBatch { batch: 1 })
    );
    let mut spec = three_credit_file();
    spec.file_id_modifier = 'a';
    assert_eq!(write_ach(&spec), Err(AchWriteError::FileIdModifier('a')));
    let mut spec = three_credit_file();
    spec.batches[0].company_id = "12345678901".to_string();
    assert!(matches!(
        write_ach(&spec),
        Err(AchWriteError::FieldTooLong {
            field: "company identification",
            ..
        })
    ));
}
