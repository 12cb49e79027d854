//! Which approved invoices a payment run takes, for how much, and which it leaves out (and
//! why). Pure: the app layer passes in what the invoice service reported.
//!
//! A run pays, in its currency:
//! - every invoice due on or before the pay-by date, and
//! - every invoice whose early-payment discount is still open on the run's payment date but
//!   would expire before the next run (`payment date + run interval`), so waiting would lose it.
//!
//! The discount (terms like "2/10 net 30") is taken whenever the payment date is on or before
//! the discount deadline; the arithmetic is `ap_bankfile::PaymentTerms` (half-even rounding to
//! the currency's minor unit, payable = amount − discount).

use std::collections::{BTreeMap, HashSet};

use ap_bankfile::{Currency, PaymentTerms};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{FileFormat, Method};

/// The kind of a vendor's bank account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountKind {
    Iban,
    Us,
}

/// The vendor's current bank account, masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayeeAccount {
    pub id: Uuid,
    pub kind: AccountKind,
    pub verified: bool,
    /// The vendor's first account (onboarding) rather than a change.
    pub is_initial: bool,
}

/// An approved invoice as the invoice service reports it.
#[derive(Clone, Debug)]
pub struct Payable {
    pub invoice_id: Uuid,
    pub invoice_number: Option<String>,
    pub vendor_id: Option<Uuid>,
    pub vendor_name: String,
    pub currency: String,
    pub amount_due: Option<Decimal>,
    pub invoice_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub payment_terms: Option<String>,
    pub blocking_exceptions: i32,
    pub account: Option<PayeeAccount>,
}

/// What a run is asked to pay.
#[derive(Clone, Copy, Debug)]
pub struct RunParams<'a> {
    pub currency: &'a str,
    pub method: Method,
    pub pay_by_date: NaiveDate,
    pub payment_date: NaiveDate,
    pub next_run_date: NaiveDate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Due on or before the pay-by date.
    Due,
    /// Not yet due, but its discount would expire before the next run.
    Discount,
}

impl Reason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Due => "due",
            Reason::Discount => "discount",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlannedItem {
    pub invoice_id: Uuid,
    pub invoice_number: Option<String>,
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub invoice_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub payment_terms: Option<String>,
    pub gross: Decimal,
    pub discount: Decimal,
    pub net: Decimal,
    pub discount_deadline: Option<NaiveDate>,
    pub reason: Reason,
    pub bank_account_id: Option<Uuid>,
    /// The vendor's account was changed (not its first one) and has never been paid.
    pub first_payment_to_changed_account: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Exclusion {
    pub invoice_id: Uuid,
    pub invoice_number: Option<String>,
    pub vendor_id: Option<Uuid>,
    pub vendor_name: String,
    pub amount: Option<Decimal>,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub items: Vec<PlannedItem>,
    pub exclusions: Vec<Exclusion>,
}

/// Totals of a run and of each vendor in it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Totals {
    pub invoice_count: usize,
    pub gross: Decimal,
    pub discount: Decimal,
    pub net: Decimal,
    pub flagged: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VendorLine {
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub totals: Totals,
}

pub const FLAG_FIRST_PAYMENT_TO_CHANGED_ACCOUNT: &str = "first_payment_to_changed_account";

/// Picks a run's invoices from `payables`. `paid_accounts` are bank accounts that already
/// received a completed payment (so a changed account's first payment can be flagged).
pub fn plan(params: &RunParams<'_>, payables: &[Payable], paid_accounts: &HashSet<Uuid>) -> Plan {
    let format = FileFormat::for_run(params.currency, params.method);
    let mut plan = Plan::default();
    for p in payables.iter().filter(|p| p.currency == params.currency) {
        let terms = p
            .payment_terms
            .as_deref()
            .and_then(|t| PaymentTerms::parse(t).ok());
        let due_date = p.due_date.or_else(|| {
            terms
                .zip(p.invoice_date)
                .and_then(|(t, d)| t.due_date(d).ok())
        });
        let deadline = terms
            .zip(p.invoice_date)
            .and_then(|(t, d)| t.discount_deadline(d).ok().flatten());
        // No due date and no terms: payable now.
        let due = due_date.is_none_or(|d| d <= params.pay_by_date);
        let discount_would_expire =
            deadline.is_some_and(|dl| params.payment_date <= dl && dl < params.next_run_date);
        if !due && !discount_would_expire {
            continue;
        }
        let exclude = |reason: String| Exclusion {
            invoice_id: p.invoice_id,
            invoice_number: p.invoice_number.clone(),
            vendor_id: p.vendor_id,
            vendor_name: p.vendor_name.clone(),
            amount: p.amount_due,
            reason,
        };
        match check(p, format) {
            Err(reason) => plan.exclusions.push(exclude(reason)),
            Ok(vendor_id) => {
                let gross = p.amount_due.unwrap_or_default().normalize();
                let payable = match (Currency::from_code(params.currency), terms, p.invoice_date) {
                    (Ok(cur), Some(t), Some(d)) => {
                        t.amount_payable(d, gross, cur, params.payment_date)
                    }
                    (Ok(cur), _, _) => PaymentTerms::new(None, 0).and_then(|t| {
                        t.amount_payable(params.payment_date, gross, cur, params.payment_date)
                    }),
                    (Err(e), _, _) => Err(e.into()),
                };
                match payable {
                    Err(e) => plan
                        .exclusions
                        .push(exclude(format!("the amount cannot be paid: {e}"))),
                    Ok(payable) => {
                        let account = p
                            .account
                            .as_ref()
                            .filter(|_| format != FileFormat::CheckRegister);
                        plan.items.push(PlannedItem {
                            invoice_id: p.invoice_id,
                            invoice_number: p.invoice_number.clone(),
                            vendor_id,
                            vendor_name: p.vendor_name.clone(),
                            invoice_date: p.invoice_date,
                            due_date,
                            payment_terms: p.payment_terms.clone(),
                            gross,
                            discount: payable.discount,
                            net: payable.amount,
                            discount_deadline: deadline,
                            reason: if due { Reason::Due } else { Reason::Discount },
                            bank_account_id: account.map(|a| a.id),
                            first_payment_to_changed_account: account
                                .is_some_and(|a| !a.is_initial && !paid_accounts.contains(&a.id)),
                        });
                    }
                }
            }
        }
    }
    plan.items.sort_by(|a, b| {
        (
            a.vendor_name.as_str(),
            a.vendor_id,
            &a.invoice_number,
            a.invoice_id,
        )
            .cmp(&(
                b.vendor_name.as_str(),
                b.vendor_id,
                &b.invoice_number,
                b.invoice_id,
            ))
    });
    plan.exclusions
        .sort_by(|a, b| (&a.vendor_name, a.invoice_id).cmp(&(&b.vendor_name, b.invoice_id)));
    plan
}

/// Why an otherwise selected invoice cannot be in this run, if it cannot.
fn check(p: &Payable, format: FileFormat) -> Result<Uuid, String> {
    let vendor_id = p
        .vendor_id
        .ok_or_else(|| "the invoice has no vendor".to_owned())?;
    if p.amount_due.is_none_or(|a| a <= Decimal::ZERO) {
        return Err("the invoice has no positive amount due".to_owned());
    }
    if p.blocking_exceptions > 0 {
        return Err(format!(
            "{} open blocking exception{} (high or critical)",
            p.blocking_exceptions,
            if p.blocking_exceptions == 1 { "" } else { "s" }
        ));
    }
    if format == FileFormat::CheckRegister {
        return Ok(vendor_id);
    }
    let account = p
        .account
        .as_ref()
        .ok_or_else(|| "the vendor has no bank account on file".to_owned())?;
    if !account.verified {
        return Err(if account.is_initial {
            "the vendor's bank details are not yet verified by a second person".to_owned()
        } else {
            "the vendor's bank details changed and the change is not yet verified by a second person"
                .to_owned()
        });
    }
    match (format, account.kind) {
        (FileFormat::Nacha, AccountKind::Iban) => Err(
            "ACH needs a US routing and account number; the vendor's account is an IBAN".to_owned(),
        ),
        (FileFormat::Pain001, AccountKind::Us) if p.currency == "EUR" => Err(
            "SEPA (EUR) transfers need an IBAN; the vendor's account is a US account".to_owned(),
        ),
        _ => Ok(vendor_id),
    }
}

pub fn totals<'a>(items: impl IntoIterator<Item = &'a PlannedItem>) -> Totals {
    let mut t = Totals::default();
    for i in items {
        t.invoice_count += 1;
        t.gross += i.gross;
        t.discount += i.discount;
        t.net += i.net;
        t.flagged += usize::from(i.first_payment_to_changed_account);
    }
    t
}

/// Per-vendor lines, by vendor name.
pub fn vendor_lines(items: &[PlannedItem]) -> Vec<VendorLine> {
    let mut by_vendor: BTreeMap<(String, Uuid), Vec<&PlannedItem>> = BTreeMap::new();
    for i in items {
        by_vendor
            .entry((i.vendor_name.clone(), i.vendor_id))
            .or_default()
            .push(i);
    }
    by_vendor
        .into_iter()
        .map(|((vendor_name, vendor_id), items)| VendorLine {
            vendor_id,
            vendor_name,
            totals: totals(items),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn dec(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn verified(is_initial: bool) -> Option<PayeeAccount> {
        Some(PayeeAccount {
            id: Uuid::from_u128(7),
            kind: AccountKind::Us,
            verified: true,
            is_initial,
        })
    }

    fn payable(n: u128, invoice_date: &str, terms: &str, amount: &str) -> Payable {
        Payable {
            invoice_id: Uuid::from_u128(n),
            invoice_number: Some(format!("INV-{n}")),
            vendor_id: Some(Uuid::from_u128(100)),
            vendor_name: "Acme Steel".into(),
            currency: "USD".into(),
            amount_due: Some(dec(amount)),
            invoice_date: Some(date(invoice_date)),
            due_date: None,
            payment_terms: Some(terms.into()),
            blocking_exceptions: 0,
            account: verified(true),
        }
    }

    fn params(pay_by: &str, pay_on: &str) -> RunParams<'static> {
        let payment_date = date(pay_on);
        RunParams {
            currency: "USD",
            method: Method::Ach,
            pay_by_date: date(pay_by),
            payment_date,
            next_run_date: payment_date + chrono::Days::new(7),
        }
    }

    #[test]
    fn a_2_10_net_30_invoice_whose_discount_expires_before_the_next_run_is_taken_with_the_discount()
    {
        // Invoice 2026-03-02, "2/10 net 30": discount until 2026-03-12, due 2026-04-01.
        let plan = plan(
            &params("2026-03-06", "2026-03-06"),
            &[payable(1, "2026-03-02", "2/10 net 30", "15420.00")],
            &HashSet::new(),
        );
        assert_eq!(plan.items.len(), 1);
        let item = &plan.items[0];
        assert_eq!(item.reason, Reason::Discount);
        assert_eq!(item.discount_deadline, Some(date("2026-03-12")));
        assert_eq!(item.due_date, Some(date("2026-04-01")));
        assert_eq!(item.discount, dec("308.40"));
        assert_eq!(item.net, dec("15111.60"));
        assert_eq!(item.net + item.discount, item.gross);
    }

    #[test]
    fn a_discount_still_open_at_the_next_run_waits_for_it() {
        // Discount until 2026-03-12; paying on 03-01 with the next run on 03-08 keeps it.
        let plan = plan(
            &params("2026-03-01", "2026-03-01"),
            &[payable(1, "2026-03-02", "2/10 net 30", "100.00")],
            &HashSet::new(),
        );
        assert!(plan.items.is_empty());
    }

    #[test]
    fn an_expired_discount_is_not_taken_and_the_invoice_waits_until_due() {
        let p = payable(1, "2026-03-02", "2/10 net 30", "100.00");
        let not_yet = plan(
            &params("2026-03-20", "2026-03-20"),
            std::slice::from_ref(&p),
            &HashSet::new(),
        );
        assert!(
            not_yet.items.is_empty(),
            "discount gone, not due until 04-01"
        );
        let due = plan(&params("2026-04-01", "2026-03-20"), &[p], &HashSet::new());
        assert_eq!(due.items[0].reason, Reason::Due);
        assert_eq!(due.items[0].discount, Decimal::ZERO);
        assert_eq!(due.items[0].net, dec("100.00"));
    }

    #[test]
    fn a_due_invoice_paid_inside_its_discount_window_gets_the_discount() {
        let mut p = payable(1, "2026-03-02", "2/10 net 30", "0.25");
        p.due_date = Some(date("2026-03-05"));
        let plan = plan(&params("2026-03-05", "2026-03-05"), &[p], &HashSet::new());
        // 0.25 × 2 % = 0.005 → half-even to 0.00.
        assert_eq!(plan.items[0].discount, dec("0.00"));
        assert_eq!(plan.items[0].reason, Reason::Due);
    }

    #[test]
    fn unverified_changed_accounts_blocked_invoices_and_ibans_for_ach_are_excluded_with_reasons() {
        let mut changed = payable(1, "2026-01-01", "net 30", "10.00");
        changed.account = Some(PayeeAccount {
            id: Uuid::from_u128(9),
            kind: AccountKind::Us,
            verified: false,
            is_initial: false,
        });
        let mut blocked = payable(2, "2026-01-01", "net 30", "10.00");
        blocked.blocking_exceptions = 2;
        let mut iban = payable(3, "2026-01-01", "net 30", "10.00");
        iban.account = Some(PayeeAccount {
            id: Uuid::from_u128(10),
            kind: AccountKind::Iban,
            verified: true,
            is_initial: true,
        });
        let mut none = payable(4, "2026-01-01", "net 30", "10.00");
        none.account = None;
        let plan = plan(
            &params("2026-03-01", "2026-03-01"),
            &[changed, blocked, iban, none],
            &HashSet::new(),
        );
        assert!(plan.items.is_empty());
        let reasons: Vec<&str> = plan.exclusions.iter().map(|e| e.reason.as_str()).collect();
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("changed and the change is not yet verified"))
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("2 open blocking exceptions"))
        );
        assert!(reasons.iter().any(|r| r.contains("ACH needs a US routing")));
        assert!(reasons.iter().any(|r| r.contains("no bank account")));
    }

    #[test]
    fn the_first_payment_to_a_changed_verified_account_is_flagged_once() {
        let mut p = payable(1, "2026-01-01", "net 30", "10.00");
        p.account = verified(false);
        let flagged = plan(
            &params("2026-03-01", "2026-03-01"),
            std::slice::from_ref(&p),
            &HashSet::new(),
        );
        assert!(flagged.items[0].first_payment_to_changed_account);
        let paid_before = HashSet::from([Uuid::from_u128(7)]);
        let again = plan(&params("2026-03-01", "2026-03-01"), &[p], &paid_before);
        assert!(!again.items[0].first_payment_to_changed_account);
        let onboarding = plan(
            &params("2026-03-01", "2026-03-01"),
            &[payable(2, "2026-01-01", "net 30", "10.00")],
            &HashSet::new(),
        );
        assert!(!onboarding.items[0].first_payment_to_changed_account);
    }

    #[test]
    fn totals_and_vendor_lines_add_up() {
        let mut other = payable(2, "2026-01-01", "net 30", "5.50");
        other.vendor_id = Some(Uuid::from_u128(200));
        other.vendor_name = "Beta".into();
        let plan = plan(
            &params("2026-03-01", "2026-03-01"),
            &[payable(1, "2026-01-01", "net 30", "10.00"), other],
            &HashSet::new(),
        );
        let t = totals(&plan.items);
        assert_eq!((t.invoice_count, t.net), (2, dec("15.50")));
        let lines = vendor_lines(&plan.items);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].vendor_name, "Acme Steel");
    }
}
