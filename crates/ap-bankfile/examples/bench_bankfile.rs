//! Times a 10,000-payment run: building the inputs, writing and re-validating a NACHA file,
//! and writing a pain.001.001.09 message. Run with `cargo run --example bench_bankfile`
//! (add `--release` for production figures).

use std::time::Instant;

use ap_bankfile::routing::aba_check_digit;
use ap_bankfile::{
    AccountId, AccountNumber, AccountType, AchBatchSpec, AchCredit, AchFileSpec, Agent, Bic,
    CreditTransfer, Creditor, Currency, Debtor, Iban, LineEnding, Pain001Spec, RoutingNumber,
    SecCode, parse_ach, write_ach, write_pain001,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

const PAYMENTS: usize = 10_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let date = NaiveDate::from_ymd_opt(2026, 12, 1).ok_or("bad date")?;
    let created = date.and_hms_opt(9, 0, 0).ok_or("bad time")?;
    let odfi = RoutingNumber::parse("121042882")?;

    let started = Instant::now();
    let mut credits = Vec::with_capacity(PAYMENTS);
    for i in 0..PAYMENTS {
        let eight = format!("0{:07}", 2_100_000 + i % 5_000);
        let check = aba_check_digit(&eight).ok_or("bad routing")?;
        credits.push(AchCredit {
            name: format!("Vendor number {i}"),
            routing: RoutingNumber::parse(&format!("{eight}{check}"))?,
            account: AccountNumber::new(&format!("{:012}", 7_000_000 + i))?,
            account_type: if i % 7 == 0 {
                AccountType::Savings
            } else {
                AccountType::Checking
            },
            amount: Decimal::new(10_000 + i as i64 * 37, 2),
            id_number: format!("V{i:06}"),
            remittance: format!("INV-{i:06} INV-{:06}", i + 1),
        });
    }
    let spec = AchFileSpec {
        immediate_destination: odfi.clone(),
        immediate_origin: odfi.clone(),
        immediate_destination_name: "Bank".into(),
        immediate_origin_name: "Acme".into(),
        file_creation: created,
        file_id_modifier: 'A',
        reference_code: String::new(),
        line_ending: LineEnding::Lf,
        batches: vec![AchBatchSpec {
            company_name: "Acme".into(),
            company_discretionary_data: String::new(),
            company_id: "1234567890".into(),
            sec_code: SecCode::Ccd,
            entry_description: "VENDOR PAY".into(),
            descriptive_date: String::new(),
            effective_entry_date: date,
            odfi,
            credits,
        }],
    };
    let built = started.elapsed();
    let t = Instant::now();
    let ach = write_ach(&spec)?;
    let written = t.elapsed();
    let t = Instant::now();
    let parsed = parse_ach(&ach)?;
    let validated = t.elapsed();
    println!(
        "NACHA: {PAYMENTS} credits, {} bytes: build inputs {:?}, write {:?}, parse+validate {:?}, total {:?} (credit total {})",
        ach.len(),
        built,
        written,
        validated,
        started.elapsed(),
        parsed.total_credit()
    );

    let started = Instant::now();
    let debtor = Debtor {
        name: "Acme Widgets GmbH".into(),
        account: AccountId::Iban(Iban::parse("DE89370400440532013000")?),
        agent: Agent::bic(Bic::parse("COBADEFFXXX")?),
    };
    let creditor_iban = Iban::parse("FR1420041010050500013M02606")?;
    let creditor_bic = Bic::parse("BNPAFRPP")?;
    let transfers = (0..PAYMENTS)
        .map(|i| CreditTransfer {
            instruction_id: format!("I-{i}"),
            end_to_end_id: format!("E2E-{i}"),
            amount: Decimal::new(10_000 + i as i64 * 37, 2),
            currency: Currency::Eur,
            execution_date: date,
            debtor: debtor.clone(),
            creditor: Creditor {
                name: format!("Vendor & Co {i}"),
                account: AccountId::Iban(creditor_iban.clone()),
                agent: Some(Agent::bic(creditor_bic.clone())),
            },
            remittance: format!("INV-{i:06} INV-{:06}", i + 1),
        })
        .collect();
    let pain = Pain001Spec {
        message_id: "BENCH-0001".into(),
        created_at: created,
        initiating_party: "Acme Widgets GmbH".into(),
        batch_booking: true,
        transfers,
    };
    let built = started.elapsed();
    let t = Instant::now();
    let xml = write_pain001(&pain)?;
    println!(
        "pain.001: {PAYMENTS} transfers, {} bytes: build inputs {:?}, write {:?}, total {:?}",
        xml.len(),
        built,
        t.elapsed(),
        started.elapsed()
    );
    Ok(())
}
