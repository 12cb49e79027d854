//! Events from the invoice service's outbox: an invoice needs approval (a new round starts at
//! level 1 of the matrix row that applies), or its approval was withdrawn (re-matched,
//! cancelled). Idempotent by event id; an older match run never replaces a newer round.

use ap_kit::audit::{self, Actor, AuditEvent, RequestContext};
use ap_kit::outbox;
use ap_proto::common::v1::Event;
use chrono::NaiveDate;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{AppError, ApprovalApp, SERVICE};
use crate::domain::assign::{self, Candidate};
use crate::domain::matrix::{self, Level, LevelAssignee, Subject};
use crate::store::matrix as matrix_store;
use crate::store::tasks::{self as store, NewRequest, NewTask, RequestRow, TaskRow};

pub const APPROVAL_REQUESTED: &str = "invoice.approval_requested";
pub const APPROVAL_WITHDRAWN: &str = "invoice.approval_withdrawn";
/// A staff member wrote a vendor-facing message on an invoice: the vendor is mailed.
pub const VENDOR_MESSAGE: &str = "invoice.vendor_message";

#[derive(Debug, Deserialize)]
struct VendorMessage {
    invoice_id: Uuid,
    invoice_number: Option<String>,
    vendor_email: String,
    body: String,
}

#[derive(Debug, Deserialize)]
struct Requested {
    invoice_id: Uuid,
    #[serde(default)]
    match_run: i32,
    invoice_number: Option<String>,
    vendor_id: Option<Uuid>,
    vendor_name: Option<String>,
    vendor_category: Option<String>,
    department: Option<String>,
    currency: Option<String>,
    /// The amount that will be paid: the matrix band, the task, the email token and the
    /// approver's screen all use it.
    #[serde(with = "rust_decimal::serde::str_option", default)]
    payable_amount: Option<Decimal>,
    uploaded_by: Option<Uuid>,
    last_corrected_by: Option<Uuid>,
    due_date: Option<NaiveDate>,
}

#[derive(Debug, Deserialize)]
struct Withdrawn {
    invoice_id: Uuid,
    /// The match run whose round is withdrawn; a newer round stays open.
    match_run: i32,
    #[serde(default)]
    reason: Option<String>,
}

/// Who can be given the tasks of one level: the level's own people and, when too few of them
/// are eligible, the escalation role's.
pub(crate) struct Pool {
    pub primary: Vec<Candidate>,
    pub fallback: Vec<Candidate>,
}

impl ApprovalApp {
    /// Applies one event; `Ok(false)` when it had already been processed.
    pub async fn handle_event(
        &self,
        event: &Event,
        ctx: &RequestContext,
    ) -> Result<bool, AppError> {
        match event.event_type.as_str() {
            APPROVAL_REQUESTED => {
                let body: Requested = serde_json::from_str(&event.payload_json)
                    .map_err(|e| AppError::invalid("payload_json", e.to_string()))?;
                self.start_round(event, body, ctx).await
            }
            APPROVAL_WITHDRAWN => {
                let body: Withdrawn = serde_json::from_str(&event.payload_json)
                    .map_err(|e| AppError::invalid("payload_json", e.to_string()))?;
                self.withdraw(event, body, ctx).await
            }
            VENDOR_MESSAGE => {
                let body: VendorMessage = serde_json::from_str(&event.payload_json)
                    .map_err(|e| AppError::invalid("payload_json", e.to_string()))?;
                self.mail_vendor(event, body).await
            }
            other => Err(AppError::invalid(
                "event_type",
                format!("{other:?} is not handled here"),
            )),
        }
    }

    /// Queues the mail to the vendor through the one mail path (sent when mail is enabled,
    /// held for an ADMIN otherwise); the body is never logged.
    async fn mail_vendor(&self, event: &Event, m: VendorMessage) -> Result<bool, AppError> {
        let subject = format!(
            "Message about your invoice {}",
            m.invoice_number.as_deref().unwrap_or("(no number)")
        );
        let text = format!(
            "Accounts payable wrote about your invoice {}:\n\n{}\n\n\
             Reply and follow the invoice in the vendor portal: {}/portal\n",
            m.invoice_number.as_deref().unwrap_or("(no number)"),
            m.body,
            self.public_url(),
        );
        let mut conn = self.conn().await?;
        let fresh = conn
            .transaction::<_, AppError, _>(async |conn| {
                if !outbox::mark_processed(conn, event).await? {
                    return Ok(false);
                }
                self.queue_mail(conn, &m.vendor_email, None, &subject, text)
                    .await?;
                Ok(true)
            })
            .await?;
        if fresh {
            tracing::info!(invoice.id = %m.invoice_id, "vendor message mail queued");
        }
        Ok(fresh)
    }

    /// Candidates for a level, read from the auth service before any transaction.
    pub(crate) async fn pool_for(&self, level: &Level) -> Result<Pool, AppError> {
        let primary = match level.assignee() {
            LevelAssignee::Role(role) => self.users_of(&role).await?,
            LevelAssignee::User(id) => self
                .users_of("")
                .await?
                .into_iter()
                .filter(|u| u.id == id)
                .collect(),
        };
        let fallback = self.users_of(&self.settings().escalation_role).await?;
        Ok(Pool { primary, fallback })
    }

    /// Creates the tasks of `level` for a round: eligible people of the level first, the
    /// escalation role for the rest; a slot nobody can take stays unassigned for an ADMIN.
    pub(crate) async fn open_level(
        &self,
        conn: &mut AsyncPgConnection,
        request: &RequestRow,
        level: &Level,
        pool: &Pool,
        ctx: &RequestContext,
    ) -> Result<Vec<TaskRow>, AppError> {
        // Never the uploader or any corrector, nor anyone who already approved a level of this
        // round (in person or through a delegate): one person, one approval per invoice.
        let mut excluded = request.barred();
        for earlier in store::tasks_of_request(conn, request.id).await? {
            if earlier.status == "approved" {
                excluded.extend(earlier.decided_by);
                excluded.extend(earlier.on_behalf_of);
            }
        }
        let want = usize::try_from(level.approvers_required.max(1)).unwrap_or(1);
        let ids: Vec<Uuid> = pool
            .primary
            .iter()
            .chain(&pool.fallback)
            .map(|c| c.id)
            .collect();
        let load = store::open_task_counts(conn, &ids).await?;
        let mut chosen = assign::pick(&pool.primary, &excluded, &load, want);
        excluded.extend(chosen.iter().map(|c| c.id));
        if chosen.len() < want {
            chosen.extend(assign::pick(
                &pool.fallback,
                &excluded,
                &load,
                want - chosen.len(),
            ));
        }
        let due_at = chrono::Utc::now()
            + chrono::Duration::from_std(self.settings().due_after(level.level))
                .map_err(|e| AppError::Unexpected(e.into()))?;
        let new: Vec<NewTask> = (0..want)
            .map(|i| NewTask {
                id: Uuid::now_v7(),
                request_id: request.id,
                invoice_id: request.invoice_id,
                level: level.level,
                slot: i32::try_from(i + 1).unwrap_or(i32::MAX),
                assignee_id: chosen.get(i).map(|c| c.id),
                assignee_email: chosen.get(i).map(|c| c.email.clone()),
                status: "pending".into(),
                due_at,
            })
            .collect();
        if chosen.len() < want {
            tracing::warn!(invoice.id = %request.invoice_id, level = level.level,
                missing = want - chosen.len(), "no eligible approver for some slots; left unassigned");
        }
        let tasks = store::insert_tasks(conn, &new).await?;
        for task in &tasks {
            audit::record(
                conn,
                ctx,
                AuditEvent::new(
                    Actor::System(SERVICE.into()),
                    "approval_task_assigned",
                    "invoice",
                    Some(request.invoice_id.to_string()),
                )
                .after(json!({
                    "task_id": task.id.to_string(), "level": task.level, "slot": task.slot,
                    "assignee": task.assignee_email, "due_at": ap_types::time::instant(task.due_at),
                })),
            )
            .await?;
            self.announce_assignment(conn, task, request, super::notify::TASK_ASSIGNED)
                .await?;
        }
        Ok(tasks)
    }

    async fn start_round(
        &self,
        event: &Event,
        body: Requested,
        ctx: &RequestContext,
    ) -> Result<bool, AppError> {
        let amount = body
            .payable_amount
            .ok_or_else(|| AppError::invalid("payable_amount", "is required"))?;
        let mut conn = self.conn().await?;
        let rules: Vec<matrix::Rule> = matrix_store::list_live_rules(&mut conn)
            .await?
            .into_iter()
            .filter_map(|r| super::matrix::to_rule(&r))
            .collect();
        let subject = Subject {
            amount,
            department: body.department.as_deref(),
            vendor_category: body.vendor_category.as_deref(),
        };
        let (rule_id, levels) = match matrix::select(&rules, &subject) {
            Some(rule) => (Some(rule.id), rule.levels.clone()),
            None => {
                tracing::warn!(invoice.id = %body.invoice_id, "no approval matrix row applies; the escalation role decides");
                let role = self.settings().escalation_role.clone();
                (
                    None,
                    vec![Level {
                        level: 1,
                        role: Some(role),
                        user_id: None,
                        approvers_required: 1,
                    }],
                )
            }
        };
        let first = levels[0].clone();
        let pool = self.pool_for(&first).await?;
        // Everyone who uploaded or ever corrected the invoice, read now (never inside the
        // transaction); the event names only the uploader and the last corrector.
        let barred_users = self
            .invoices()
            .current(body.invoice_id)
            .await?
            .map(|now| now.barred)
            .unwrap_or_default();
        let levels_json =
            serde_json::to_value(&levels).map_err(|e| AppError::Unexpected(e.into()))?;
        conn.transaction::<_, AppError, _>(async |conn| {
            if !outbox::mark_processed(conn, event).await? {
                return Ok(false);
            }
            if let Some(open) = store::lock_open_request_of(conn, body.invoice_id).await? {
                if open.match_run >= body.match_run {
                    tracing::info!(invoice.id = %body.invoice_id, "approval round already open for this match run");
                    return Ok(true);
                }
                self.close_round(conn, &open, "withdrawn", "superseded by a new match run", ctx).await?;
            }
            let request = store::insert_request(
                conn,
                &NewRequest {
                    id: Uuid::now_v7(),
                    invoice_id: body.invoice_id,
                    event_id: event.event_id.parse().map_err(|_| AppError::invalid("event_id", "must be a UUID"))?,
                    match_run: body.match_run,
                    invoice_number: body.invoice_number.clone(),
                    vendor_id: body.vendor_id,
                    vendor_name: body.vendor_name.clone(),
                    vendor_category: body.vendor_category.clone(),
                    department: body.department.clone(),
                    currency: body.currency.clone(),
                    amount,
                    invoice_due_date: body.due_date,
                    uploaded_by: body.uploaded_by,
                    last_corrected_by: body.last_corrected_by,
                    matrix_rule_id: rule_id,
                    levels: levels_json.clone(),
                    current_level: 1,
                    status: "open".into(),
                    barred_users: barred_users.clone(),
                },
            )
            .await?;
            audit::record(
                conn,
                ctx,
                AuditEvent::new(Actor::System(SERVICE.into()), "approval_requested", "invoice", Some(body.invoice_id.to_string()))
                    .after(json!({
                        "request_id": request.id.to_string(), "match_run": body.match_run,
                        "matrix_rule_id": rule_id.map(|r| r.to_string()), "levels": levels_json,
                        "amount": ap_types::money_text(amount), "currency": body.currency,
                    })),
            )
            .await?;
            self.open_level(conn, &request, &first, &pool, ctx).await?;
            Ok(true)
        })
        .await
    }

    /// Closes a round that will not be decided here, and its pending tasks.
    pub(crate) async fn close_round(
        &self,
        conn: &mut AsyncPgConnection,
        request: &RequestRow,
        status: &str,
        reason: &str,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        store::close_request(conn, request.id, status, Some(reason)).await?;
        let cancelled = store::cancel_pending_tasks(conn, request.id, reason).await?;
        audit::record(
            conn,
            ctx,
            AuditEvent::new(
                Actor::System(SERVICE.into()),
                "approval_withdrawn",
                "invoice",
                Some(request.invoice_id.to_string()),
            )
            .before(json!({"request_id": request.id.to_string(), "status": request.status}))
            .after(json!({"status": status, "reason": reason, "cancelled_tasks": cancelled.len()})),
        )
        .await?;
        Ok(())
    }

    async fn withdraw(
        &self,
        event: &Event,
        body: Withdrawn,
        ctx: &RequestContext,
    ) -> Result<bool, AppError> {
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            if !outbox::mark_processed(conn, event).await? {
                return Ok(false);
            }
            if let Some(open) = store::lock_open_request_of(conn, body.invoice_id).await?
                && open.match_run <= body.match_run
            {
                let reason = body
                    .reason
                    .as_deref()
                    .unwrap_or("the invoice left approval");
                self.close_round(conn, &open, "withdrawn", reason, ctx)
                    .await?;
            }
            Ok(true)
        })
        .await
    }
}
