//! Settings of the payment service: run cadence and the originator details written into bank
//! files (NACHA ACH and ISO 20022 pain.001). Outside production every value has a demo
//! default; in production each one is required, so no file ever leaves with demo identifiers.

use super::ConfigError;

/// Where payment runs pay from and how often they happen.
#[derive(Clone, Debug)]
pub struct PaymentSettings {
    /// Days between two payment runs: an early-payment discount that would expire before the
    /// next run is taken in this one.
    pub run_interval_days: u32,
    /// How often stuck (pending) payments are retried against the invoice service.
    pub settle_interval: std::time::Duration,
    pub ach: AchOriginator,
    pub pain001: Pain001Debtor,
}

/// NACHA file and batch header fields of the paying company.
#[derive(Clone, Debug)]
pub struct AchOriginator {
    /// ABA routing number of the bank receiving the file (immediate destination).
    pub immediate_destination: String,
    pub immediate_destination_name: String,
    /// ABA routing number identifying the sender (immediate origin).
    pub immediate_origin: String,
    pub immediate_origin_name: String,
    /// Originating DFI routing number (first eight digits prefix every trace number).
    pub odfi: String,
    /// Company name in batch headers (16 characters).
    pub company_name: String,
    /// Company identification (10 characters, often `1` + EIN).
    pub company_id: String,
    /// `CCD` (one remittance addendum per entry) or `CTX`.
    pub sec_code: String,
    /// Entry description shown to vendors (10 characters).
    pub entry_description: String,
}

/// The debtor of pain.001 credit transfers.
#[derive(Clone, Debug)]
pub struct Pain001Debtor {
    pub name: String,
    pub iban: String,
    pub bic: String,
}

impl PaymentSettings {
    pub(super) fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        prod: bool,
        errors: &mut Vec<ConfigError>,
    ) -> Self {
        let mut text = |var: &'static str, demo: &str| match get(var) {
            Some(v) => v.trim().to_owned(),
            None if prod => {
                errors.push(ConfigError::Missing { var });
                String::new()
            }
            None => demo.to_owned(),
        };
        let ach = AchOriginator {
            immediate_destination: text("ACH_IMMEDIATE_DESTINATION", "021000021"),
            immediate_destination_name: text("ACH_IMMEDIATE_DESTINATION_NAME", "DEMO ODFI BANK"),
            immediate_origin: text("ACH_IMMEDIATE_ORIGIN", "011000015"),
            immediate_origin_name: text("ACH_IMMEDIATE_ORIGIN_NAME", "AP AUTOMATION DEMO"),
            odfi: text("ACH_ODFI_ROUTING", "021000021"),
            company_name: text("ACH_COMPANY_NAME", "AP DEMO CO"),
            company_id: text("ACH_COMPANY_ID", "1234567890"),
            sec_code: get("ACH_SEC_CODE")
                .map_or_else(|| "CCD".to_owned(), |v| v.trim().to_uppercase()),
            entry_description: get("ACH_ENTRY_DESCRIPTION")
                .map_or_else(|| "VENDOR PAY".to_owned(), |v| v.trim().to_owned()),
        };
        let pain001 = Pain001Debtor {
            name: text("PAIN001_DEBTOR_NAME", "AP Automation Demo Ltd"),
            iban: text("PAIN001_DEBTOR_IBAN", "DE89370400440532013000"),
            bic: text("PAIN001_DEBTOR_BIC", "COBADEFFXXX"),
        };
        if !matches!(ach.sec_code.as_str(), "CCD" | "CTX") {
            errors.push(ConfigError::Invalid {
                var: "ACH_SEC_CODE",
                reason: "must be CCD or CTX".into(),
            });
        }
        let run_interval_days =
            match get("PAYMENT_RUN_INTERVAL_DAYS").map(|v| v.trim().parse::<u32>()) {
                None => 7,
                Some(Ok(d)) if (1..=90).contains(&d) => d,
                Some(_) => {
                    errors.push(ConfigError::Invalid {
                        var: "PAYMENT_RUN_INTERVAL_DAYS",
                        reason: "must be a whole number of days from 1 to 90".into(),
                    });
                    7
                }
            };
        let settle_interval =
            match get("PAYMENT_SETTLE_INTERVAL_SECS").map(|v| v.trim().parse::<u64>()) {
                None => std::time::Duration::from_secs(10),
                Some(Ok(s)) if s > 0 => std::time::Duration::from_secs(s),
                Some(_) => {
                    errors.push(ConfigError::Invalid {
                        var: "PAYMENT_SETTLE_INTERVAL_SECS",
                        reason: "must be a positive number of seconds".into(),
                    });
                    std::time::Duration::from_secs(10)
                }
            };
        Self {
            run_interval_days,
            settle_interval,
            ach,
            pain001,
        }
    }
}
