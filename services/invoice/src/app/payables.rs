//! Use-cases the payment service calls: listing payable invoices, batched status
//! compare-and-sets (schedule / unschedule), paying invoices idempotently by payment id, and
//! handing out decrypted bank details to write a bank file.
//!
//! Every batch runs in one transaction that locks its invoices in id order; each invoice's
//! change is audited like a single transition.

use ap_kit::audit::{self, AuditEvent};
use ap_proto::invoice::v1 as pb;
use diesel_async::AsyncConnection;
use serde_json::json;
use uuid::Uuid;

use super::{AppError, Caller, Identity, InvoiceApp};
use crate::domain::status::{InvoiceEvent, InvoiceStatus, transition};
use crate::domain::values::parse_date;
use crate::store::payables::{self as store, PaidFields, PayableRow};

/// The largest page or batch one call handles.
pub const MAX_BATCH: usize = 5000;

const APPLIED: &str = "applied";
const ALREADY: &str = "already";
const REFUSED: &str = "refused";
const NOT_FOUND: &str = "not_found";

fn outcome(id: Uuid, outcome: &str, status: &str) -> pb::InvoiceOutcome {
    pb::InvoiceOutcome {
        id: id.to_string(),
        outcome: outcome.to_owned(),
        status: status.to_owned(),
        reason: String::new(),
    }
}

/// Refused although in a payable status: `reason` says why (a sentence for people).
fn withheld(id: Uuid, status: &str, reason: String) -> pb::InvoiceOutcome {
    pb::InvoiceOutcome {
        reason,
        ..outcome(id, REFUSED, status)
    }
}

fn uuids(field: &str, raw: &[String]) -> Result<Vec<Uuid>, AppError> {
    if raw.len() > MAX_BATCH {
        return Err(AppError::invalid(
            field,
            format!("at most {MAX_BATCH} per call"),
        ));
    }
    raw.iter().map(|r| super::parse_uuid(field, r)).collect()
}

pub fn payable(row: PayableRow) -> pb::PayableInvoice {
    let s = |v: Option<String>| v.unwrap_or_default();
    let d = |v: Option<chrono::NaiveDate>| v.map(|d| d.to_string()).unwrap_or_default();
    let m =
        |v: Option<rust_decimal::Decimal>| v.map(|d| d.normalize().to_string()).unwrap_or_default();
    pb::PayableInvoice {
        id: row.id.to_string(),
        status: row.status,
        invoice_number: s(row.invoice_number),
        vendor_id: row.vendor_id.map(|v| v.to_string()).unwrap_or_default(),
        vendor_name: s(row.vendor_name),
        currency: s(row.currency),
        total_amount: m(row.total_amount),
        amount_due: m(row.amount_due),
        invoice_date: d(row.invoice_date),
        due_date: d(row.due_date),
        payment_terms: s(row.payment_terms),
        blocking_exceptions: row.blocking_exceptions,
        bank_account: row.account_id.map(|id| pb::PayeeAccount {
            account_id: id.to_string(),
            kind: row.account_kind.unwrap_or_default(),
            status: row.account_status.unwrap_or_default(),
            is_initial: row.account_is_initial.unwrap_or(false),
            account_last4: row.account_last4.unwrap_or_default(),
        }),
        payment_id: row.payment_id.map(|p| p.to_string()).unwrap_or_default(),
        payment_status: s(row.payment_status),
        approved_amount: m(row.approved_amount),
        approved_currency: s(row.approved_currency),
        approved_vendor_id: row
            .approved_vendor_id
            .map(|v| v.to_string())
            .unwrap_or_default(),
        approved_bank_account_id: row
            .approved_bank_account_id
            .map(|v| v.to_string())
            .unwrap_or_default(),
    }
}

impl InvoiceApp {
    /// What paid these invoices (payment, amount paid, discount taken), in one query; read
    /// by the invoice views, for any staff caller that may see the invoices.
    pub async fn paid_amounts(&self, ids: &[Uuid]) -> Result<Vec<store::PaidAmounts>, AppError> {
        let mut conn = self.conn().await?;
        Ok(store::paid_amounts(&mut conn, ids).await?)
    }

    /// The latest risk score of each matched invoice among `ids` (one query).
    pub async fn risk_scores(
        &self,
        ids: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, i32>, AppError> {
        let mut conn = self.conn().await?;
        Ok(store::risk_scores(&mut conn, ids)
            .await?
            .into_iter()
            .map(|r| (r.invoice_id, r.risk_score))
            .collect())
    }

    /// Approved invoices of one currency, a keyset page at a time.
    pub async fn list_payables(
        &self,
        caller: &Caller,
        req: &pb::ListPayableInvoicesRequest,
    ) -> Result<(Vec<PayableRow>, Option<Uuid>), AppError> {
        caller.require_internal()?;
        let currency = crate::domain::values::Currency::parse("currency", &req.currency)?;
        let after = super::optional_uuid("after_id", &req.after_id)?;
        let limit = if req.limit == 0 {
            1000
        } else {
            (req.limit as usize).min(MAX_BATCH)
        };
        let mut conn = self.conn().await?;
        let limit = i64::try_from(limit).unwrap_or(1000);
        let rows = store::list_payables(&mut conn, currency.as_str(), after, limit).await?;
        let next = (rows.len() as i64 == limit)
            .then(|| rows.last().map(|r| r.id))
            .flatten();
        Ok((rows, next))
    }

    pub async fn get_payable(&self, caller: &Caller, id: Uuid) -> Result<PayableRow, AppError> {
        caller.require_internal()?;
        let mut conn = self.conn().await?;
        store::find_payable(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound("invoice"))
    }

    /// Applies `event` to every invoice still in `expected_status`; an invoice already in the
    /// target status is reported `already`, any other is `refused`.
    #[tracing::instrument(skip_all, fields(event = %req.event, count = req.ids.len()))]
    pub async fn transition_invoices(
        &self,
        caller: &Caller,
        req: &pb::TransitionInvoicesRequest,
    ) -> Result<Vec<pb::InvoiceOutcome>, AppError> {
        caller.require_internal()?;
        let ids = uuids("ids", &req.ids)?;
        let expected: InvoiceStatus = req
            .expected_status
            .parse()
            .map_err(|_| AppError::invalid("expected_status", "unknown status"))?;
        let event: InvoiceEvent = req
            .event
            .parse()
            .map_err(|_| AppError::invalid("event", "unknown event"))?;
        // Sending back to approval re-runs matching here; no other service asks for it.
        if event == InvoiceEvent::Reapprove {
            return Err(AppError::invalid(
                "event",
                "reapprove is decided by the invoice service",
            ));
        }
        let to = transition(expected, event)?;
        let payment_status = match event {
            InvoiceEvent::Schedule => Some("scheduled"),
            _ => None,
        };
        let reason = Some(req.reason.as_str()).filter(|r| !r.is_empty());
        let mut conn = self.conn().await?;
        let (results, sent_back) = conn
            .transaction::<_, AppError, _>(async |conn| {
                let locked = store::lock_statuses(conn, &ids).await?;
                let mut results = Vec::with_capacity(ids.len());
                let mut applied = Vec::new();
                for row in &locked {
                    if row.status == expected.as_str() {
                        applied.push(row.id);
                        results.push(outcome(row.id, APPLIED, to.as_str()));
                    } else if row.status == to.as_str() {
                        results.push(outcome(row.id, ALREADY, &row.status));
                    } else {
                        results.push(outcome(row.id, REFUSED, &row.status));
                    }
                }
                for id in &ids {
                    if !locked.iter().any(|r| r.id == *id) {
                        results.push(outcome(*id, NOT_FOUND, ""));
                    }
                }
                store::set_statuses(conn, &applied, to.as_str(), payment_status).await?;
                let events = applied
                    .iter()
                    .map(|id| {
                        AuditEvent::new(
                        caller.actor(),
                        "invoice_status_changed",
                        "invoice",
                        Some(id.to_string()),
                    )
                    .before(json!({"status": expected.as_str()}))
                    .after(
                        json!({"status": to.as_str(), "event": event.as_str(), "reason": reason}),
                    )
                    })
                    .collect();
                audit::record_many(conn, &caller.ctx, events).await?;
                // Released from a run (at execution or cancellation) back to approved: if the
                // vendor's bank account was replaced since the approval, it goes back to approval
                // now, in this transaction (the outcome still reports the release).
                let sent_back = if event == InvoiceEvent::Unschedule {
                    self.reapprove_if_account_replaced(conn, caller, &applied)
                        .await?
                } else {
                    Vec::new()
                };
                Ok((results, sent_back))
            })
            .await?;
        if !sent_back.is_empty() {
            self.route_soon();
        }
        Ok(results)
    }

    /// Marks invoices paid with their payment fields. An invoice already paid by the same
    /// payment id is `already` (a retried call); one in another status, or paid by another
    /// payment, is `refused`.
    #[tracing::instrument(skip_all, fields(count = req.items.len()))]
    pub async fn pay_invoices(
        &self,
        caller: &Caller,
        req: &pb::PayInvoicesRequest,
    ) -> Result<Vec<pb::InvoiceOutcome>, AppError> {
        caller.require_internal()?;
        if req.items.len() > MAX_BATCH {
            return Err(AppError::invalid(
                "items",
                format!("at most {MAX_BATCH} per call"),
            ));
        }
        let mut wanted = Vec::with_capacity(req.items.len());
        for item in &req.items {
            let id = super::parse_uuid("items.id", &item.id)?;
            let payment_id = super::parse_uuid("items.payment_id", &item.payment_id)?;
            let mut from = Vec::new();
            for s in &item.expected_statuses {
                let s: InvoiceStatus = s
                    .parse()
                    .map_err(|_| AppError::invalid("items.expected_statuses", "unknown status"))?;
                transition(s, InvoiceEvent::Pay)?;
                from.push(s);
            }
            let method = match item.payment_method.as_str() {
                m @ ("ACH" | "WIRE" | "CHECK") => m.to_owned(),
                _ => {
                    return Err(AppError::invalid(
                        "items.payment_method",
                        "must be ACH, WIRE or CHECK",
                    ));
                }
            };
            let reference = Some(item.payment_reference.trim())
                .filter(|r| !r.is_empty())
                .map(|r| r.chars().take(200).collect::<String>());
            // Empty or not a decimal: refused below (never paid without a stated amount).
            let amount = item.amount.trim().parse::<rust_decimal::Decimal>().ok();
            let discount = match item.discount_amount.trim() {
                "" => rust_decimal::Decimal::ZERO,
                raw => raw
                    .parse::<rust_decimal::Decimal>()
                    .ok()
                    .filter(|d| !d.is_sign_negative() && amount.is_none_or(|a| *d <= a))
                    .ok_or_else(|| {
                        AppError::invalid(
                            "items.discount_amount",
                            "must be a non-negative decimal no larger than amount",
                        )
                    })?,
            };
            wanted.push((
                from,
                amount,
                PaidFields {
                    id,
                    payment_id,
                    date: parse_date("items.payment_date", &item.payment_date)?,
                    method,
                    reference,
                    amount_paid: amount.map(|a| a - discount),
                    discount_taken: discount,
                },
            ));
        }
        let ids: Vec<Uuid> = wanted.iter().map(|(_, _, p)| p.id).collect();
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let locked = store::lock_statuses(conn, &ids).await?;
            // Re-read under the locks: what was approved, what the invoice says now, its open
            // blocking exceptions.
            let facts = store::payment_facts(conn, &ids).await?;
            let mut results = Vec::with_capacity(wanted.len());
            let mut paid = Vec::new();
            let mut events = Vec::new();
            for (from, amount, fields) in wanted {
                let Some(row) = locked.iter().find(|r| r.id == fields.id) else {
                    results.push(outcome(fields.id, NOT_FOUND, ""));
                    continue;
                };
                let payable_now = from.iter().any(|s| s.as_str() == row.status)
                    && !paid.iter().any(|p: &PaidFields| p.id == fields.id);
                if payable_now
                    && let Some(reason) =
                        withhold_reason(facts.iter().find(|f| f.id == fields.id), amount)
                {
                    tracing::warn!(invoice.id = %fields.id, payment.id = %fields.payment_id, %reason, "payment withheld");
                    events.push(
                        AuditEvent::new(
                            caller.actor(),
                            "invoice_payment_withheld",
                            "invoice",
                            Some(fields.id.to_string()),
                        )
                        .after(json!({"payment_id": fields.payment_id.to_string(),
                                      "amount": amount.map(|a| a.normalize().to_string()),
                                      "reason": reason})),
                    );
                    results.push(withheld(fields.id, &row.status, reason));
                    continue;
                }
                if payable_now {
                    events.push(
                        AuditEvent::new(
                            caller.actor(),
                            "invoice_status_changed",
                            "invoice",
                            Some(fields.id.to_string()),
                        )
                        .before(json!({"status": row.status}))
                        .after(json!({"status": "paid", "event": "pay",
                                      "reason": format!("payment {}", fields.payment_id)})),
                    );
                    events.push(
                        AuditEvent::new(
                            caller.actor(),
                            "invoice_payment_updated",
                            "invoice",
                            Some(fields.id.to_string()),
                        )
                        .after(json!({"payment_status": "completed", "payment_id": fields.payment_id.to_string(),
                                      "payment_date": fields.date.to_string(), "payment_method": fields.method,
                                      "payment_reference": fields.reference})),
                    );
                    results.push(outcome(fields.id, APPLIED, "paid"));
                    paid.push(fields);
                } else if row.status == "paid" && row.payment_id == Some(fields.payment_id) {
                    results.push(outcome(fields.id, ALREADY, "paid"));
                } else {
                    results.push(outcome(fields.id, REFUSED, &row.status));
                }
            }
            store::set_paid(conn, &paid).await?;
            audit::record_many(conn, &caller.ctx, events).await?;
            Ok(results)
        })
        .await
    }

    /// Decrypted current bank accounts of `vendor_ids`, for the payment service only.
    #[tracing::instrument(skip_all, fields(count = req.vendor_ids.len()))]
    pub async fn payee_bank_details(
        &self,
        caller: &Caller,
        req: &pb::PayeeBankDetailsRequest,
    ) -> Result<Vec<pb::PayeeBankDetails>, AppError> {
        match &caller.identity {
            Identity::Service(name) if name == "payment" => {}
            _ => return Err(AppError::Forbidden),
        }
        let ids = uuids("vendor_ids", &req.vendor_ids)?;
        let mut conn = self.conn().await?;
        let rows = store::current_accounts(&mut conn, &ids).await?;
        drop(conn);
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let plain = self
                .cipher()
                .decrypt(&row.ciphertext, row.vendor_id.as_bytes())?;
            let doc: serde_json::Value = serde_json::from_slice(&plain)
                .map_err(|_| AppError::Unexpected(anyhow::anyhow!("bank details do not parse")))?;
            let field = |k: &str| {
                doc.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            out.push(pb::PayeeBankDetails {
                vendor_id: row.vendor_id.to_string(),
                account_id: row.id.to_string(),
                kind: row.kind,
                iban: field("iban"),
                bic: field("bic"),
                routing_number: field("routing_number"),
                account_number: field("account_number"),
                status: row.status,
            });
        }
        tracing::info!(
            vendors = out.len(),
            "bank details released to the payment service"
        );
        Ok(out)
    }
}

/// Why an invoice in a payable status must not be paid now, if it must not: what was approved
/// (amount, currency, vendor, bank account) differs from what the invoice says now or from the
/// amount the payer offers, or a blocking exception is open.
pub(crate) fn withhold_reason(
    facts: Option<&store::PaymentFacts>,
    offered: Option<rust_decimal::Decimal>,
) -> Option<String> {
    let Some(f) = facts else {
        return Some("The invoice could not be read.".into());
    };
    let Some(approved) = f.approved_amount else {
        return Some(
            "The invoice has no record of an approved amount; it must be approved again before it is paid."
                .into(),
        );
    };
    let now = crate::domain::payable::payable(f.total_amount, f.amount_due);
    if now != Some(approved) {
        return Some(format!(
            "The invoice's payable amount changed since it was approved (approved {}, now {}); it must go back through approval.",
            approved.normalize(),
            now.map_or_else(|| "none".to_owned(), |n| n.normalize().to_string())
        ));
    }
    if f.currency.as_deref().map(str::trim) != f.approved_currency.as_deref().map(str::trim) {
        return Some("The invoice's currency changed since it was approved.".into());
    }
    if f.vendor_id != f.approved_vendor_id {
        return Some("The invoice's vendor changed since it was approved.".into());
    }
    if f.approved_bank_account_id.is_some()
        && f.current_bank_account_id != f.approved_bank_account_id
    {
        return Some(
            "The vendor's bank account changed since the invoice was approved; confirm the new account and have the invoice approved again."
                .into(),
        );
    }
    if f.blocking_exceptions > 0 {
        return Some(format!(
            "The invoice has {} open blocking exception{}; resolve them before paying.",
            f.blocking_exceptions,
            if f.blocking_exceptions == 1 { "" } else { "s" }
        ));
    }
    match offered {
        None => Some("The payment states no amount; it must state the approved amount.".into()),
        Some(a) if a != approved => Some(format!(
            "The payment's amount {} is not the approved amount {}.",
            a.normalize(),
            approved.normalize()
        )),
        Some(_) => None,
    }
}
