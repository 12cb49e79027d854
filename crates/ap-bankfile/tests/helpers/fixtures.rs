//! Shared test fixtures: corpus location, sample ACH and pain.001 inputs, and a helper
//! for tools that must be present unless explicitly skipped.
#![allow(dead_code)]

use std::path::PathBuf;
use std::str::FromStr;

use ap_bankfile::{
    AccountId, AccountNumber, AccountType, AchBatchSpec, AchCredit, AchFileSpec, Agent, Bic,
    CreditTransfer, Creditor, Currency, Debtor, Iban, LineEnding, Pain001Spec, RoutingNumber,
    SecCode,
};
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

/// `<repo>/../shared/corpus` relative to `<repo>/crates/ap-bankfile`, or `AP_CORPUS_DIR`.
pub fn corpus_dir() -> PathBuf {
    match std::env::var_os("AP_CORPUS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    }
}

pub fn corpus_file(name: &str) -> String {
    let path = corpus_dir().join("ach").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read corpus file {} ({e}); set AP_CORPUS_DIR to the shared corpus directory",
            path.display()
        )
    })
}

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("valid test input")
}

pub fn routing(s: &str) -> RoutingNumber {
    RoutingNumber::parse(s).expect("valid test input")
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test input")
}

pub fn datetime(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    date(y, m, d)
        .and_hms_opt(h, min, 0)
        .expect("valid test input")
}

pub fn credit(
    name: &str,
    routing_number: &str,
    account: &str,
    amount: &str,
    remittance: &str,
) -> AchCredit {
    AchCredit {
        name: name.to_string(),
        routing: routing(routing_number),
        account: AccountNumber::new(account).expect("valid test input"),
        account_type: AccountType::Checking,
        amount: dec(amount),
        id_number: String::new(),
        remittance: remittance.to_string(),
    }
}

pub fn batch(credits: Vec<AchCredit>) -> AchBatchSpec {
    AchBatchSpec {
        company_name: "Acme Widgets Inc".to_string(),
        company_discretionary_data: String::new(),
        company_id: "1234567890".to_string(),
        sec_code: SecCode::Ccd,
        entry_description: "VENDOR PAY".to_string(),
        descriptive_date: String::new(),
        effective_entry_date: date(2026, 12, 1),
        odfi: routing("121042882"),
        credits,
    }
}

pub fn file(batches: Vec<AchBatchSpec>) -> AchFileSpec {
    AchFileSpec {
        immediate_destination: routing("121042882"),
        immediate_origin: routing("121042882"),
        immediate_destination_name: "Wells Fargo Bank".to_string(),
        immediate_origin_name: "Acme Widgets Inc".to_string(),
        file_creation: datetime(2026, 11, 29, 14, 30),
        file_id_modifier: 'A',
        reference_code: String::new(),
        line_ending: LineEnding::Lf,
        batches,
    }
}

/// The three-credit file quoted in the README.
pub fn three_credit_file() -> AchFileSpec {
    let mut savings = credit(
        "Globex Corporation",
        "026009593",
        "000123456789",
        "250.00",
        "INV 2041",
    );
    savings.account_type = AccountType::Savings;
    savings.id_number = "V-0002".to_string();
    let mut first = credit(
        "Initech LLC",
        "021000021",
        "4001-778-12",
        "1234.56",
        "INV-1001, INV-1002",
    );
    first.id_number = "V-0001".to_string();
    let mut third = credit(
        "Société Générale & Fils",
        "011000015",
        "99887766",
        "0.01",
        "inv 9/77 (credit memo) ~ adj",
    );
    third.id_number = "V-0003".to_string();
    file(vec![batch(vec![first, savings, third])])
}

pub fn iban(s: &str) -> Iban {
    Iban::parse(s).expect("valid test input")
}

pub fn bic(s: &str) -> Bic {
    Bic::parse(s).expect("valid test input")
}

pub fn eur_debtor() -> Debtor {
    Debtor {
        name: "Acme Widgets GmbH".to_string(),
        account: AccountId::Iban(iban("DE89 3704 0044 0532 0130 00")),
        agent: Agent::bic(bic("COBADEFFXXX")),
    }
}

pub fn eur_transfer(
    n: usize,
    creditor_name: &str,
    amount: &str,
    remittance: &str,
) -> CreditTransfer {
    CreditTransfer {
        instruction_id: format!("INSTR-{n}"),
        end_to_end_id: format!("E2E-{n}"),
        amount: dec(amount),
        currency: Currency::Eur,
        execution_date: date(2026, 12, 2),
        debtor: eur_debtor(),
        creditor: Creditor {
            name: creditor_name.to_string(),
            account: AccountId::Iban(iban("FR14 2004 1010 0505 0001 3M02 606")),
            agent: Some(Agent::bic(bic("BNPAFRPP"))),
        },
        remittance: remittance.to_string(),
    }
}

pub fn pain_spec(transfers: Vec<CreditTransfer>) -> Pain001Spec {
    Pain001Spec {
        message_id: "MSG-2026-11-29-0001".to_string(),
        created_at: datetime(2026, 11, 29, 14, 30),
        initiating_party: "Acme Widgets GmbH".to_string(),
        batch_booking: true,
        transfers,
    }
}

pub fn usd_wire(n: usize) -> CreditTransfer {
    CreditTransfer {
        instruction_id: format!("WIRE-{n}"),
        end_to_end_id: format!("WIRE-E2E-{n}"),
        amount: dec("125000.00"),
        currency: Currency::Usd,
        execution_date: date(2026, 12, 3),
        debtor: Debtor {
            name: "Acme Widgets Inc".to_string(),
            account: AccountId::Other(
                AccountNumber::new("123456789012").expect("valid test input"),
            ),
            agent: Agent {
                bic: Some(bic("WFBIUS6S")),
                aba_routing: Some(routing("121000248")),
            },
        },
        creditor: Creditor {
            name: "Initech LLC".to_string(),
            account: AccountId::Other(
                AccountNumber::new("000987654321").expect("valid test input"),
            ),
            agent: Some(Agent {
                bic: None,
                aba_routing: Some(routing("021000021")),
            }),
        },
        remittance: "INV-1001 INV-1002".to_string(),
    }
}

/// Fails with a clear message when `tool` is missing, unless `skip_var` is `1`.
/// Returns false when the caller should skip.
pub fn require_tool(tool_ok: bool, what: &str, skip_var: &str, install_hint: &str) -> bool {
    if tool_ok {
        return true;
    }
    if std::env::var(skip_var).as_deref() == Ok("1") {
        eprintln!("SKIPPED: {what} is not available and {skip_var}=1 is set");
        return false;
    }
    panic!(
        "{what} is required for this test but was not found. Install it with: {install_hint} (or set {skip_var}=1 to skip deliberately)"
    );
}
