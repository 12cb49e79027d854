//! Risk signals of an invoice: each has a name, a weight and a sentence a person can check.
//! Pure: the caller gathers the facts (vendor history, bank accounts) and stores the result.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

/// Thresholds and weights; every number is configuration (see docs/configuration.md).
#[derive(Clone, Debug, PartialEq)]
pub struct RiskPolicy {
    /// A score at or above this raises `FRAUD_SUSPECTED` (critical).
    pub fraud_threshold: u32,
    /// The highest score that still allows a touchless approval.
    pub touchless_max: u32,
    /// Totals at or above this that are whole multiples of `round_unit` are "round".
    pub round_amount_min: Decimal,
    pub round_unit: Decimal,
    /// Bank details replaced within this many days count as a recent change.
    pub bank_change_days: i64,
    /// Invoices older than this many days are stale.
    pub stale_days: i64,
    /// Amount above this multiple of the vendor's median.
    pub median_multiple: Decimal,
    /// Vendors with fewer paid invoices than this are new.
    pub new_vendor_paid: i64,
}

impl Default for RiskPolicy {
    fn default() -> Self {
        Self {
            fraud_threshold: 60,
            touchless_max: 10,
            round_amount_min: Decimal::new(10_000, 0),
            round_unit: Decimal::new(1_000, 0),
            bank_change_days: 30,
            stale_days: 90,
            median_multiple: Decimal::new(3, 0),
            new_vendor_paid: 3,
        }
    }
}

/// The vendor's current bank account, as far as risk is concerned.
#[derive(Clone, Debug, PartialEq)]
pub struct BankFacts {
    /// False for the first account set at onboarding (not a change).
    pub replaced_earlier_account: bool,
    pub verified: bool,
    pub since: DateTime<Utc>,
    /// Other live vendors whose current account is the same.
    pub shared_with: Vec<String>,
}

/// What risk needs to know about an invoice and its vendor.
#[derive(Clone, Debug, PartialEq)]
pub struct RiskFacts {
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
    pub invoice_date: Option<NaiveDate>,
    pub total: Option<Decimal>,
    pub currency: Option<String>,
    /// None when the invoice has no resolved vendor.
    pub vendor_known: bool,
    pub bank: Option<BankFacts>,
    /// The payee account printed on the invoice differs from the vendor's current one.
    pub payee_differs: bool,
    pub paid_invoices: i64,
    /// Median total of the vendor's approved-or-later invoices in this currency, when there
    /// are at least three.
    pub vendor_median: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signal {
    pub code: &'static str,
    pub weight: u32,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub score: u32,
    pub signals: Vec<Signal>,
    /// The bank details changed recently: raised as `BANK_DETAILS_CHANGED` (critical) on its
    /// own, whatever the score.
    pub bank_changed: Option<String>,
}

impl Assessment {
    pub fn is_fraud_suspected(&self, policy: &RiskPolicy) -> bool {
        self.score >= policy.fraud_threshold
    }

    pub fn allows_touchless(&self, policy: &RiskPolicy) -> bool {
        self.score <= policy.touchless_max && self.bank_changed.is_none()
    }
}

/// Weights: a strong signal alone reaches the fraud threshold (60); weak ones need company. A
/// recent bank change raises its own critical exception, so alone it stays below the
/// threshold; with the new account still unverified (the usual case) it is fraud-suspect too.
pub mod weight {
    pub const BANK_CHANGED: u32 = 40;
    pub const BANK_UNVERIFIED: u32 = 30;
    pub const SHARED_ACCOUNT: u32 = 60;
    pub const PAYEE_DIFFERS: u32 = 40;
    pub const ABOVE_MEDIAN: u32 = 30;
    pub const ROUND_AMOUNT: u32 = 15;
    pub const NEW_VENDOR: u32 = 10;
    pub const FUTURE_DATE: u32 = 30;
    pub const STALE_DATE: u32 = 20;
}

pub fn assess(f: &RiskFacts, p: &RiskPolicy) -> Assessment {
    let mut signals = Vec::new();
    let mut push = |code, weight, reason: String| {
        signals.push(Signal {
            code,
            weight,
            reason,
        })
    };
    let mut bank_changed = None;
    if let Some(bank) = &f.bank {
        let age = (f.now - bank.since).num_days();
        if bank.replaced_earlier_account && age <= p.bank_change_days {
            let when = bank.since.date_naive();
            let before = f
                .invoice_date
                .map(|d| match (d - when).num_days() {
                    n if n > 0 => format!(", {n} days before the invoice date"),
                    0 => ", on the invoice date".to_owned(),
                    n => format!(", {} days after the invoice date", -n),
                })
                .unwrap_or_default();
            let reason = format!("The vendor's bank details were changed on {when}{before}.");
            bank_changed = Some(reason.clone());
            push("bank_details_changed", weight::BANK_CHANGED, reason);
        }
        if !bank.verified {
            push(
                "bank_details_unverified",
                weight::BANK_UNVERIFIED,
                "The vendor's bank details are not verified by a second person yet.".into(),
            );
        }
        if !bank.shared_with.is_empty() {
            push(
                "shared_bank_account",
                weight::SHARED_ACCOUNT,
                format!(
                    "The vendor's bank account is also the account of {}.",
                    bank.shared_with.join(", ")
                ),
            );
        }
    }
    if f.payee_differs {
        push(
            "payee_account_differs",
            weight::PAYEE_DIFFERS,
            "The bank account printed on the invoice is not the vendor's account on file.".into(),
        );
    }
    let currency = f.currency.as_deref().unwrap_or("");
    if let Some(total) = f.total {
        if total >= p.round_amount_min
            && !p.round_unit.is_zero()
            && (total % p.round_unit).is_zero()
        {
            push(
                "round_amount",
                weight::ROUND_AMOUNT,
                format!("A round amount of {} {currency}.", total.normalize()),
            );
        }
        if let Some(median) = f.vendor_median
            && median > Decimal::ZERO
            && total > median * p.median_multiple
        {
            push(
                "above_vendor_median",
                weight::ABOVE_MEDIAN,
                format!(
                    "{} {currency} is more than {}× the vendor's median of {} {currency}.",
                    total.normalize(),
                    p.median_multiple.normalize(),
                    median.round_dp(2)
                ),
            );
        }
    }
    if f.vendor_known && f.paid_invoices < p.new_vendor_paid {
        push(
            "new_vendor",
            weight::NEW_VENDOR,
            format!("A new vendor: {} paid invoice(s) so far.", f.paid_invoices),
        );
    }
    if let Some(date) = f.invoice_date {
        if date > f.today {
            push(
                "future_date",
                weight::FUTURE_DATE,
                format!("The invoice is dated {date}, in the future."),
            );
        } else if (f.today - date).num_days() > p.stale_days {
            push(
                "stale_date",
                weight::STALE_DATE,
                format!(
                    "The invoice is dated {date}, more than {} days ago.",
                    p.stale_days
                ),
            );
        }
    }
    Assessment {
        score: signals.iter().map(|s| s.weight).sum(),
        signals,
        bank_changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> RiskFacts {
        let now = "2026-03-10T12:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("now");
        RiskFacts {
            today: now.date_naive(),
            now,
            invoice_date: Some(now.date_naive()),
            total: Some(Decimal::new(123_456, 2)),
            currency: Some("USD".into()),
            vendor_known: true,
            bank: Some(BankFacts {
                replaced_earlier_account: false,
                verified: true,
                since: now - chrono::Duration::days(400),
                shared_with: Vec::new(),
            }),
            payee_differs: false,
            paid_invoices: 12,
            vendor_median: Some(Decimal::new(1_000, 0)),
        }
    }

    fn codes(a: &Assessment) -> Vec<&'static str> {
        a.signals.iter().map(|s| s.code).collect()
    }

    #[test]
    fn an_established_vendor_with_a_normal_invoice_has_no_signal() {
        let a = assess(&facts(), &RiskPolicy::default());
        assert_eq!(a.score, 0, "{:?}", a.signals);
        assert!(a.allows_touchless(&RiskPolicy::default()));
    }

    #[test]
    fn a_bank_change_a_week_before_the_invoice_is_named_and_blocks_touchless() {
        let mut f = facts();
        let bank = f.bank.as_mut().expect("bank");
        bank.replaced_earlier_account = true;
        bank.since = f.now - chrono::Duration::days(7);
        let a = assess(&f, &RiskPolicy::default());
        assert_eq!(codes(&a), ["bank_details_changed"]);
        assert!(
            a.bank_changed
                .as_deref()
                .is_some_and(|r| r.contains("7 days before the invoice date")),
            "{:?}",
            a.bank_changed
        );
        assert!(!a.is_fraud_suspected(&RiskPolicy::default()));
        assert!(!a.allows_touchless(&RiskPolicy::default()));
        // The usual case: the new account is not verified yet.
        f.bank.as_mut().expect("bank").verified = false;
        let a = assess(&f, &RiskPolicy::default());
        assert_eq!(a.score, 70);
        assert!(a.is_fraud_suspected(&RiskPolicy::default()));
    }

    #[test]
    fn the_first_account_at_onboarding_is_not_a_change() {
        let mut f = facts();
        f.bank.as_mut().expect("bank").since = f.now - chrono::Duration::days(2);
        assert_eq!(assess(&f, &RiskPolicy::default()).score, 0);
    }

    #[test]
    fn a_change_older_than_the_window_is_not_recent() {
        let mut f = facts();
        let bank = f.bank.as_mut().expect("bank");
        bank.replaced_earlier_account = true;
        bank.since = f.now - chrono::Duration::days(31);
        assert!(assess(&f, &RiskPolicy::default()).bank_changed.is_none());
    }

    #[test]
    fn a_single_weak_signal_still_allows_touchless_but_two_do_not() {
        let p = RiskPolicy::default();
        let mut f = facts();
        f.paid_invoices = 0;
        let a = assess(&f, &p);
        assert_eq!(codes(&a), ["new_vendor"]);
        assert!(a.allows_touchless(&p));
        f.total = Some(Decimal::new(20_000, 0));
        f.vendor_median = None;
        let a = assess(&f, &p);
        assert_eq!(codes(&a), ["round_amount", "new_vendor"]);
        assert!(!a.allows_touchless(&p));
        assert!(!a.is_fraud_suspected(&p));
    }

    #[test]
    fn amounts_far_above_the_median_dates_and_shared_accounts_are_signals() {
        let p = RiskPolicy::default();
        let mut f = facts();
        f.total = Some(Decimal::new(3_001, 0));
        f.invoice_date = Some(f.today + chrono::Duration::days(3));
        f.bank.as_mut().expect("bank").shared_with = vec!["Globex".into()];
        let a = assess(&f, &p);
        assert_eq!(
            codes(&a),
            ["shared_bank_account", "above_vendor_median", "future_date"]
        );
        assert!(a.is_fraud_suspected(&p));
        f.invoice_date = Some(f.today - chrono::Duration::days(91));
        assert!(codes(&assess(&f, &p)).contains(&"stale_date"));
        // Exactly 3× is not above.
        f.total = Some(Decimal::new(3_000, 0));
        assert!(!codes(&assess(&f, &p)).contains(&"above_vendor_median"));
    }

    #[test]
    fn round_means_a_whole_multiple_at_or_above_the_minimum() {
        let p = RiskPolicy::default();
        let mut f = facts();
        f.vendor_median = None;
        for (total, round) in [
            ("10000", true),
            ("10000.00", true),
            ("9000", false),
            ("10000.01", false),
            ("15500", false),
        ] {
            f.total = Some(total.parse().expect("decimal"));
            assert_eq!(
                codes(&assess(&f, &p)).contains(&"round_amount"),
                round,
                "{total}"
            );
        }
    }
}
