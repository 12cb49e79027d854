//! Single payments and settlement.
//!
//! Exactly once, in three layers:
//! 1. `payments_one_per_invoice`: at most one pending or completed payment per invoice, so
//!    concurrent requests race on a unique index and all but one get 409;
//! 2. the invoice service moves the invoice `approved → paid` by compare-and-set, recording
//!    this payment's id, and answers `already` when a retry finds its own earlier success;
//! 3. `Idempotency-Key` replays the first response.
//!
//! Partial failure: the payment row commits as `pending` before the invoice service is asked.
//! If that call fails in transport, the row stays pending and the settler (`settle_due`)
//! retries it with backoff until the invoice service answers, then completes it (or fails it
//! when the invoice is no longer payable). A retry by the client with the same key resumes the
//! same pending payment instead of creating a second one.

use std::collections::HashMap;

use ap_kit::audit::{self, AuditEvent, AuditRow, RequestContext};
use ap_proto::invoice::v1 as invoice_pb;
use ap_proto::payment::v1 as pb;
use chrono::NaiveDate;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::json;
use uuid::Uuid;

use super::invoices::Outcome;
use super::{ADMIN, AppError, Caller, PaymentApp, READ, page_limit, today};
use crate::domain::Method;
use crate::store::payments::{self as store, NewPayment, PaymentFilter, PaymentRow};

/// Settlement retries back off exponentially up to this many seconds.
const MAX_BACKOFF_SECS: i64 = 300;

fn paid_message() -> AppError {
    AppError::Conflict("The invoice is already paid.".into())
}

fn amount_changed() -> AppError {
    AppError::Conflict(
        "The invoice's payable amount changed since it was approved; nothing was paid. It must go back through matching and approval."
            .into(),
    )
}

fn not_approved(status: &str) -> AppError {
    AppError::Precondition(format!(
        "Only approved invoices can be paid; this invoice is {status}."
    ))
}

impl PaymentApp {
    /// ADMIN: pays one approved invoice with no blocking exception.
    #[tracing::instrument(skip_all, fields(invoice.id = %req.invoice_id))]
    pub async fn record_payment(
        &self,
        caller: &Caller,
        req: &pb::RecordPaymentRequest,
    ) -> Result<PaymentRow, AppError> {
        caller.require(ADMIN)?;
        let invoice_id: Uuid = req
            .invoice_id
            .parse()
            .map_err(|_| AppError::NotFound("invoice"))?;
        let method: Method = req
            .payment_method
            .parse()
            .map_err(|()| AppError::invalid("payment_method", "must be ACH, WIRE or CHECK"))?;
        let payment_date = if req.payment_date.trim().is_empty() {
            today()
        } else {
            req.payment_date
                .trim()
                .parse::<NaiveDate>()
                .map_err(|_| AppError::invalid("payment_date", "must be a date (YYYY-MM-DD)"))?
        };
        let reference = Some(req.payment_reference.trim()).filter(|r| !r.is_empty());
        if reference.is_some_and(|r| r.chars().count() > 140) {
            return Err(AppError::invalid(
                "payment_reference",
                "must be at most 140 characters",
            ));
        }
        let (invoice, status, approved_amount) =
            self.invoices().get_approved_payable(invoice_id).await?;
        let mut conn = self.conn().await?;
        if let Some(existing) = store::live_payment_of(&mut conn, invoice_id).await? {
            let resumable = existing.status == "pending"
                && existing.created_by == caller.user_id()
                && existing.idempotency_key.is_some()
                && existing.idempotency_key == caller.idempotency_key;
            if !resumable {
                return Err(if existing.status == "completed" || status == "paid" {
                    paid_message()
                } else {
                    AppError::Conflict("A payment for this invoice is already in progress.".into())
                });
            }
            drop(conn);
            return self.settle_one(&caller.ctx, existing).await;
        }
        match status.as_str() {
            "approved" => {}
            "paid" => return Err(paid_message()),
            other => return Err(not_approved(other)),
        }
        if invoice.blocking_exceptions > 0 {
            return Err(AppError::Precondition(format!(
                "The invoice has {} open blocking exception{}; resolve them before paying.",
                invoice.blocking_exceptions,
                if invoice.blocking_exceptions == 1 {
                    ""
                } else {
                    "s"
                }
            )));
        }
        // The approved amount is what is paid; the invoice service re-checks it (and the
        // currency, vendor, bank account and blocking exceptions) inside the paying transaction.
        let amount = approved_amount.ok_or_else(|| {
            AppError::Conflict(
                "The invoice has no record of an approved amount; it must be approved again before it is paid."
                    .into(),
            )
        })?;
        if invoice.amount_due != Some(amount) {
            return Err(amount_changed());
        }
        if amount <= rust_decimal::Decimal::ZERO {
            return Err(AppError::Precondition(
                "The invoice has no amount due.".into(),
            ));
        }
        let new = NewPayment {
            id: Uuid::now_v7(),
            invoice_id,
            invoice_number: invoice.invoice_number.clone(),
            vendor_id: invoice.vendor_id,
            vendor_name: Some(invoice.vendor_name.clone()).filter(|n| !n.is_empty()),
            run_id: None,
            status: "pending".into(),
            method: method.as_str().into(),
            payment_date,
            reference: reference.map(str::to_owned),
            amount,
            discount_amount: rust_decimal::Decimal::ZERO,
            currency: invoice.currency.clone(),
            bank_account_id: None,
            created_by: caller.user_id(),
            idempotency_key: caller.idempotency_key.clone(),
        };
        let row = conn
            .transaction::<_, AppError, _>(async |conn| {
                let row = store::insert_payment(conn, &new).await?;
                audit::record(
                    conn,
                    &caller.ctx,
                    AuditEvent::new(
                        caller.actor(),
                        "payment_initiated",
                        "invoice",
                        Some(invoice_id.to_string()),
                    )
                    .after(payment_json(&row)),
                )
                .await?;
                Ok(row)
            })
            .await
            .map_err(|e| match e {
                AppError::Conflict(_) => paid_message(),
                other => other,
            })?;
        drop(conn);
        self.settle_one(&caller.ctx, row).await
    }

    /// Settles one payment now and reports the caller's outcome.
    async fn settle_one(
        &self,
        ctx: &RequestContext,
        row: PaymentRow,
    ) -> Result<PaymentRow, AppError> {
        let id = row.id;
        let outcomes = self.settle(ctx, vec![row]).await?;
        let mut conn = self.conn().await?;
        let row = store::find_payment(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound("payment"))?;
        match (row.status.as_str(), outcomes.get(&row.invoice_id)) {
            ("completed", _) => Ok(row),
            (_, Some(Outcome::Refused(status))) if status == "paid" => Err(paid_message()),
            (_, Some(Outcome::Refused(status))) => Err(not_approved(status)),
            (_, Some(Outcome::Withheld(reason))) => {
                Err(AppError::Conflict(format!("{reason} Nothing was paid.")))
            }
            (_, Some(Outcome::NotFound)) => Err(AppError::NotFound("invoice")),
            _ => Err(AppError::Unavailable(anyhow::anyhow!(
                "payment {id} stays pending; it completes when the invoice service answers"
            ))),
        }
    }

    /// Asks the invoice service to mark these payments' invoices paid and records each
    /// outcome: completed when the invoice is paid by this payment (now or by an earlier
    /// attempt), failed when the invoice is no longer payable, still pending (retried later
    /// with backoff) when the invoice service could not be reached. Safe to run any number of
    /// times and concurrently: every write is a compare-and-set on `pending`.
    pub async fn settle(
        &self,
        ctx: &RequestContext,
        rows: Vec<PaymentRow>,
    ) -> Result<HashMap<Uuid, Outcome>, AppError> {
        if rows.is_empty() {
            return Ok(HashMap::new());
        }
        let items = rows
            .iter()
            .map(|r| invoice_pb::PayInvoiceItem {
                id: r.invoice_id.to_string(),
                payment_id: r.id.to_string(),
                expected_statuses: if r.run_id.is_some() {
                    vec!["scheduled".into(), "approved".into()]
                } else {
                    vec!["approved".into()]
                },
                payment_date: r.payment_date.to_string(),
                payment_method: r.method.clone(),
                payment_reference: r.reference.clone().unwrap_or_default(),
                // The invoice amount this payment settles (paid plus any early-payment discount
                // taken): it must equal the approved amount.
                amount: (r.amount + r.discount_amount).normalize().to_string(),
                discount_amount: r.discount_amount.normalize().to_string(),
            })
            .collect();
        let outcomes = match self.invoices().pay(items).await {
            Ok(o) => o,
            Err(e @ (AppError::Unavailable(_) | AppError::Unexpected(_))) => {
                let attempts = rows.iter().map(|r| r.attempts).max().unwrap_or(0);
                let backoff = 2i64
                    .saturating_pow(u32::try_from(attempts.clamp(0, 16)).unwrap_or(16))
                    .min(MAX_BACKOFF_SECS);
                tracing::warn!(error = %e, payments = rows.len(), retry_in_secs = backoff, "settlement postponed");
                let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
                let mut conn = self.conn().await?;
                store::postpone(
                    &mut conn,
                    &ids,
                    backoff,
                    "the invoice service did not answer",
                )
                .await?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            self.record_outcomes(conn, ctx, &rows, &outcomes).await
        })
        .await?;
        Ok(outcomes)
    }

    async fn record_outcomes(
        &self,
        conn: &mut AsyncPgConnection,
        ctx: &RequestContext,
        rows: &[PaymentRow],
        outcomes: &HashMap<Uuid, Outcome>,
    ) -> Result<(), AppError> {
        let done: Vec<Uuid> = rows
            .iter()
            .filter(|r| outcomes.get(&r.invoice_id).is_some_and(Outcome::is_done))
            .map(|r| r.id)
            .collect();
        let completed = store::complete_payments(conn, &done).await?;
        let mut events = Vec::with_capacity(rows.len());
        for r in rows {
            let actor = ap_kit::audit::Actor::System("payment".into());
            if completed.contains(&r.id) {
                let mut after = payment_json(r);
                after["status"] = json!("completed");
                events.push(
                    AuditEvent::new(
                        actor,
                        "payment_completed",
                        "invoice",
                        Some(r.invoice_id.to_string()),
                    )
                    .after(after),
                );
                continue;
            }
            let reason = match outcomes.get(&r.invoice_id) {
                Some(Outcome::Refused(status)) => {
                    format!("the invoice is {status}; it can no longer be paid by this payment")
                }
                Some(Outcome::Withheld(reason)) => reason.clone(),
                Some(Outcome::NotFound) => "the invoice no longer exists".to_owned(),
                _ => continue,
            };
            if store::fail_payment(conn, r.id, &reason).await? {
                if r.run_id.is_some() {
                    // Already in a released bank file: someone must recall it.
                    tracing::error!(payment.id = %r.id, invoice.id = %r.invoice_id, %reason,
                        "a payment of an executed run could not be applied to its invoice");
                }
                events.push(
                    AuditEvent::new(
                        actor,
                        "payment_failed",
                        "invoice",
                        Some(r.invoice_id.to_string()),
                    )
                    .after(json!({"payment_id": r.id.to_string(), "reason": reason})),
                );
            }
        }
        audit::record_many(conn, ctx, events).await?;
        Ok(())
    }

    /// One pass of the settler: leases due pending payments (another replica skips them) and
    /// settles them. Returns how many were attempted.
    pub async fn settle_due(&self, limit: i64) -> Result<usize, AppError> {
        let mut conn = self.conn().await?;
        let rows = conn
            .transaction::<_, AppError, _>(async |conn| {
                let rows = store::claim_due(conn, limit).await?;
                let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
                // A lease: nobody else picks them up while this pass works on them.
                store::postpone(conn, &ids, 60, "settlement in progress").await?;
                Ok(rows)
            })
            .await?;
        drop(conn);
        let n = rows.len();
        if n > 0 {
            let ctx = RequestContext {
                request_id: Some(ap_kit::request_id::new_request_id()),
                ..Default::default()
            };
            let id = ctx.request_id.clone().unwrap_or_default();
            ap_kit::request_id::scope_request_id(id, self.settle(&ctx, rows)).await?;
        }
        Ok(n)
    }

    /// Runs the settler until `stop` flips.
    pub async fn run_settler(
        &self,
        every: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            match self.settle_due(500).await {
                Ok(n) if n > 0 => tracing::info!(payments = n, "settled pending payments"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "settlement pass failed"),
            }
            tokio::select! {
                _ = stop.wait_for(|v| *v) => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }

    pub async fn get_payment(&self, caller: &Caller, id: Uuid) -> Result<PaymentRow, AppError> {
        caller.require(READ)?;
        let mut conn = self.conn().await?;
        store::find_payment(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound("payment"))
    }

    pub async fn list_payments(
        &self,
        caller: &Caller,
        req: &pb::ListPaymentsRequest,
    ) -> Result<(Vec<PaymentRow>, Option<String>), AppError> {
        caller.require(READ)?;
        let page = req.page.clone().unwrap_or_default();
        let limit = page_limit(page.limit);
        let after = super::decode_cursor(&page.cursor)?;
        let statuses =
            super::status_list("status", &req.status, &["pending", "completed", "failed"])?;
        let filter = PaymentFilter {
            statuses,
            invoice_id: super::optional_uuid("invoice_id", &req.invoice_id)?,
            run_id: super::optional_uuid("run_id", &req.run_id)?,
        };
        let mut conn = self.conn().await?;
        let mut rows = store::list_payments(&mut conn, &filter, after, limit + 1).await?;
        let next = if rows.len() as i64 > limit {
            rows.pop();
            rows.last()
                .map(|r| super::encode_cursor(r.created_at, r.id))
        } else {
            None
        };
        Ok((rows, next))
    }

    /// This service's audit rows about an invoice (staff), for the merged timeline.
    pub async fn invoice_audit(
        &self,
        caller: &Caller,
        invoice_id: Uuid,
        cursor: &str,
        limit: u32,
    ) -> Result<(Vec<AuditRow>, Option<String>), AppError> {
        caller.require(ap_types::Role::STAFF)?;
        let mut conn = self.conn().await?;
        audit::timeline_rpc_page(&mut conn, "invoice", &invoice_id.to_string(), cursor, limit)
            .await
            .map_err(|e| match e {
                audit::TimelinePageError::Cursor(c) => AppError::invalid("cursor", c.to_string()),
                audit::TimelinePageError::Db(d) => d.into(),
            })
    }
}

pub fn payment_json(r: &PaymentRow) -> serde_json::Value {
    json!({
        "payment_id": r.id.to_string(), "status": r.status, "method": r.method,
        "payment_date": r.payment_date.to_string(), "reference": r.reference,
        "amount": r.amount.normalize().to_string(), "discount": r.discount_amount.normalize().to_string(),
        "currency": r.currency, "run_id": r.run_id.map(|id| id.to_string()),
    })
}
