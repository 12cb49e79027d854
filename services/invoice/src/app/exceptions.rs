//! The exception queue: list, work (status, assignment, resolution), comment, route to the
//! least-loaded active user of the code's role, and re-evaluate the invoice when its last
//! blocking exception is cleared.

use std::collections::BTreeMap;
use std::time::Duration;

use ap_kit::audit::{self, AuditEvent};
use ap_types::Role;
use chrono::Utc;
use diesel_async::AsyncConnection;
use serde_json::json;
use uuid::Uuid;

use super::{AppError, Caller, InvoiceApp, STAFF};
use crate::domain::exceptions::{self as rules, ADMIN_ONLY, QueueError};
use crate::domain::status::InvoiceStatus;
use crate::store::exceptions::{
    self as store, CommentRow, ExceptionChanges, ExceptionFilter, ExceptionRow,
};
use crate::store::invoices as invoice_store;

pub const WORK: &[Role] = &[Role::ApAnalyst, Role::Admin];
pub const COMMENT: &[Role] = &[Role::ApClerk, Role::ApAnalyst, Role::Admin];

/// A change asked for by `PATCH /exceptions/{id}`; None leaves a part as it is.
#[derive(Clone, Debug, Default)]
pub struct ExceptionPatch {
    pub status: Option<String>,
    /// Some(None) unassigns.
    pub assigned_to: Option<Option<Uuid>>,
    pub resolution_note: Option<String>,
}

/// Users of a role as the auth service lists them (active only).
#[derive(Clone, Debug)]
pub struct Assignee {
    pub id: Uuid,
    pub email: String,
}

impl From<QueueError> for AppError {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::ReasonRequired => AppError::invalid(
                "resolution_note",
                "a reason is required to waive an exception",
            ),
            QueueError::Transition { .. } => AppError::invalid("status", e.to_string()),
        }
    }
}

impl InvoiceApp {
    pub async fn list_exceptions(
        &self,
        caller: &Caller,
        filter: ExceptionFilter,
        limit: u32,
    ) -> Result<(Vec<ExceptionRow>, Option<String>), AppError> {
        caller.require(STAFF)?;
        let check = |field: &str, v: &Option<String>, allowed: &[&str]| match v {
            Some(s) if !allowed.contains(&s.as_str()) => Err(AppError::invalid(
                field,
                format!("must be one of {}", allowed.join(", ")),
            )),
            _ => Ok(()),
        };
        check("severity", &filter.severity, rules::SEVERITIES)?;
        check("code", &filter.code, rules::CODES)?;
        let limit = super::page_limit(limit);
        let mut conn = self.conn().await?;
        let mut rows = store::list(&mut conn, &filter, limit + 1).await?;
        let next = super::split_page(&mut rows, limit, |r| {
            ap_types::cursor::encode_time_id(super::NEWEST_FIRST, r.created_at, r.id)
        });
        Ok((rows, next))
    }

    pub async fn get_exception(&self, caller: &Caller, id: Uuid) -> Result<ExceptionRow, AppError> {
        caller.require(STAFF)?;
        let mut conn = self.conn().await?;
        store::find(&mut conn, id, false)
            .await?
            .ok_or(AppError::NotFound("exception"))
    }

    /// The invoices (number, vendor, total) of a page of exceptions, in one query.
    pub async fn exception_invoices(
        &self,
        rows: &[ExceptionRow],
    ) -> Result<Vec<store::ExceptionInvoice>, AppError> {
        let mut ids: Vec<Uuid> = rows.iter().map(|r| r.invoice_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut conn = self.conn().await?;
        Ok(store::invoices_of(&mut conn, &ids).await?)
    }

    /// Works an exception. Locks the invoice first, then the exception (the order a match run
    /// takes), so a change and a re-match never deadlock. Clearing the last blocking exception
    /// of an invoice in `exception` re-runs matching in the same transaction.
    #[tracing::instrument(skip_all, fields(exception.id = %id))]
    pub async fn update_exception(
        &self,
        caller: &Caller,
        id: Uuid,
        patch: ExceptionPatch,
    ) -> Result<ExceptionRow, AppError> {
        let user = caller.require(WORK)?.clone();
        let is_admin = user.role == Role::Admin;
        let note = patch
            .resolution_note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
            return Err(AppError::invalid(
                "resolution_note",
                "at most 2000 characters",
            ));
        }
        if let Some(s) = &patch.status
            && !rules::STATUSES.contains(&s.as_str())
        {
            return Err(AppError::invalid(
                "status",
                format!("must be one of {}", rules::STATUSES.join(", ")),
            ));
        }
        let mut conn = self.conn().await?;
        let invoice_id = store::find(&mut conn, id, false)
            .await?
            .ok_or(AppError::NotFound("exception"))?
            .invoice_id;
        let updated = conn
            .transaction::<_, AppError, _>(async |conn| {
                let invoice = invoice_store::find_invoice(conn, invoice_id, true)
                    .await?
                    .ok_or(AppError::NotFound("exception"))?;
                let before = store::find(conn, id, true)
                    .await?
                    .ok_or(AppError::NotFound("exception"))?;
                let now = Utc::now();
                let mut changes = ExceptionChanges {
                    updated_at: Some(now),
                    ..Default::default()
                };
                if let Some(to) = &patch.status
                    && *to != before.status
                {
                    rules::check_transition(&before.status, to, note.as_deref())?;
                    if matches!(to.as_str(), "resolved" | "waived")
                        && ADMIN_ONLY.contains(&before.code.as_str())
                        && !is_admin
                    {
                        return Err(AppError::Forbidden);
                    }
                    changes.status = Some(to.clone());
                    if matches!(to.as_str(), "resolved" | "waived") {
                        changes.resolved_by = Some(Some(user.user_id.as_uuid()));
                        changes.resolved_at = Some(Some(now));
                    }
                    if to == "escalated" {
                        // Escalation goes to an ADMIN, chosen by the router.
                        changes.escalated_at = Some(Some(now));
                        changes.assigned_role = Some(Some(Role::Admin.as_str().to_owned()));
                        changes.assigned_to = Some(None);
                    }
                    if to == "in_progress" && before.assigned_to.is_none() {
                        changes.assigned_to = Some(Some(user.user_id.as_uuid()));
                    }
                } else if patch.status.is_some() && note.is_none() && patch.assigned_to.is_none() {
                    return Err(AppError::invalid(
                        "status",
                        format!("the exception is already {}", before.status),
                    ));
                }
                if note.is_some() {
                    changes.resolution_note = Some(note.clone());
                }
                if let Some(to) = patch.assigned_to
                    && to != before.assigned_to
                {
                    // Anyone who works exceptions may take an unassigned one; only an ADMIN
                    // moves one that someone holds, or gives it to someone else.
                    let taking = before.assigned_to.is_none() && to == Some(user.user_id.as_uuid());
                    if !is_admin && !taking {
                        return Err(AppError::Forbidden);
                    }
                    if !rules::is_active(changes.status.as_deref().unwrap_or(&before.status)) {
                        return Err(AppError::invalid(
                            "assigned_to",
                            "a closed exception cannot be assigned",
                        ));
                    }
                    changes.assigned_to = Some(to);
                }
                let after = store::update(conn, id, changes).await?;
                audit::record(
                    conn,
                    &caller.ctx,
                    AuditEvent::new(
                        caller.actor(),
                        "exception_updated",
                        "invoice",
                        Some(invoice_id.to_string()),
                    )
                    .before(json!({
                        "exception_id": id.to_string(), "code": before.code,
                        "status": before.status, "assigned_to": before.assigned_to.map(|u| u.to_string()),
                    }))
                    .after(json!({
                        "exception_id": id.to_string(), "code": after.code,
                        "status": after.status, "assigned_to": after.assigned_to.map(|u| u.to_string()),
                        "resolution_note": after.resolution_note,
                    })),
                )
                .await?;
                let cleared = matches!(after.status.as_str(), "resolved" | "waived")
                    && before.status != after.status;
                if cleared && invoice.status == InvoiceStatus::Exception.as_str() {
                    let still_blocking = store::blocking_count(conn, invoice_id).await?;
                    if still_blocking == 0 {
                        self.evaluate(conn, caller, &invoice).await?;
                    }
                }
                store::find(conn, id, false)
                    .await?
                    .ok_or(AppError::NotFound("exception"))
            })
            .await?;
        self.route_soon();
        Ok(updated)
    }

    pub async fn exception_comments(
        &self,
        caller: &Caller,
        id: Uuid,
        page: super::PageIn,
    ) -> Result<(Vec<CommentRow>, Option<String>), AppError> {
        caller.require(STAFF)?;
        let after = super::keyset_after(&page.cursor, super::OLDEST_FIRST)?;
        let limit = super::page_limit(page.limit);
        let mut conn = self.conn().await?;
        store::find(&mut conn, id, false)
            .await?
            .ok_or(AppError::NotFound("exception"))?;
        let mut rows = store::comments_of(&mut conn, id, after, limit + 1).await?;
        let next = super::split_page(&mut rows, limit, |r| {
            ap_types::cursor::encode_time_id(super::OLDEST_FIRST, r.created_at, r.id)
        });
        Ok((rows, next))
    }

    pub async fn add_exception_comment(
        &self,
        caller: &Caller,
        id: Uuid,
        body: &str,
    ) -> Result<CommentRow, AppError> {
        let user = caller.require(COMMENT)?.clone();
        let body = body.trim();
        if body.is_empty() {
            return Err(AppError::invalid("body", "must not be empty"));
        }
        if body.chars().count() > 4000 {
            return Err(AppError::invalid("body", "at most 4000 characters"));
        }
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let exception = store::find(conn, id, false)
                .await?
                .ok_or(AppError::NotFound("exception"))?;
            let comment = store::add_comment(
                conn,
                id,
                Some((user.user_id.as_uuid(), user.email.clone())),
                body,
            )
            .await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "exception_commented",
                    "invoice",
                    Some(exception.invoice_id.to_string()),
                )
                .after(
                    json!({"exception_id": id.to_string(), "comment_id": comment.id.to_string()}),
                ),
            )
            .await?;
            Ok(comment)
        })
        .await
    }

    /// Routes unassigned exceptions in the background, right after the current request.
    pub(crate) fn route_soon(&self) {
        if self.directory().is_none() {
            return;
        }
        let app = self.clone();
        ap_kit::request_id::spawn_in_request(async move {
            if let Err(e) = app.route_unassigned().await {
                tracing::warn!(error = %e, "exception routing deferred");
            }
        });
    }

    /// Assigns every unassigned active exception: the code's role (routing table; ADMIN once
    /// escalated), then the active user of that role holding the fewest active exceptions
    /// (ties: the user listed first). Serialised per role by an advisory lock, so replicas
    /// routing at once still balance. Returns how many were assigned.
    pub async fn route_unassigned(&self) -> Result<usize, AppError> {
        let Some(directory) = self.directory() else {
            return Ok(0);
        };
        let mut conn = self.conn().await?;
        let pending = store::unassigned(&mut conn, 500).await?;
        let mut by_role: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
        for e in &pending {
            let role = match &e.assigned_role {
                Some(r) => r.clone(),
                None => store::route_role(&mut conn, &e.code).await?,
            };
            by_role.entry(role).or_default().push(e.id);
        }
        let mut assigned = 0;
        for (role, ids) in by_role {
            let users = directory.active_users(&role).await?;
            if users.is_empty() {
                tracing::warn!(role, "no active user to route exceptions to");
                continue;
            }
            let user_ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
            for id in ids {
                // One assignment per transaction, taking the locks in the order every other
                // writer does (invoice, then exception, then the audit chain), so routing
                // never deadlocks with a match run or a correction of the same invoice.
                let done = conn
                    .transaction::<_, AppError, _>(async |conn| {
                        store::lock_routing(conn, &role).await?;
                        let Some(e) = store::find(conn, id, false).await? else {
                            return Ok(false);
                        };
                        invoice_store::find_invoice(conn, e.invoice_id, true).await?;
                        let Some(e) = store::find(conn, id, true).await? else {
                            return Ok(false);
                        };
                        if e.assigned_to.is_some() || !rules::is_active(&e.status) {
                            return Ok(false);
                        }
                        let load = store::load_of(conn, &user_ids).await?;
                        let Some(&(user, _)) = load.iter().min_by_key(|(_, n)| *n) else {
                            return Ok(false);
                        };
                        store::update(
                            conn,
                            id,
                            ExceptionChanges {
                                assigned_to: Some(Some(user)),
                                assigned_role: Some(Some(role.clone())),
                                updated_at: Some(Utc::now()),
                                ..Default::default()
                            },
                        )
                        .await?;
                        audit::record(
                            conn,
                            &ap_kit::audit::RequestContext::default(),
                            AuditEvent::new(
                                ap_kit::audit::Actor::System("exception-router".into()),
                                "exception_assigned",
                                "invoice",
                                Some(e.invoice_id.to_string()),
                            )
                            .after(json!({
                                "exception_id": id.to_string(), "code": e.code,
                                "assigned_to": user.to_string(), "role": role,
                            })),
                        )
                        .await?;
                        Ok(true)
                    })
                    .await?;
                assigned += usize::from(done);
            }
        }
        Ok(assigned)
    }

    /// Retries routing every `every` (covers an auth service that was away) until shutdown.
    pub async fn run_router(&self, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.route_unassigned().await {
                tracing::warn!(error = %e, "exception routing pass failed");
            }
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(every) => {}
            }
            if *stop.borrow() {
                return;
            }
        }
    }
}
