//! The bank file of a run: NACHA (CCD+ or CTX, one credit per invoice with a remittance
//! addendum), ISO 20022 pain.001.001.09 credit transfers, or a CSV check register. Built with
//! `ap-bankfile`; payee details arrive decrypted and live only for the duration of the call.

use std::collections::HashMap;
use std::fmt;

use ap_bankfile::{
    AccountId, AccountNumber, AccountType, AchBatchSpec, AchCredit, AchFileSpec, Agent, Bic,
    CreditTransfer, Creditor, Currency, Debtor, Iban, LineEnding, Pain001Spec, RoutingNumber,
    SecCode, write_ach, write_pain001,
};
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::FileFormat;

/// The paying company, validated from configuration.
#[derive(Clone, Debug)]
pub struct Originator {
    pub ach: AchOriginator,
    pub debtor: Debtor,
}

#[derive(Clone, Debug)]
pub struct AchOriginator {
    pub immediate_destination: RoutingNumber,
    pub immediate_destination_name: String,
    pub immediate_origin: RoutingNumber,
    pub immediate_origin_name: String,
    pub odfi: RoutingNumber,
    pub company_name: String,
    pub company_id: String,
    pub sec_code: SecCode,
    pub entry_description: String,
}

impl Originator {
    /// Validates the configured originator; the error names the variable at fault.
    pub fn from_settings(s: &ap_kit::config::PaymentSettings) -> anyhow::Result<Self> {
        let routing = |var: &str, v: &str| {
            RoutingNumber::parse(v)
                .map_err(|e| anyhow::anyhow!("{var} is not a valid ABA routing number: {e}"))
        };
        let a = &s.ach;
        anyhow::ensure!(
            !a.company_id.is_empty() && a.company_id.len() <= 10,
            "ACH_COMPANY_ID must be 1 to 10 characters"
        );
        Ok(Self {
            ach: AchOriginator {
                immediate_destination: routing(
                    "ACH_IMMEDIATE_DESTINATION",
                    &a.immediate_destination,
                )?,
                immediate_destination_name: a.immediate_destination_name.clone(),
                immediate_origin: routing("ACH_IMMEDIATE_ORIGIN", &a.immediate_origin)?,
                immediate_origin_name: a.immediate_origin_name.clone(),
                odfi: routing("ACH_ODFI_ROUTING", &a.odfi)?,
                company_name: a.company_name.clone(),
                company_id: a.company_id.clone(),
                sec_code: if a.sec_code == "CTX" {
                    SecCode::Ctx
                } else {
                    SecCode::Ccd
                },
                entry_description: a.entry_description.clone(),
            },
            debtor: Debtor {
                name: s.pain001.name.clone(),
                account: AccountId::Iban(
                    Iban::parse(&s.pain001.iban)
                        .map_err(|e| anyhow::anyhow!("PAIN001_DEBTOR_IBAN is not valid: {e}"))?,
                ),
                agent: Agent::bic(
                    Bic::parse(&s.pain001.bic)
                        .map_err(|e| anyhow::anyhow!("PAIN001_DEBTOR_BIC is not valid: {e}"))?,
                ),
            },
        })
    }
}

/// A vendor's current bank account, in clear. `Debug` shows no number.
#[derive(Clone)]
pub struct PayeeDetails {
    pub vendor_id: Uuid,
    pub account_id: Uuid,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub routing_number: Option<String>,
    pub account_number: Option<String>,
}

impl fmt::Debug for PayeeDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayeeDetails")
            .field("vendor_id", &self.vendor_id)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

/// One payment of the run, in file order.
#[derive(Clone, Debug)]
pub struct Payout {
    pub seq: u32,
    pub payment_id: Uuid,
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub invoice_number: Option<String>,
    pub amount: Decimal,
}

/// A run's file.
pub struct BankFile {
    pub format: FileFormat,
    pub filename: String,
    pub content: Vec<u8>,
}

/// What the file refers to, for its header and names.
#[derive(Clone, Debug)]
pub struct FileContext<'a> {
    pub run_reference: &'a str,
    pub currency: &'a str,
    pub payment_date: NaiveDate,
    pub created_at: NaiveDateTime,
}

/// Why a file cannot be written. Messages never contain account numbers.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("vendor {vendor}: no bank account on file")]
    MissingPayee { vendor: String },
    #[error("vendor {vendor}: bank details cannot be used: {reason}")]
    BadPayee { vendor: String, reason: String },
    #[error("the bank file cannot be written: {0}")]
    Write(String),
}

fn invoice_ref(p: &Payout) -> String {
    p.invoice_number
        .clone()
        .unwrap_or_else(|| p.payment_id.simple().to_string()[..12].to_uppercase())
}

/// Builds the file of `format` for `payouts`. `payees` maps vendor id → details (not needed
/// for a check register).
pub fn build(
    format: FileFormat,
    ctx: &FileContext<'_>,
    originator: &Originator,
    payouts: &[Payout],
    payees: &HashMap<Uuid, PayeeDetails>,
) -> Result<BankFile, FileError> {
    let filename = format!(
        "{}.{}",
        ctx.run_reference.to_lowercase(),
        format.extension()
    );
    let content = match format {
        FileFormat::Nacha => nacha(ctx, &originator.ach, payouts, payees)?.into_bytes(),
        FileFormat::Pain001 => pain001(ctx, &originator.debtor, payouts, payees)?.into_bytes(),
        FileFormat::CheckRegister => check_register(ctx, payouts).into_bytes(),
    };
    Ok(BankFile {
        format,
        filename,
        content,
    })
}

fn payee<'a>(
    payees: &'a HashMap<Uuid, PayeeDetails>,
    p: &Payout,
) -> Result<&'a PayeeDetails, FileError> {
    payees
        .get(&p.vendor_id)
        .ok_or_else(|| FileError::MissingPayee {
            vendor: p.vendor_name.clone(),
        })
}

fn bad(p: &Payout, reason: impl fmt::Display) -> FileError {
    FileError::BadPayee {
        vendor: p.vendor_name.clone(),
        reason: reason.to_string(),
    }
}

fn nacha(
    ctx: &FileContext<'_>,
    o: &AchOriginator,
    payouts: &[Payout],
    payees: &HashMap<Uuid, PayeeDetails>,
) -> Result<String, FileError> {
    let mut credits = Vec::with_capacity(payouts.len());
    for p in payouts {
        let d = payee(payees, p)?;
        let routing = RoutingNumber::parse(d.routing_number.as_deref().unwrap_or_default())
            .map_err(|e| bad(p, e))?;
        let account = AccountNumber::new(d.account_number.as_deref().unwrap_or_default())
            .map_err(|e| bad(p, e))?;
        let reference = ap_bankfile::ach::sanitize(&invoice_ref(p));
        credits.push(AchCredit {
            name: p.vendor_name.clone(),
            routing,
            account,
            account_type: AccountType::Checking,
            amount: p.amount,
            id_number: reference.chars().take(15).collect(),
            remittance: format!("INV {reference} RUN {}", ctx.run_reference)
                .chars()
                .take(80)
                .collect(),
        });
    }
    let spec = AchFileSpec {
        immediate_destination: o.immediate_destination.clone(),
        immediate_origin: o.immediate_origin.clone(),
        immediate_destination_name: o.immediate_destination_name.clone(),
        immediate_origin_name: o.immediate_origin_name.clone(),
        file_creation: ctx.created_at,
        file_id_modifier: 'A',
        reference_code: ctx
            .run_reference
            .chars()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect(),
        line_ending: LineEnding::Lf,
        batches: vec![AchBatchSpec {
            company_name: o.company_name.clone(),
            company_discretionary_data: String::new(),
            company_id: o.company_id.clone(),
            sec_code: o.sec_code,
            entry_description: o.entry_description.clone(),
            descriptive_date: String::new(),
            effective_entry_date: ctx.payment_date,
            odfi: o.odfi.clone(),
            credits,
        }],
    };
    write_ach(&spec).map_err(|e| FileError::Write(e.to_string()))
}

fn pain001(
    ctx: &FileContext<'_>,
    debtor: &Debtor,
    payouts: &[Payout],
    payees: &HashMap<Uuid, PayeeDetails>,
) -> Result<String, FileError> {
    let currency =
        Currency::from_code(ctx.currency).map_err(|e| FileError::Write(e.to_string()))?;
    let mut transfers = Vec::with_capacity(payouts.len());
    for p in payouts {
        let d = payee(payees, p)?;
        let bic = d
            .bic
            .as_deref()
            .filter(|b| !b.is_empty())
            .map(Bic::parse)
            .transpose()
            .map_err(|e| bad(p, e))?;
        let (account, aba) = match d.iban.as_deref().filter(|i| !i.is_empty()) {
            Some(iban) => (
                AccountId::Iban(Iban::parse(iban).map_err(|e| bad(p, e))?),
                None,
            ),
            None => (
                AccountId::Other(
                    AccountNumber::new(d.account_number.as_deref().unwrap_or_default())
                        .map_err(|e| bad(p, e))?,
                ),
                Some(
                    RoutingNumber::parse(d.routing_number.as_deref().unwrap_or_default())
                        .map_err(|e| bad(p, e))?,
                ),
            ),
        };
        let agent = Agent {
            bic,
            aba_routing: aba,
        };
        let reference = invoice_ref(p);
        transfers.push(CreditTransfer {
            instruction_id: format!("{}-{}", ctx.run_reference, p.seq)
                .chars()
                .take(35)
                .collect(),
            end_to_end_id: p.payment_id.simple().to_string()[..32].to_uppercase(),
            amount: p.amount,
            currency,
            execution_date: ctx.payment_date,
            debtor: debtor.clone(),
            creditor: Creditor {
                name: p.vendor_name.clone(),
                account,
                agent: (!agent.is_empty()).then_some(agent),
            },
            remittance: format!("Invoice {reference}").chars().take(140).collect(),
        });
    }
    let spec = Pain001Spec {
        message_id: ctx.run_reference.chars().take(35).collect(),
        created_at: ctx.created_at,
        initiating_party: debtor.name.clone(),
        batch_booking: true,
        transfers,
    };
    write_pain001(&spec).map_err(|e| FileError::Write(e.to_string()))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn check_register(ctx: &FileContext<'_>, payouts: &[Payout]) -> String {
    let mut out =
        String::from("check_number,payee,amount,currency,payment_date,invoice_number,payment_id\n");
    let decimals = Currency::from_code(ctx.currency).map_or(2, Currency::minor_units);
    for p in payouts {
        let mut amount = p.amount.round_dp(decimals);
        amount.rescale(decimals);
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            p.seq,
            // A leading = + - @ would be a formula in a spreadsheet.
            csv_field(p.vendor_name.trim_start_matches(['=', '+', '-', '@'])),
            amount,
            ctx.currency,
            ctx.payment_date,
            csv_field(&invoice_ref(p)),
            p.payment_id,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn originator() -> Originator {
        let config = ap_kit::Config::from_lookup(|_| None).expect("defaults");
        Originator::from_settings(&config.payment).expect("demo originator is valid")
    }

    fn ctx() -> FileContext<'static> {
        FileContext {
            run_reference: "RUN-20260306-0001",
            currency: "USD",
            payment_date: "2026-03-06".parse().expect("date"),
            created_at: "2026-03-05T10:30:00".parse().expect("time"),
        }
    }

    fn payout(seq: u32, vendor: u128, amount: &str) -> Payout {
        Payout {
            seq,
            payment_id: Uuid::from_u128(1000 + u128::from(seq)),
            vendor_id: Uuid::from_u128(vendor),
            vendor_name: format!("Vendor {vendor}"),
            invoice_number: Some(format!("INV-{seq}")),
            amount: amount.parse().expect("amount"),
        }
    }

    fn us_payee(vendor: u128) -> (Uuid, PayeeDetails) {
        (
            Uuid::from_u128(vendor),
            PayeeDetails {
                vendor_id: Uuid::from_u128(vendor),
                account_id: Uuid::from_u128(vendor + 50),
                iban: None,
                bic: None,
                routing_number: Some("026009593".into()),
                account_number: Some("000123456789".into()),
            },
        )
    }

    #[test]
    fn a_nacha_file_carries_every_payout_and_validates_with_the_crate_parser() {
        let payouts = vec![
            payout(1, 1, "15111.60"),
            payout(2, 2, "0.01"),
            payout(3, 1, "42"),
        ];
        let payees = HashMap::from([us_payee(1), us_payee(2)]);
        let file =
            build(FileFormat::Nacha, &ctx(), &originator(), &payouts, &payees).expect("file");
        let text = String::from_utf8(file.content).expect("ascii");
        let parsed =
            ap_bankfile::parse_ach_with(&text, ap_bankfile::ParseMode::Strict).expect("valid");
        assert_eq!(parsed.entry_count(), 3);
        assert_eq!(parsed.total_credit_cents(), 1_511_160 + 1 + 4200);
        assert!(text.lines().all(|l| l.len() == 94));
        assert_eq!(text.lines().count() % 10, 0);
        assert_eq!(file.filename, "run-20260306-0001.ach");
    }

    #[test]
    fn a_payee_without_details_names_the_vendor_not_the_account() {
        let err = build(
            FileFormat::Nacha,
            &ctx(),
            &originator(),
            &[payout(1, 9, "1")],
            &HashMap::new(),
        )
        .err()
        .expect("refused");
        assert_eq!(err.to_string(), "vendor Vendor 9: no bank account on file");
    }

    #[test]
    fn payee_details_never_show_their_numbers_in_debug_output() {
        let (_, p) = us_payee(1);
        assert!(!format!("{p:?}").contains("123456789"));
    }

    #[test]
    fn a_check_register_neutralises_spreadsheet_formulas_and_quotes_commas() {
        let mut p = payout(1, 1, "10");
        p.vendor_name = "=HYPERLINK(\"x\"), Inc".into();
        let file = build(
            FileFormat::CheckRegister,
            &ctx(),
            &originator(),
            &[p],
            &HashMap::new(),
        )
        .expect("file");
        let text = String::from_utf8(file.content).expect("utf-8");
        assert!(
            text.lines()
                .nth(1)
                .expect("row")
                .starts_with("1,\"HYPERLINK(\"\"x\"\"), Inc\",10.00,")
        );
    }
}
