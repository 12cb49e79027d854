//! Property tests: any valid writer input yields a file the strict parser accepts, with
//! the same counts and totals, 94-character records and a multiple of ten records.

#[path = "helpers/fixtures.rs"]
mod fixtures;

use ap_bankfile::routing::aba_check_digit;
use ap_bankfile::{
    AccountNumber, AccountType, AchCredit, LineEnding, ParseMode, SecCode, parse_ach_with,
    write_ach,
};
use fixtures::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn routing_strategy() -> impl Strategy<Value = ap_bankfile::RoutingNumber> {
    (0u32..=12, 0u32..1_000_000).prop_map(|(district, rest)| {
        let eight = format!("{district:02}{rest:06}");
        let check = aba_check_digit(&eight).expect("valid test input");
        routing(&format!("{eight}{check}"))
    })
}

fn credit_strategy() -> impl Strategy<Value = AchCredit> {
    (
        "\\PC{1,30}",
        routing_strategy(),
        "[0-9A-Z-]{1,17}",
        any::<bool>(),
        1u64..=9_999_999_999,
        "[A-Z0-9 ]{0,15}",
        "\\PC{0,60}",
    )
        .prop_filter("names must keep a printable character", |(name, ..)| {
            !ap_bankfile::ach::sanitize(name).is_empty()
        })
        .prop_filter(
            "account numbers need a non-space character",
            |(_, _, account, ..)| AccountNumber::new(account).is_ok(),
        )
        .prop_filter(
            "remittance must fit 80 characters after sanitising",
            |(.., remittance)| ap_bankfile::ach::sanitize(remittance).len() <= 80,
        )
        .prop_map(
            |(name, routing, account, savings, cents, id, remittance)| AchCredit {
                name,
                routing,
                account: AccountNumber::new(&account).expect("valid test input"),
                account_type: if savings {
                    AccountType::Savings
                } else {
                    AccountType::Checking
                },
                amount: Decimal::new(i64::try_from(cents).expect("valid test input"), 2),
                id_number: id,
                remittance,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_valid_input_produces_a_file_the_parser_accepts_with_matching_totals(
        batches in prop::collection::vec((prop::collection::vec(credit_strategy(), 1..12), any::<bool>()), 1..4),
        crlf in any::<bool>(),
    ) {
        let mut spec = file(batches.into_iter().map(|(credits, ctx)| {
            let mut b = batch(credits);
            if ctx { b.sec_code = SecCode::Ctx; }
            b
        }).collect());
        if crlf { spec.line_ending = LineEnding::CrLf; }
        let text = write_ach(&spec).expect("valid test input");
        let eol = if crlf { "\r\n" } else { "\n" };
        let records: Vec<&str> = text.split_terminator(eol).collect();
        prop_assert!(records.iter().all(|r| r.len() == 94));
        prop_assert_eq!(records.len() % 10, 0);

        let parsed = parse_ach_with(&text, ParseMode::Strict).expect("valid test input");
        let credits: Vec<&AchCredit> = spec.batches.iter().flat_map(|b| b.credits.iter()).collect();
        prop_assert_eq!(parsed.entry_count(), credits.len());
        let expected: Decimal = credits.iter().map(|c| c.amount).sum();
        prop_assert_eq!(parsed.total_credit(), expected);
        prop_assert_eq!(parsed.total_debit_cents(), 0);
        prop_assert_eq!(parsed.control.block_count as usize, records.len() / 10);
        for (entry, credit) in parsed.entries().zip(credits) {
            prop_assert_eq!(entry.amount(), credit.amount);
            prop_assert_eq!(entry.routing.as_str(), credit.routing.as_str());
            prop_assert_eq!(entry.account.expose(), credit.account.expose());
        }
    }

    #[test]
    fn sanitising_is_idempotent_and_stays_in_the_allowed_character_set(text in "\\PC{0,100}") {
        let once = ap_bankfile::ach::sanitize(&text);
        prop_assert_eq!(ap_bankfile::ach::sanitize(&once), once.clone());
        prop_assert!(once.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || " &'()+,-./:;?=#@%!\"$".contains(c)));
    }
}
