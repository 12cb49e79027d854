//! Payment runs: create (select, compute discounts, exclude, schedule the invoices), approve
//! (a second ADMIN), execute (bank file + payments + invoices paid), cancel (release the
//! invoices), read.
//!
//! Cross-service steps and their failure handling:
//! - create: the run and its items commit first (the partial unique index makes an invoice
//!   belong to one open run), then the invoices are scheduled. If scheduling fails, the run
//!   stays a draft; approval schedules again (`already` is fine) before approving.
//! - execute: payments (pending), the encrypted file and the run's new status commit together;
//!   then the invoices are marked paid. Whatever the invoice service did not confirm stays
//!   pending and the settler retries it; the invoice service recognises a retry by payment id,
//!   so each invoice is paid once however often the call is repeated.
//! - cancel: the invoices are unscheduled inside the transaction that cancels the run, so a
//!   failed call leaves the run open and the cancel can simply be retried.

use std::collections::{HashMap, HashSet};

use ap_kit::audit::{self, AuditEvent};
use ap_proto::invoice::v1 as invoice_pb;
use ap_proto::payment::v1 as pb;
use chrono::{Days, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use rust_decimal::Decimal;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::invoices::Outcome;
use super::{ADMIN, AppError, Caller, PaymentApp, READ, page_limit, today};
use crate::domain::files::{self, FileContext, PayeeDetails, Payout};
use crate::domain::selection::{self, PlannedItem, Reason, RunParams};
use crate::domain::{FileFormat, Method, RunStatus};
use crate::store::payments::{self as payment_store, NewPayment, PaymentRow};
use crate::store::runs::{self as store, BankFileRow, ExclusionRow, ItemRow, NewRun, RunRow};

/// A run with what its detail shows.
#[derive(Clone, Debug)]
pub struct RunView {
    pub run: RunRow,
    pub items: Vec<ItemRow>,
    pub exclusions: Vec<ExclusionRow>,
    pub payments: HashMap<Uuid, PaymentRow>,
    pub file_sha256: Option<String>,
}

/// A run in a list: totals only.
#[derive(Clone, Debug)]
pub struct RunSummary {
    pub run: RunRow,
    pub count: i64,
    pub gross: Decimal,
    pub discount: Decimal,
    pub net: Decimal,
    pub file_sha256: Option<String>,
}

/// The decrypted file of an executed run.
pub struct FileDownload {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
    pub sha256: String,
    pub format: String,
}

pub fn planned_to_row(run_id: Uuid, seq: i32, p: &PlannedItem) -> ItemRow {
    ItemRow {
        id: Uuid::now_v7(),
        run_id,
        seq,
        invoice_id: p.invoice_id,
        invoice_number: p.invoice_number.clone(),
        vendor_id: p.vendor_id,
        vendor_name: p.vendor_name.clone(),
        invoice_date: p.invoice_date,
        due_date: p.due_date,
        payment_terms: p.payment_terms.clone(),
        gross_amount: p.gross,
        discount_amount: p.discount,
        net_amount: p.net,
        discount_deadline: p.discount_deadline,
        reason: p.reason.as_str().to_owned(),
        bank_account_id: p.bank_account_id,
        first_payment_to_changed_account: p.first_payment_to_changed_account,
        open: true,
    }
}

/// The planned item an item row stands for (for totals and vendor lines).
pub fn row_to_planned(i: &ItemRow) -> PlannedItem {
    PlannedItem {
        invoice_id: i.invoice_id,
        invoice_number: i.invoice_number.clone(),
        vendor_id: i.vendor_id,
        vendor_name: i.vendor_name.clone(),
        invoice_date: i.invoice_date,
        due_date: i.due_date,
        payment_terms: i.payment_terms.clone(),
        gross: i.gross_amount,
        discount: i.discount_amount,
        net: i.net_amount,
        discount_deadline: i.discount_deadline,
        reason: if i.reason == "discount" {
            Reason::Discount
        } else {
            Reason::Due
        },
        bank_account_id: i.bank_account_id,
        first_payment_to_changed_account: i.first_payment_to_changed_account,
    }
}

fn run_status(run: &RunRow) -> Result<RunStatus, AppError> {
    RunStatus::parse(&run.status)
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("unknown run status {}", run.status)))
}

fn totals_json(items: &[ItemRow]) -> serde_json::Value {
    let t = selection::totals(items.iter().map(row_to_planned).collect::<Vec<_>>().iter());
    json!({"invoice_count": t.invoice_count, "gross": t.gross.normalize().to_string(),
           "discount": t.discount.normalize().to_string(), "net": t.net.normalize().to_string(),
           "flagged": t.flagged})
}

impl PaymentApp {
    async fn run_view(&self, id: Uuid) -> Result<RunView, AppError> {
        let mut conn = self.conn().await?;
        let run = store::find_run(&mut conn, id, false)
            .await?
            .ok_or(AppError::NotFound("payment run"))?;
        let items = store::items_of(&mut conn, id).await?;
        let exclusions = store::exclusions_of(&mut conn, id).await?;
        let payments = if run.status == "executed" {
            payment_store::list_payments(
                &mut conn,
                &payment_store::PaymentFilter {
                    statuses: Vec::new(),
                    invoice_id: None,
                    run_id: Some(id),
                },
                None,
                i64::MAX,
            )
            .await?
            .into_iter()
            .map(|p| (p.invoice_id, p))
            .collect()
        } else {
            HashMap::new()
        };
        let file_sha256 = store::file_hashes(&mut conn, &[id])
            .await?
            .into_iter()
            .next()
            .map(|(_, h)| h);
        Ok(RunView {
            run,
            items,
            exclusions,
            payments,
            file_sha256,
        })
    }

    /// ADMIN: a draft run of the approved invoices of `currency` due by `pay_by_date` (and
    /// those whose discount would expire before the next run), with its preview.
    #[tracing::instrument(skip_all, fields(currency = %req.currency, method = %req.method))]
    pub async fn create_run(
        &self,
        caller: &Caller,
        req: &pb::CreateRunRequest,
    ) -> Result<RunView, AppError> {
        let admin = caller.require(ADMIN)?;
        let pay_by_date: NaiveDate = req
            .pay_by_date
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("pay_by_date", "must be a date (YYYY-MM-DD)"))?;
        let currency = req.currency.trim().to_uppercase();
        ap_bankfile::Currency::from_code(&currency).map_err(|_| {
            AppError::invalid("currency", "must be an ISO 4217 code this service pays in")
        })?;
        let method: Method = req
            .method
            .trim()
            .parse()
            .map_err(|()| AppError::invalid("method", "must be ACH, WIRE or CHECK"))?;
        let payment_date = today();
        let next_run_date = payment_date
            .checked_add_days(Days::new(u64::from(self.run_interval_days())))
            .ok_or_else(|| AppError::invalid("pay_by_date", "is out of range"))?;
        let format = FileFormat::for_run(&currency, method);

        let payables = self.invoices().list_payables(&currency).await?;
        let accounts: Vec<Uuid> = payables
            .iter()
            .filter_map(|p| p.account.as_ref().map(|a| a.id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut conn = self.conn().await?;
        let paid: HashSet<Uuid> = payment_store::paid_accounts(&mut conn, &accounts)
            .await?
            .into_iter()
            .collect();
        let params = RunParams {
            currency: &currency,
            method,
            pay_by_date,
            payment_date,
            next_run_date,
        };
        let plan = selection::plan(&params, &payables, &paid);
        if plan.items.is_empty() {
            return Err(AppError::Precondition(format!(
                "Nothing to pay: no approved, unblocked {currency} invoice is due by {pay_by_date} \
                 or has a discount expiring before the next run ({} excluded).",
                plan.exclusions.len()
            )));
        }
        let id = Uuid::now_v7();
        let reference = format!(
            "RUN-{}-{}",
            payment_date.format("%Y%m%d"),
            id.simple().to_string()[26..].to_uppercase()
        );
        let new = NewRun {
            id,
            reference: reference.clone(),
            status: RunStatus::Draft.as_str().into(),
            currency: currency.clone(),
            method: method.as_str().into(),
            file_format: format.as_str().into(),
            pay_by_date,
            payment_date,
            next_run_date,
            created_by: admin.user_id.as_uuid(),
            created_by_email: admin.email.clone(),
        };
        let items: Vec<ItemRow> = plan
            .items
            .iter()
            .enumerate()
            .map(|(n, p)| planned_to_row(id, i32::try_from(n + 1).unwrap_or(i32::MAX), p))
            .collect();
        let exclusions: Vec<ExclusionRow> = plan
            .exclusions
            .iter()
            .map(|e| ExclusionRow {
                run_id: id,
                invoice_id: e.invoice_id,
                invoice_number: e.invoice_number.clone(),
                vendor_id: e.vendor_id,
                vendor_name: Some(e.vendor_name.clone()),
                amount: e.amount,
                reason: e.reason.clone(),
            })
            .collect();
        conn.transaction::<_, AppError, _>(async |conn| {
            store::insert_run(conn, &new).await?;
            store::insert_items(conn, &items).await?;
            store::insert_exclusions(conn, &exclusions).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(caller.actor(), "payment_run_created", "payment_run", Some(id.to_string()))
                    .after(json!({"reference": reference, "currency": currency, "method": method.as_str(),
                                  "pay_by_date": pay_by_date.to_string(), "payment_date": payment_date.to_string(),
                                  "file_format": format.as_str(), "totals": totals_json(&items),
                                  "excluded": exclusions.len()})),
            )
            .await?;
            Ok(())
        })
        .await?;
        drop(conn);
        if let Err(e) = self.schedule_items(caller, id, &reference, &items).await {
            // The run is a draft either way; approval schedules again.
            tracing::warn!(run.id = %id, error = %e, "scheduling the run's invoices failed; approval retries it");
        }
        self.run_view(id).await
    }

    /// Schedules the items' invoices; those the invoice service refuses leave the run and are
    /// listed as exclusions.
    async fn schedule_items(
        &self,
        caller: &Caller,
        run_id: Uuid,
        reference: &str,
        items: &[ItemRow],
    ) -> Result<(), AppError> {
        let ids: Vec<Uuid> = items.iter().map(|i| i.invoice_id).collect();
        let outcomes = self
            .invoices()
            .transition(
                &ids,
                "approved",
                "schedule",
                &format!("payment run {reference}"),
            )
            .await?;
        let dropped: Vec<&ItemRow> = items
            .iter()
            .filter(|i| !outcomes.get(&i.invoice_id).is_some_and(Outcome::is_done))
            .collect();
        if dropped.is_empty() {
            return Ok(());
        }
        let exclusions: Vec<ExclusionRow> = dropped
            .iter()
            .map(|i| ExclusionRow {
                run_id,
                invoice_id: i.invoice_id,
                invoice_number: i.invoice_number.clone(),
                vendor_id: Some(i.vendor_id),
                vendor_name: Some(i.vendor_name.clone()),
                amount: Some(i.gross_amount),
                reason: match outcomes.get(&i.invoice_id) {
                    Some(Outcome::Refused(s)) => {
                        format!("the invoice became {s} before it could be scheduled")
                    }
                    _ => "the invoice no longer exists".to_owned(),
                },
            })
            .collect();
        let invoice_ids: Vec<Uuid> = dropped.iter().map(|i| i.invoice_id).collect();
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            store::delete_items(conn, run_id, &invoice_ids).await?;
            store::insert_exclusions(conn, &exclusions).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(caller.actor(), "payment_run_items_dropped", "payment_run", Some(run_id.to_string()))
                    .after(json!({"invoice_ids": invoice_ids.iter().map(Uuid::to_string).collect::<Vec<_>>()})),
            )
            .await?;
            Ok(())
        })
        .await
    }

    pub async fn get_run(&self, caller: &Caller, id: Uuid) -> Result<RunView, AppError> {
        caller.require(READ)?;
        self.run_view(id).await
    }

    pub async fn list_runs(
        &self,
        caller: &Caller,
        req: &pb::ListRunsRequest,
    ) -> Result<(Vec<RunSummary>, Option<String>), AppError> {
        caller.require(READ)?;
        let page = req.page.clone().unwrap_or_default();
        let limit = page_limit(page.limit);
        let after = super::decode_cursor(&page.cursor)?;
        let statuses = super::status_list(
            "status",
            &req.status,
            &["draft", "approved", "executed", "cancelled"],
        )?;
        let mut conn = self.conn().await?;
        let mut runs = store::list_runs(&mut conn, &statuses, after, limit + 1).await?;
        let next = if runs.len() as i64 > limit {
            runs.pop();
            runs.last()
                .map(|r| super::encode_cursor(r.created_at, r.id))
        } else {
            None
        };
        let ids: Vec<Uuid> = runs.iter().map(|r| r.id).collect();
        let totals: HashMap<Uuid, _> = store::item_totals(&mut conn, &ids)
            .await?
            .into_iter()
            .map(|(id, n, g, d, net)| (id, (n, g, d, net)))
            .collect();
        let hashes: HashMap<Uuid, String> = store::file_hashes(&mut conn, &ids)
            .await?
            .into_iter()
            .collect();
        Ok((
            runs.into_iter()
                .map(|run| {
                    let (count, gross, discount, net) =
                        totals.get(&run.id).cloned().unwrap_or_default();
                    RunSummary {
                        file_sha256: hashes.get(&run.id).cloned(),
                        run,
                        count,
                        gross: gross.unwrap_or_default(),
                        discount: discount.unwrap_or_default(),
                        net: net.unwrap_or_default(),
                    }
                })
                .collect(),
            next,
        ))
    }

    /// A different ADMIN than the creator releases the run.
    #[tracing::instrument(skip_all, fields(run.id = %id))]
    pub async fn approve_run(&self, caller: &Caller, id: Uuid) -> Result<RunView, AppError> {
        let admin = caller.require(ADMIN)?;
        let view = self.run_view(id).await?;
        if view.run.created_by == admin.user_id.as_uuid() {
            return Err(AppError::ForbiddenBecause(
                "The admin who created a payment run cannot approve it.".into(),
            ));
        }
        match run_status(&view.run)? {
            RunStatus::Draft => {}
            RunStatus::Approved => {
                return Err(AppError::Conflict("The run is already approved.".into()));
            }
            other => {
                return Err(AppError::Precondition(format!(
                    "A run that is {other} cannot be approved."
                )));
            }
        }
        // Heals a draft whose scheduling did not complete at creation.
        let open: Vec<ItemRow> = view.items.iter().filter(|i| i.open).cloned().collect();
        self.schedule_items(caller, id, &view.run.reference, &open)
            .await?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let run = store::set_status_if(
                conn,
                id,
                &[RunStatus::Draft.as_str()],
                RunStatus::Approved.as_str(),
                admin.user_id.as_uuid(),
                &admin.email,
                None,
            )
            .await?
            .ok_or_else(|| AppError::Conflict("The run changed meanwhile; reload it.".into()))?;
            let items = store::items_of(conn, id).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "payment_run_approved",
                    "payment_run",
                    Some(id.to_string()),
                )
                .before(json!({"status": "draft"}))
                .after(
                    json!({"status": run.status, "created_by": run.created_by_email,
                                  "totals": totals_json(&items)}),
                ),
            )
            .await?;
            Ok(())
        })
        .await?;
        drop(conn);
        self.run_view(id).await
    }

    /// Re-checks every invoice of the run, writes the bank file of those still payable as
    /// approved, records their payments and marks them paid; the others leave the run with
    /// their reason and go back to `approved`.
    ///
    /// The run row stays locked (`FOR UPDATE`) from the claim to the commit, so a concurrent
    /// execute or cancel waits and then sees the outcome. The invoice service claims the
    /// invoices in its own transaction (locked and re-checked there); a claimed invoice cannot
    /// be cancelled, corrected or disputed until it is paid or released. When this attempt
    /// fails, its claims are released while the run is still locked, so they can never be
    /// taken from a later attempt; when the release itself fails the claims stay with the
    /// still-approved run, whose next execute re-claims them and whose cancel releases them.
    #[tracing::instrument(skip_all, fields(run.id = %id))]
    pub async fn execute_run(&self, caller: &Caller, id: Uuid) -> Result<RunView, AppError> {
        let admin = caller.require(ADMIN)?;
        let by = (admin.user_id.as_uuid(), admin.email.clone());
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let run = store::find_run(conn, id, true)
                .await?
                .ok_or(AppError::NotFound("payment run"))?;
            check_executable(&run)?;
            let attempt = self.execute_locked(conn, caller, &by, &run).await;
            if attempt.is_err()
                && let Err(release) = self.invoices().release_claims(id, &[]).await
            {
                tracing::warn!(run.id = %id, error = %release,
                    "releasing the claims of a failed execution failed; they stay with the approved run");
            }
            attempt
        })
        .await?;
        drop(conn);
        self.settle_run(id).await;
        self.run_view(id).await
    }

    /// The body of `execute_run`, on the locked run inside its transaction.
    async fn execute_locked(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        (by, by_email): &(Uuid, String),
        run: &RunRow,
    ) -> Result<(), AppError> {
        let id = run.id;
        let format = FileFormat::parse(&run.file_format)
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("unknown file format")))?;
        let mut items: Vec<ItemRow> = store::items_of(conn, id)
            .await?
            .into_iter()
            .filter(|i| i.open)
            .collect();
        let invoice_ids: Vec<Uuid> = items.iter().map(|i| i.invoice_id).collect();
        let already: HashSet<Uuid> = payment_store::invoices_with_live_payment(conn, &invoice_ids)
            .await?
            .into_iter()
            .collect();
        items.retain(|i| !already.contains(&i.invoice_id));
        if items.is_empty() {
            return Err(AppError::Precondition(
                "Every invoice of this run is already paid.".into(),
            ));
        }

        // 1. Claim: the invoice service re-checks each invoice under its row lock.
        let claims = self
            .invoices()
            .claim(
                id,
                &run.reference,
                items.iter().map(|i| claim_item(run, i)).collect(),
            )
            .await?;
        let mut released: Vec<Released> = Vec::new();
        let mut payable: Vec<ItemRow> = Vec::with_capacity(items.len());
        for item in items {
            match claims.get(&item.invoice_id) {
                Some(Ok(())) => payable.push(item),
                Some(Err((code, reason))) => released.push(Released {
                    item,
                    reason: reason.clone(),
                    unschedule: code != "claimed_by_other_run",
                }),
                None => released.push(Released {
                    item,
                    reason: "the invoice service did not confirm the invoice".into(),
                    unschedule: true,
                }),
            }
        }

        // 2. The accounts the file pays, decrypted: still the verified ones the run was built with.
        let payees: HashMap<Uuid, PayeeDetails> = if format == FileFormat::CheckRegister {
            HashMap::new()
        } else {
            let vendors: Vec<Uuid> = payable
                .iter()
                .map(|i| i.vendor_id)
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let details = self.invoices().bank_details(&vendors).await?;
            let mut payees = HashMap::with_capacity(details.len());
            let mut changed = Vec::new();
            payable.retain(|item| match details.get(&item.vendor_id) {
                Some((d, true)) if Some(d.account_id) == item.bank_account_id => {
                    payees.insert(item.vendor_id, d.clone());
                    true
                }
                _ => {
                    changed.push(item.clone());
                    false
                }
            });
            if !changed.is_empty() {
                let ids: Vec<Uuid> = changed.iter().map(|i| i.invoice_id).collect();
                self.invoices().release_claims(id, &ids).await?;
                released.extend(changed.into_iter().map(|item| Released {
                    item,
                    reason: "the vendor's bank details changed since the run was approved".into(),
                    unschedule: true,
                }));
            }
            payees
        };
        if payable.is_empty() {
            return Err(AppError::Conflict(format!(
                "None of the invoices of this run can be paid any more ({}); the run was not \
                 executed. Cancel it and create a new one.",
                released_summary(&released)
            )));
        }

        // 3. The file, from the claimed items only: its entry count and control totals are
        // computed from exactly what it pays.
        let payouts: Vec<Payout> = payable
            .iter()
            .map(|i| Payout {
                seq: u32::try_from(i.seq).unwrap_or(0),
                payment_id: Uuid::now_v7(),
                vendor_id: i.vendor_id,
                vendor_name: i.vendor_name.clone(),
                invoice_number: i.invoice_number.clone(),
                amount: i.net_amount.normalize(),
            })
            .collect();
        let created_at = Utc::now();
        let payment_date = run.payment_date.max(today());
        let file = files::build(
            format,
            &FileContext {
                run_reference: &run.reference,
                currency: &run.currency,
                payment_date,
                created_at: created_at.naive_utc(),
            },
            self.originator(),
            &payouts,
            &payees,
        )
        .map_err(|e| AppError::Precondition(format!("{}.", capitalize(&e.to_string()))))?;
        drop(payees);
        let sha256 = hex::encode(Sha256::digest(&file.content));
        let ciphertext = self.cipher().encrypt(&file.content, id.as_bytes())?;
        let size = i64::try_from(file.content.len()).unwrap_or(i64::MAX);
        drop(file.content);
        let new_payments: Vec<NewPayment> = payable
            .iter()
            .zip(&payouts)
            .map(|(i, p)| NewPayment {
                id: p.payment_id,
                invoice_id: i.invoice_id,
                invoice_number: i.invoice_number.clone(),
                vendor_id: Some(i.vendor_id),
                vendor_name: Some(i.vendor_name.clone()),
                run_id: Some(id),
                status: "pending".into(),
                method: run.method.clone(),
                payment_date,
                reference: Some(run.reference.clone()),
                amount: i.net_amount,
                discount_amount: i.discount_amount,
                currency: run.currency.clone(),
                bank_account_id: i.bank_account_id,
                created_by: *by,
                idempotency_key: None,
            })
            .collect();

        // 4. What leaves the run goes back to `approved` (when it is still scheduled).
        let released_ids: Vec<Uuid> = released.iter().map(|r| r.item.invoice_id).collect();
        let unschedule: Vec<Uuid> = released
            .iter()
            .filter(|r| r.unschedule)
            .map(|r| r.item.invoice_id)
            .collect();
        if !unschedule.is_empty() {
            self.invoices()
                .transition(
                    &unschedule,
                    "scheduled",
                    "unschedule",
                    &format!("released from payment run {} at execution", run.reference),
                )
                .await?;
        }
        let exclusions: Vec<ExclusionRow> = released
            .iter()
            .map(|r| ExclusionRow {
                run_id: id,
                invoice_id: r.item.invoice_id,
                invoice_number: r.item.invoice_number.clone(),
                vendor_id: Some(r.item.vendor_id),
                vendor_name: Some(r.item.vendor_name.clone()),
                amount: Some(r.item.gross_amount),
                reason: format!("{RELEASED_AT_EXECUTION}{}", r.reason),
            })
            .collect();

        // 5. One commit: the run executed, its payments, its released items, its file.
        let executed = store::set_status_if(
            conn,
            id,
            &[RunStatus::Approved.as_str()],
            RunStatus::Executed.as_str(),
            *by,
            by_email,
            None,
        )
        .await?
        .ok_or_else(|| AppError::Conflict("The run is already executed.".into()))?;
        payment_store::insert_payments(conn, &new_payments).await?;
        if !released_ids.is_empty() {
            store::delete_items(conn, id, &released_ids).await?;
            store::insert_exclusions(conn, &exclusions).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "payment_run_items_released",
                    "payment_run",
                    Some(id.to_string()),
                )
                .after(json!({"released": released.iter().map(|r| json!({
                        "invoice_id": r.item.invoice_id.to_string(),
                        "amount": r.item.net_amount.normalize().to_string(),
                        "reason": r.reason})).collect::<Vec<_>>()})),
            )
            .await?;
        }
        store::close_items(conn, id).await?;
        store::insert_bank_file(
            conn,
            BankFileRow {
                run_id: id,
                format: format.as_str().into(),
                filename: file.filename.clone(),
                content_type: format.content_type().into(),
                ciphertext,
                sha256: sha256.clone(),
                size_bytes: size,
                created_at,
            },
        )
        .await?;
        audit::record(
            conn,
            &caller.ctx,
            AuditEvent::new(caller.actor(), "payment_run_executed", "payment_run", Some(id.to_string()))
                .before(json!({"status": "approved"}))
                .after(json!({"status": executed.status, "file_format": format.as_str(),
                              "file_sha256": sha256, "file_bytes": size, "payments": new_payments.len(),
                              "released": released_ids.len(), "totals": totals_json(&payable)})),
        )
        .await?;
        Ok(())
    }

    /// Marks the pending payments of an executed run settled (the invoices paid). Failures
    /// stay pending for the settler.
    pub async fn settle_run(&self, id: Uuid) {
        let pending = match self.conn().await {
            Ok(mut conn) => payment_store::pending_of_run(&mut conn, id).await,
            Err(e) => {
                tracing::warn!(run.id = %id, error = %e, "settling the run postponed");
                return;
            }
        };
        match pending {
            Ok(rows) => {
                let ctx = ap_kit::audit::RequestContext {
                    request_id: ap_kit::request_id::current_request_id(),
                    ..Default::default()
                };
                if let Err(e) = self.settle(&ctx, rows).await {
                    tracing::warn!(run.id = %id, error = %e, "settling the run postponed; the settler retries");
                }
            }
            Err(e) => tracing::warn!(run.id = %id, error = %e, "settling the run postponed"),
        }
    }

    /// Cancels a draft or approved run and releases its invoices.
    #[tracing::instrument(skip_all, fields(run.id = %id))]
    pub async fn cancel_run(
        &self,
        caller: &Caller,
        id: Uuid,
        reason: &str,
    ) -> Result<RunView, AppError> {
        let admin = caller.require(ADMIN)?;
        let reason = Some(reason.trim()).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > 1000) {
            return Err(AppError::invalid(
                "reason",
                "must be at most 1000 characters",
            ));
        }
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let run = store::find_run(conn, id, true)
                .await?
                .ok_or(AppError::NotFound("payment run"))?;
            let status = run_status(&run)?;
            if !status.is_open() {
                return Err(AppError::Precondition(format!(
                    "A run that is {status} cannot be cancelled."
                )));
            }
            let items = store::items_of(conn, id).await?;
            let ids: Vec<Uuid> = items
                .iter()
                .filter(|i| i.open)
                .map(|i| i.invoice_id)
                .collect();
            store::set_status_if(
                conn,
                id,
                &[status.as_str()],
                RunStatus::Cancelled.as_str(),
                admin.user_id.as_uuid(),
                &admin.email,
                reason,
            )
            .await?
            .ok_or_else(|| AppError::Conflict("The run changed meanwhile; reload it.".into()))?;
            store::close_items(conn, id).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "payment_run_cancelled",
                    "payment_run",
                    Some(id.to_string()),
                )
                .before(json!({"status": status.as_str()}))
                .after(json!({"status": "cancelled", "reason": reason, "released": ids.len()})),
            )
            .await?;
            // Inside the transaction: if the invoice service cannot release the invoices, the
            // run stays open and the cancel can be retried ("refused" = never scheduled). The
            // claims of an execution that failed half-way go first.
            if status == RunStatus::Approved {
                self.invoices().release_claims(id, &[]).await?;
            }
            self.invoices()
                .transition(
                    &ids,
                    "scheduled",
                    "unschedule",
                    &format!("payment run {} cancelled", run.reference),
                )
                .await?;
            Ok(())
        })
        .await?;
        drop(conn);
        self.run_view(id).await
    }

    /// The decrypted bank file of an executed run.
    pub async fn run_file(&self, caller: &Caller, id: Uuid) -> Result<FileDownload, AppError> {
        caller.require(ADMIN)?;
        let mut conn = self.conn().await?;
        store::find_run(&mut conn, id, false)
            .await?
            .ok_or(AppError::NotFound("payment run"))?;
        let file = store::find_bank_file(&mut conn, id).await?.ok_or_else(|| {
            AppError::Precondition("The run has no bank file until it is executed.".into())
        })?;
        let content = self.cipher().decrypt(&file.ciphertext, id.as_bytes())?;
        tracing::info!(run.id = %id, user.id = %caller.user_id(), "bank file downloaded");
        Ok(FileDownload {
            filename: file.filename,
            content_type: file.content_type,
            content,
            sha256: file.sha256,
            format: file.format,
        })
    }
}

/// The prefix of the exclusion reason of an item released at execution.
pub const RELEASED_AT_EXECUTION: &str = "released at execution: ";

/// A run item that leaves the run at execution, with its reason.
struct Released {
    item: ItemRow,
    reason: String,
    /// Whether its invoice goes back to `approved` (not when another run holds it).
    unschedule: bool,
}

/// What the invoice service must still find for the item to be paid.
fn claim_item(run: &RunRow, i: &ItemRow) -> invoice_pb::ClaimItem {
    invoice_pb::ClaimItem {
        invoice_id: i.invoice_id.to_string(),
        // The payable amount the run was built from: net paid + discount.
        amount: i.gross_amount.normalize().to_string(),
        currency: run.currency.clone(),
        vendor_id: i.vendor_id.to_string(),
        bank_account_id: i.bank_account_id.map(|a| a.to_string()).unwrap_or_default(),
    }
}

fn released_summary(released: &[Released]) -> String {
    let mut parts: Vec<String> = released
        .iter()
        .take(5)
        .map(|r| {
            format!(
                "{}: {}",
                r.item.invoice_number.as_deref().unwrap_or("an invoice"),
                r.reason
            )
        })
        .collect();
    if released.len() > 5 {
        parts.push(format!("and {} more", released.len() - 5));
    }
    parts.join("; ")
}

/// Only an approved run executes.
fn check_executable(run: &RunRow) -> Result<(), AppError> {
    match run_status(run)? {
        RunStatus::Approved => Ok(()),
        RunStatus::Executed => Err(AppError::Conflict("The run is already executed.".into())),
        RunStatus::Draft => Err(AppError::Precondition(
            "The run must be approved by a second admin before it is executed.".into(),
        )),
        RunStatus::Cancelled => Err(AppError::Precondition("The run is cancelled.".into())),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
