//! Payment claims: before a payment run writes its bank file, the payment service claims the
//! run's invoices. One transaction locks them and claims only those still payable exactly as
//! the run was approved; while an invoice is claimed, cancel, correction, re-match and portal
//! dispute are refused (`refuse_if_claimed`). `PayInvoices` or `ReleasePaymentClaims` ends
//! the claim. A claim has no time limit: the bank file that pays the invoice may already have
//! left, so only the payment service (which knows) releases it.

use std::collections::HashMap;

use ap_kit::audit::{self, AuditEvent};
use ap_proto::invoice::v1 as pb;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::payables::{MAX_BATCH, withhold_reason};
use super::{AppError, Caller, Identity, InvoiceApp};
use crate::store::claims::{self as store, ClaimCandidate, CurrentAccount};
use crate::store::payables as payable_store;

/// One run item as the run was approved.
#[derive(Clone, Debug)]
struct Wanted {
    invoice_id: Uuid,
    amount: Decimal,
    currency: String,
    vendor_id: Uuid,
    bank_account_id: Option<Uuid>,
}

/// Why an invoice cannot be claimed: a stable code and a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub reason: String,
}

fn refusal(code: &'static str, reason: impl Into<String>) -> Refusal {
    Refusal {
        code,
        reason: reason.into(),
    }
}

fn plural(n: i32, one: &str) -> String {
    if n == 1 {
        format!("1 open blocking {one}")
    } else {
        format!("{n} open blocking {one}s")
    }
}

/// Whether the locked invoice is still payable as `want` describes; the first failed check
/// names the reason.
fn check(
    run_id: Uuid,
    want: &Wanted,
    row: &ClaimCandidate,
    account: Option<&CurrentAccount>,
) -> Result<(), Refusal> {
    match row.status.as_str() {
        "cancelled" => return Err(refusal("cancelled", "the invoice was cancelled")),
        "scheduled" => {}
        other => {
            return Err(refusal(
                "not_scheduled",
                format!("the invoice is {other}, no longer scheduled for this run"),
            ));
        }
    }
    if row.payment_claim_run_id.is_some_and(|r| r != run_id) {
        return Err(refusal(
            "claimed_by_other_run",
            "the invoice is being paid by another payment run",
        ));
    }
    if row.disputes > 0 {
        return Err(refusal("disputed", "the vendor disputes the invoice"));
    }
    if row.blocking > 0 {
        return Err(refusal(
            "blocking_exception",
            format!(
                "the invoice has {} (high or critical)",
                plural(row.blocking, "exception")
            ),
        ));
    }
    if row.currency.as_deref() != Some(want.currency.as_str()) {
        return Err(refusal(
            "currency_changed",
            "the invoice's currency changed since the run was approved",
        ));
    }
    if row.vendor_id != Some(want.vendor_id) {
        return Err(refusal(
            "vendor_changed",
            "the invoice's vendor changed since the run was approved",
        ));
    }
    if row.amount_due != Some(want.amount) {
        return Err(refusal(
            "amount_changed",
            format!(
                "the payable amount changed from {} to {} since the run was approved",
                want.amount.normalize(),
                row.amount_due
                    .map(|a| a.normalize().to_string())
                    .unwrap_or_else(|| "none".into())
            ),
        ));
    }
    if row
        .approved_amount
        .is_some_and(|approved| Some(approved) != row.amount_due)
    {
        return Err(refusal(
            "amount_changed",
            "the payable amount differs from the amount approved",
        ));
    }
    if let Some(wanted_account) = want.bank_account_id {
        if row
            .approved_bank_account_id
            .is_some_and(|approved| approved != wanted_account)
        {
            return Err(refusal(
                "bank_account_changed",
                "the vendor's bank details changed since the invoice was approved",
            ));
        }
        match account {
            Some(a) if a.id == wanted_account => {
                if a.status != "verified" {
                    return Err(refusal(
                        "bank_account_unverified",
                        "the vendor's bank account is no longer verified",
                    ));
                }
            }
            _ => {
                return Err(refusal(
                    "bank_account_changed",
                    "the vendor's bank details changed since the run was approved",
                ));
            }
        }
    }
    Ok(())
}

/// "The invoice's vendor changed." → "the invoice's vendor changed", to read after a colon.
fn sentence(s: &str) -> String {
    let s = s.trim().trim_end_matches('.');
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn only_payment(caller: &Caller) -> Result<(), AppError> {
    match &caller.identity {
        Identity::Service(name) if name == "payment" => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

fn parse_items(req: &pb::ClaimInvoicesRequest) -> Result<Vec<Wanted>, AppError> {
    if req.items.len() > MAX_BATCH {
        return Err(AppError::invalid(
            "items",
            format!("at most {MAX_BATCH} per call"),
        ));
    }
    req.items
        .iter()
        .map(|i| {
            Ok(Wanted {
                invoice_id: super::parse_uuid("items.invoice_id", &i.invoice_id)?,
                amount: i
                    .amount
                    .trim()
                    .parse()
                    .map_err(|_| AppError::invalid("items.amount", "must be a decimal"))?,
                currency: i.currency.trim().to_uppercase(),
                vendor_id: super::parse_uuid("items.vendor_id", &i.vendor_id)?,
                bank_account_id: super::optional_uuid("items.bank_account_id", &i.bank_account_id)?,
            })
        })
        .collect()
}

/// Refuses a change to an invoice a payment run has claimed (409): the file paying it is
/// being written or has left. Locks the invoice, so a claim cannot begin before the caller's
/// change commits; the claim then sees the change.
pub(crate) async fn refuse_if_claimed(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    what: &str,
) -> Result<(), AppError> {
    match store::find_claim_for_update(conn, id).await? {
        None => Ok(()),
        Some(claim) => Err(AppError::Conflict(format!(
            "This invoice is being paid in payment run {}; it cannot be {what} now.",
            claim
                .run_reference
                .unwrap_or_else(|| claim.run_id.to_string())
        ))),
    }
}

/// Refuses a change of a vendor's bank details while a payment run holds a claim on one of
/// its invoices (409): the file pays the account the run was approved with, and the payment is
/// settled against it.
pub(crate) async fn refuse_bank_change_if_claimed(
    conn: &mut AsyncPgConnection,
    vendor_id: Uuid,
) -> Result<(), AppError> {
    match store::find_vendor_claim(conn, vendor_id).await? {
        None => Ok(()),
        Some(claim) => Err(AppError::Conflict(format!(
            "Payment run {} is paying this vendor's invoices; its bank details cannot change \
             until that payment completes.",
            claim
                .run_reference
                .unwrap_or_else(|| claim.run_id.to_string())
        ))),
    }
}

impl InvoiceApp {
    /// Claims the run's invoices that are still payable as approved; one outcome per item.
    #[tracing::instrument(skip_all, fields(payment_run.id = %req.run_id, count = req.items.len()))]
    pub async fn claim_for_payment(
        &self,
        caller: &Caller,
        req: &pb::ClaimInvoicesRequest,
    ) -> Result<Vec<pb::ClaimOutcome>, AppError> {
        only_payment(caller)?;
        let run_id = super::parse_uuid("run_id", &req.run_id)?;
        let reference = req
            .run_reference
            .trim()
            .chars()
            .take(100)
            .collect::<String>();
        let reference = if reference.is_empty() {
            run_id.to_string()
        } else {
            reference
        };
        let wanted = parse_items(req)?;
        let ids: Vec<Uuid> = wanted.iter().map(|w| w.invoice_id).collect();
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let rows: HashMap<Uuid, ClaimCandidate> = store::lock_candidates(conn, &ids)
                .await?
                .into_iter()
                .map(|r| (r.id, r))
                .collect();
            let vendors: Vec<Uuid> = rows.values().filter_map(|r| r.vendor_id).collect();
            let accounts: HashMap<Uuid, CurrentAccount> =
                store::lock_current_accounts(conn, &vendors)
                    .await?
                    .into_iter()
                    .map(|a| (a.vendor_id, a))
                    .collect();
            // The paying transaction's own re-check (what was approved against what the
            // invoice says now): what the claim lets into the file, PayInvoices accepts.
            let facts: HashMap<Uuid, payable_store::PaymentFacts> =
                payable_store::payment_facts(conn, &ids)
                    .await?
                    .into_iter()
                    .map(|f| (f.id, f))
                    .collect();
            let mut outcomes = Vec::with_capacity(wanted.len());
            let mut claimed = Vec::new();
            let mut events = Vec::new();
            for want in &wanted {
                let Some(row) = rows.get(&want.invoice_id) else {
                    outcomes.push(pb::ClaimOutcome {
                        invoice_id: want.invoice_id.to_string(),
                        claimed: false,
                        code: "not_found".into(),
                        reason: "the invoice no longer exists".into(),
                        status: String::new(),
                    });
                    continue;
                };
                let account = row.vendor_id.and_then(|v| accounts.get(&v));
                let verdict =
                    check(run_id, want, row, account).and_then(|()| {
                        match withhold_reason(facts.get(&row.id), Some(want.amount)) {
                            None => Ok(()),
                            Some(why) => Err(refusal("not_payable_as_approved", sentence(&why))),
                        }
                    });
                match verdict {
                    Ok(()) => {
                        if row.payment_claim_run_id.is_none() && !claimed.contains(&row.id) {
                            claimed.push(row.id);
                            events.push(
                                AuditEvent::new(
                                    caller.actor(),
                                    "invoice_payment_claimed",
                                    "invoice",
                                    Some(row.id.to_string()),
                                )
                                .after(
                                    json!({"payment_run_id": run_id.to_string(),
                                              "payment_run": reference,
                                              "amount": want.amount.normalize().to_string()}),
                                ),
                            );
                        }
                        outcomes.push(pb::ClaimOutcome {
                            invoice_id: row.id.to_string(),
                            claimed: true,
                            code: String::new(),
                            reason: String::new(),
                            status: row.status.clone(),
                        });
                    }
                    Err(r) => outcomes.push(pb::ClaimOutcome {
                        invoice_id: row.id.to_string(),
                        claimed: false,
                        code: r.code.into(),
                        reason: r.reason,
                        status: row.status.clone(),
                    }),
                }
            }
            store::set_claims(conn, &claimed, run_id, &reference).await?;
            audit::record_many(conn, &caller.ctx, events).await?;
            Ok(outcomes)
        })
        .await
    }

    /// Drops the run's claims on the named invoices (all of the run's when none is named).
    #[tracing::instrument(skip_all, fields(payment_run.id = %req.run_id))]
    pub async fn release_claims(
        &self,
        caller: &Caller,
        req: &pb::ReleaseClaimsRequest,
    ) -> Result<u32, AppError> {
        only_payment(caller)?;
        let run_id = super::parse_uuid("run_id", &req.run_id)?;
        if req.invoice_ids.len() > MAX_BATCH {
            return Err(AppError::invalid(
                "invoice_ids",
                format!("at most {MAX_BATCH} per call"),
            ));
        }
        let ids = req
            .invoice_ids
            .iter()
            .map(|r| super::parse_uuid("invoice_ids", r))
            .collect::<Result<Vec<_>, _>>()?;
        let filter = (!ids.is_empty()).then_some(ids.as_slice());
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let released = store::release_claims(conn, run_id, filter).await?;
            let events = released
                .iter()
                .map(|id| {
                    AuditEvent::new(
                        caller.actor(),
                        "invoice_payment_claim_released",
                        "invoice",
                        Some(id.to_string()),
                    )
                    .after(json!({"payment_run_id": run_id.to_string()}))
                })
                .collect();
            audit::record_many(conn, &caller.ctx, events).await?;
            Ok(u32::try_from(released.len()).unwrap_or(u32::MAX))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: &str) -> ClaimCandidate {
        ClaimCandidate {
            id: Uuid::nil(),
            status: status.into(),
            currency: Some("USD".into()),
            vendor_id: Some(Uuid::from_u128(7)),
            amount_due: Some(Decimal::new(10000, 2)),
            payment_claim_run_id: None,
            approved_amount: Some(Decimal::new(100, 0)),
            approved_bank_account_id: Some(Uuid::from_u128(9)),
            disputes: 0,
            blocking: 0,
        }
    }

    fn want() -> Wanted {
        Wanted {
            invoice_id: Uuid::nil(),
            amount: Decimal::new(100, 0),
            currency: "USD".into(),
            vendor_id: Uuid::from_u128(7),
            bank_account_id: Some(Uuid::from_u128(9)),
        }
    }

    fn account(status: &str) -> CurrentAccount {
        CurrentAccount {
            id: Uuid::from_u128(9),
            vendor_id: Uuid::from_u128(7),
            status: status.into(),
        }
    }

    fn code(r: Result<(), Refusal>) -> &'static str {
        r.err().map(|r| r.code).unwrap_or("claimed")
    }

    #[test]
    fn an_unchanged_scheduled_invoice_is_claimable_whatever_the_amount_scale() {
        let run = Uuid::from_u128(1);
        assert_eq!(
            code(check(
                run,
                &want(),
                &row("scheduled"),
                Some(&account("verified"))
            )),
            "claimed"
        );
    }

    #[test]
    fn every_change_since_approval_refuses_the_claim_with_its_reason() {
        let run = Uuid::from_u128(1);
        let ok = account("verified");
        assert_eq!(
            code(check(run, &want(), &row("cancelled"), Some(&ok))),
            "cancelled"
        );
        assert_eq!(
            code(check(run, &want(), &row("approved"), Some(&ok))),
            "not_scheduled"
        );
        let mut r = row("scheduled");
        r.disputes = 1;
        assert_eq!(code(check(run, &want(), &r, Some(&ok))), "disputed");
        let mut r = row("scheduled");
        r.blocking = 2;
        assert_eq!(
            code(check(run, &want(), &r, Some(&ok))),
            "blocking_exception"
        );
        let mut r = row("scheduled");
        r.amount_due = Some(Decimal::new(10001, 2));
        assert_eq!(code(check(run, &want(), &r, Some(&ok))), "amount_changed");
        let mut r = row("scheduled");
        r.approved_amount = Some(Decimal::new(90, 0));
        assert_eq!(code(check(run, &want(), &r, Some(&ok))), "amount_changed");
        let mut r = row("scheduled");
        r.approved_bank_account_id = Some(Uuid::from_u128(10));
        assert_eq!(
            code(check(run, &want(), &r, Some(&ok))),
            "bank_account_changed"
        );
        let mut r = row("scheduled");
        r.currency = Some("EUR".into());
        assert_eq!(code(check(run, &want(), &r, Some(&ok))), "currency_changed");
        let mut r = row("scheduled");
        r.vendor_id = Some(Uuid::from_u128(8));
        assert_eq!(code(check(run, &want(), &r, Some(&ok))), "vendor_changed");
        let mut r = row("scheduled");
        r.payment_claim_run_id = Some(Uuid::from_u128(2));
        assert_eq!(
            code(check(run, &want(), &r, Some(&ok))),
            "claimed_by_other_run"
        );
        let other = CurrentAccount {
            id: Uuid::from_u128(10),
            ..account("verified")
        };
        assert_eq!(
            code(check(run, &want(), &row("scheduled"), Some(&other))),
            "bank_account_changed"
        );
        assert_eq!(
            code(check(run, &want(), &row("scheduled"), None)),
            "bank_account_changed"
        );
        assert_eq!(
            code(check(
                run,
                &want(),
                &row("scheduled"),
                Some(&account("unverified"))
            )),
            "bank_account_unverified"
        );
    }

    #[test]
    fn a_check_run_needs_no_bank_account() {
        let run = Uuid::from_u128(1);
        let w = Wanted {
            bank_account_id: None,
            ..want()
        };
        assert_eq!(code(check(run, &w, &row("scheduled"), None)), "claimed");
    }
}
