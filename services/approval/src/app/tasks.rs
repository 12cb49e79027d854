//! Tasks: the inbox, decisions (in the app or by email link), reassignment by an ADMIN.
//!
//! A decision takes the round's row lock, then the task's, and compare-and-sets the task from
//! `pending`; a second decision of the same task, however concurrent, finds it decided. The
//! final approval or a rejection is an outbox event to the invoice service in the same
//! transaction, so the invoice moves exactly once.

use std::collections::HashSet;

use ap_kit::audit::{self, Actor, AuditEvent, RequestContext};
use ap_kit::outbox;
use ap_types::{Role, UserId};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::{
    ADMIN, AppError, ApprovalApp, Caller, DECIDED_EVENT, DECIDERS, INVALID_APPROVAL,
    INVALID_REJECTION, INVOICE_DESTINATION, page_limit,
};
use crate::domain::matrix::Level;
use crate::domain::token::Action;
use crate::store::tasks::{self as store, Decision, RequestRow, TaskRow, TaskWithRequest};

/// Longest note or reason kept.
pub const MAX_TEXT: usize = 2000;

/// Reasons a decision is refused (logged with the request id; the client sees the fixed
/// message). The email page turns some of them into a sentence of its own.
pub const REASON_BLOCKED: &str = "the invoice has an open blocking exception";
pub const REASON_BARRED: &str =
    "separation of duties: the uploader or a corrector of the invoice cannot approve it";
pub const REASON_APPROVED_BEFORE: &str =
    "separation of duties: this person already approved this invoice at another level or slot";
pub const REASON_INACTIVE: &str = "the deciding person is not an active APPROVER or ADMIN";

/// A task as one caller sees it.
#[derive(Clone, Debug)]
pub struct TaskView {
    pub task: TaskRow,
    pub request: RequestRow,
    pub delegated: bool,
}

/// Who is deciding.
#[derive(Clone, Debug)]
pub enum Decider {
    /// A signed-in user (the assignee or an active delegate).
    User { id: Uuid, email: String },
    /// The assignee, through a single-use email link.
    EmailLink {
        token_id: Uuid,
        assignee_id: Uuid,
        amount: Decimal,
    },
}

pub fn levels_of(request: &RequestRow) -> Vec<Level> {
    serde_json::from_value(request.levels.clone()).unwrap_or_default()
}

fn message(action: Action) -> &'static str {
    match action {
        Action::Approve => INVALID_APPROVAL,
        Action::Reject => INVALID_REJECTION,
    }
}

impl ApprovalApp {
    pub async fn list_tasks(
        &self,
        caller: &Caller,
        status: &str,
        limit: u32,
        cursor: &str,
    ) -> Result<(Vec<TaskView>, Option<String>), AppError> {
        caller.require(DECIDERS)?;
        let me = caller.user_id();
        let limit = page_limit(limit);
        let sort = match status {
            "" | "pending" | "all_open" => super::SOONEST_DUE,
            "decided" => super::LATEST_DECIDED,
            _ => {
                return Err(AppError::invalid(
                    "status",
                    format!("\"{status}\" is not one of: pending, decided, all_open"),
                ));
            }
        };
        let after = super::keyset_after(cursor, sort)?;
        let mut conn = self.conn().await?;
        let mut rows: Vec<TaskWithRequest> = match status {
            "decided" => store::list_decided_by(&mut conn, me, after, limit + 1).await?,
            "all_open" => {
                caller.require(ADMIN)?;
                store::list_all_open(&mut conn, after, limit + 1).await?
            }
            _ => {
                let mut users = store::active_delegators_of(&mut conn, me).await?;
                users.push(me);
                store::list_open_for(&mut conn, &users, after, limit + 1).await?
            }
        };
        let next = super::split_page(&mut rows, limit, sort, |(t, _)| {
            if sort == super::LATEST_DECIDED {
                (t.decided_at.unwrap_or(t.created_at), t.id)
            } else {
                (t.due_at, t.id)
            }
        });
        let items = rows
            .into_iter()
            .map(|(task, request)| TaskView {
                delegated: task.status == "pending" && task.assignee_id != Some(me),
                task,
                request,
            })
            .collect();
        Ok((items, next))
    }

    pub async fn get_task(&self, caller: &Caller, id: Uuid) -> Result<TaskView, AppError> {
        caller.require(DECIDERS)?;
        let me = caller.user_id();
        let mut conn = self.conn().await?;
        let (task, request) = store::find_task_with_request(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound("approval task"))?;
        let delegators = store::active_delegators_of(&mut conn, me).await?;
        let mine = task.assignee_id == Some(me) || task.decided_by == Some(me);
        let delegated = task.assignee_id.is_some_and(|a| delegators.contains(&a));
        if !(mine || delegated || caller.is_admin()) {
            return Err(AppError::Forbidden);
        }
        Ok(TaskView {
            delegated: !mine && delegated,
            task,
            request,
        })
    }

    pub async fn tasks_of_invoice(
        &self,
        caller: &Caller,
        invoice_id: Uuid,
    ) -> Result<Vec<TaskView>, AppError> {
        caller.require(Role::STAFF)?;
        let mut conn = self.conn().await?;
        Ok(store::list_for_invoice(&mut conn, invoice_id)
            .await?
            .into_iter()
            .map(|(task, request)| TaskView {
                task,
                request,
                delegated: false,
            })
            .collect())
    }

    pub async fn invoice_audit(
        &self,
        caller: &Caller,
        invoice_id: Uuid,
        cursor: &str,
        limit: u32,
    ) -> Result<(Vec<audit::AuditRow>, Option<String>), AppError> {
        caller.require(Role::STAFF)?;
        let mut conn = self.conn().await?;
        audit::timeline_rpc_page(&mut conn, "invoice", &invoice_id.to_string(), cursor, limit)
            .await
            .map_err(|e| match e {
                audit::TimelinePageError::Cursor(c) => AppError::invalid("cursor", c.to_string()),
                audit::TimelinePageError::Db(d) => d.into(),
            })
    }

    /// `POST /approvals/{id}/approve|reject` by a signed-in user.
    pub async fn decide_in_app(
        &self,
        caller: &Caller,
        task_id: Uuid,
        action: Action,
        text: &str,
    ) -> Result<TaskView, AppError> {
        caller.require(DECIDERS)?;
        let decider = Decider::User {
            id: caller.user_id(),
            email: caller.principal.email.clone(),
        };
        let task = self
            .decide(task_id, action, text, decider, "web", &caller.ctx)
            .await?;
        let mut conn = self.conn().await?;
        let (task, request) = store::find_task_with_request(&mut conn, task.id)
            .await?
            .ok_or(AppError::NotFound("approval task"))?;
        let delegated = task.on_behalf_of.is_some();
        Ok(TaskView {
            task,
            request,
            delegated,
        })
    }

    /// Records one decision; see the module documentation for the guarantees.
    pub(crate) async fn decide(
        &self,
        task_id: Uuid,
        action: Action,
        text: &str,
        decider: Decider,
        channel: &str,
        ctx: &RequestContext,
    ) -> Result<TaskRow, AppError> {
        let msg = message(action);
        let text = text.trim();
        if text.chars().count() > MAX_TEXT {
            return Err(AppError::refused(msg, "text too long"));
        }
        if action == Action::Reject && text.is_empty() {
            return Err(AppError::refused(msg, "a rejection needs a reason"));
        }
        let mut conn = self.conn().await?;
        let (_, request) = store::find_task_with_request(&mut conn, task_id)
            .await?
            .ok_or(AppError::NotFound("approval task"))?;
        // The invoice must still await approval, at the amount the decider saw.
        let now = self
            .invoices()
            .current(request.invoice_id)
            .await?
            .ok_or_else(|| AppError::refused(msg, "the invoice no longer exists"))?;
        if now.status != "pending_approval" {
            return Err(AppError::refused(
                msg,
                format!("the invoice is {}", now.status),
            ));
        }
        if let Decider::EmailLink { amount, .. } = &decider
            && now.payable_amount != Some(*amount)
        {
            return Err(AppError::refused(
                msg,
                "the invoice amount changed since the link was sent",
            ));
        }
        if action == Action::Approve && now.open_blocking_exceptions > 0 {
            return Err(AppError::refused(msg, REASON_BLOCKED));
        }
        // The person deciding must be an active APPROVER or ADMIN at this moment — for an email
        // link, the assignee it was sent to (a link outlives a deactivation or a role change).
        let person = match &decider {
            Decider::User { id, .. } => *id,
            Decider::EmailLink { assignee_id, .. } => *assignee_id,
        };
        self.require_active_decider(person, msg).await?;
        let barred: HashSet<Uuid> = request.barred().into_iter().chain(now.barred).collect();
        let levels = levels_of(&request);
        let next = levels
            .iter()
            .find(|l| l.level == request.current_level + 1)
            .cloned();
        let next_pool = match (&next, action) {
            (Some(level), Action::Approve) => Some(self.pool_for(level).await?),
            _ => None,
        };
        conn.transaction::<_, AppError, _>(async |conn| {
            let request = store::find_request(conn, request.id, true)
                .await?
                .ok_or(AppError::NotFound("approval task"))?;
            let task = store::find_task(conn, task_id, true)
                .await?
                .ok_or(AppError::NotFound("approval task"))?;
            if task.status != "pending" || request.status != "open" {
                return Err(AppError::refused(
                    msg,
                    format!("the task is {}", task.status),
                ));
            }
            let (who, email, on_behalf_of) = match &decider {
                Decider::User { id, email } => {
                    if task.assignee_id == Some(*id) {
                        (*id, email.clone(), None)
                    } else if let Some(assignee) = task.assignee_id
                        && store::active_delegators_of(conn, *id)
                            .await?
                            .contains(&assignee)
                    {
                        (*id, email.clone(), Some(assignee))
                    } else {
                        return Err(AppError::Forbidden);
                    }
                }
                Decider::EmailLink {
                    token_id,
                    assignee_id,
                    ..
                } => {
                    if task.assignee_id != Some(*assignee_id) {
                        return Err(AppError::refused(
                            msg,
                            "the task was reassigned after the link was sent",
                        ));
                    }
                    if !store::use_token(conn, *token_id).await? {
                        return Err(AppError::refused(msg, "the link was already used"));
                    }
                    (
                        *assignee_id,
                        task.assignee_email.clone().unwrap_or_default(),
                        None,
                    )
                }
            };
            if action == Action::Approve {
                // Separation of duties, for the person acting and for the one whose authority
                // a delegate uses: never the uploader or any corrector, and one approval per
                // person per invoice (no two levels, no two slots of a level).
                let people: Vec<Uuid> = std::iter::once(who).chain(on_behalf_of).collect();
                if people.iter().any(|p| barred.contains(p)) {
                    return Err(AppError::refused(msg, REASON_BARRED));
                }
                let round = store::tasks_of_request(conn, request.id).await?;
                if round.iter().any(|t| {
                    t.id != task.id
                        && t.status == "approved"
                        && [t.decided_by, t.on_behalf_of]
                            .into_iter()
                            .flatten()
                            .any(|p| people.contains(&p))
                }) {
                    return Err(AppError::refused(msg, REASON_APPROVED_BEFORE));
                }
            }
            let decided = store::decide_task(
                conn,
                task.id,
                &Decision {
                    status: if action == Action::Approve {
                        "approved"
                    } else {
                        "rejected"
                    },
                    decided_by: who,
                    decided_by_email: &email,
                    on_behalf_of,
                    channel,
                    notes: Some(text).filter(|t| !t.is_empty()),
                    client_ip: ctx.client_ip.as_deref(),
                    user_agent: ctx.user_agent.as_deref(),
                },
            )
            .await?
            .ok_or_else(|| AppError::refused(msg, "the task was decided concurrently"))?;
            let actor = Actor::User {
                id: UserId::from_uuid(who),
                email: email.clone(),
            };
            audit::record(
                conn,
                ctx,
                AuditEvent::new(
                    actor.clone(),
                    if action == Action::Approve {
                        "approval_approved"
                    } else {
                        "approval_rejected"
                    },
                    "invoice",
                    Some(request.invoice_id.to_string()),
                )
                .before(json!({"task_id": task.id.to_string(), "status": "pending"}))
                .after(json!({
                    "task_id": task.id.to_string(), "level": task.level, "status": decided.status,
                    "channel": channel, "notes": decided.notes,
                    "on_behalf_of": on_behalf_of.map(|u| u.to_string()),
                    "client_ip": ctx.client_ip, "user_agent": ctx.user_agent,
                })),
            )
            .await?;
            match action {
                Action::Reject => {
                    self.finish(conn, &request, &decided, &actor, "rejected", text, ctx)
                        .await?
                }
                Action::Approve => {
                    let level = store::tasks_of_level(conn, request.id, task.level).await?;
                    if level.iter().all(|t| t.status == "approved") {
                        match (&next, &next_pool) {
                            (Some(next), Some(pool)) => {
                                store::set_current_level(conn, request.id, next.level).await?;
                                self.open_level(conn, &request, next, pool, ctx).await?;
                            }
                            _ => {
                                self.finish(conn, &request, &decided, &actor, "approved", text, ctx)
                                    .await?
                            }
                        }
                    }
                }
            }
            Ok(decided)
        })
        .await
    }

    /// Refuses unless `person` is, right now, an active APPROVER or ADMIN in the auth service.
    async fn require_active_decider(
        &self,
        person: Uuid,
        msg: &'static str,
    ) -> Result<(), AppError> {
        let active = self
            .directory()
            .active_users("")
            .await
            .map_err(AppError::Unavailable)?
            .into_iter()
            .any(|u| {
                u.id == person
                    && (u.role == Role::Approver.as_str() || u.role == Role::Admin.as_str())
            });
        if active {
            Ok(())
        } else {
            Err(AppError::refused(msg, REASON_INACTIVE))
        }
    }

    /// Closes the round with its outcome and tells the invoice service (outbox).
    #[expect(
        clippy::too_many_arguments,
        reason = "the closing step needs the whole decision context"
    )]
    async fn finish(
        &self,
        conn: &mut AsyncPgConnection,
        request: &RequestRow,
        last: &TaskRow,
        actor: &Actor,
        outcome: &str,
        text: &str,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        store::close_request(conn, request.id, outcome, None).await?;
        store::cancel_pending_tasks(conn, request.id, &format!("the invoice was {outcome}"))
            .await?;
        outbox::enqueue(
            conn,
            INVOICE_DESTINATION,
            DECIDED_EVENT,
            &json!({
                "invoice_id": request.invoice_id.to_string(),
                "request_id": request.id.to_string(),
                "match_run": request.match_run,
                "decision": outcome,
                "reason": text,
                "task_id": last.id.to_string(),
                "level": last.level,
                "decided_by": {"id": last.decided_by.map(|u| u.to_string()), "email": last.decided_by_email},
            }),
        )
        .await?;
        audit::record(
            conn,
            ctx,
            AuditEvent::new(
                actor.clone(),
                "approval_completed",
                "invoice",
                Some(request.invoice_id.to_string()),
            )
            .after(json!({"request_id": request.id.to_string(), "outcome": outcome})),
        )
        .await?;
        Ok(())
    }

    /// ADMIN gives an open task to another active APPROVER or ADMIN.
    pub async fn reassign(
        &self,
        caller: &Caller,
        task_id: Uuid,
        assignee_id: Uuid,
        reason: &str,
    ) -> Result<TaskView, AppError> {
        caller.require(ADMIN)?;
        // A reassignment moves someone's duty: it always says why (audited), and a refused one
        // changes nothing.
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "is required: say why the task moves to someone else",
            ));
        }
        if reason.chars().count() > MAX_TEXT {
            return Err(AppError::invalid("reason", "at most 2000 characters"));
        }
        let user = self
            .directory()
            .active_users("")
            .await
            .map_err(AppError::Unavailable)?
            .into_iter()
            .find(|u| u.id == assignee_id)
            .ok_or_else(|| AppError::invalid("assignee_id", "is not an active user"))?;
        if user.role != Role::Approver.as_str() && user.role != Role::Admin.as_str() {
            return Err(AppError::invalid(
                "assignee_id",
                "must be an APPROVER or ADMIN",
            ));
        }
        let mut conn = self.conn().await?;
        let (_, request) = store::find_task_with_request(&mut conn, task_id)
            .await?
            .ok_or(AppError::NotFound("approval task"))?;
        // Everyone who uploaded or ever corrected the invoice, as the invoice service says now.
        let barred_now = self
            .invoices()
            .current(request.invoice_id)
            .await?
            .map(|now| now.barred)
            .unwrap_or_default();
        conn.transaction::<_, AppError, _>(async |conn| {
            let request = store::find_request(conn, request.id, true).await?.ok_or(AppError::NotFound("approval task"))?;
            let task = store::find_task(conn, task_id, true).await?.ok_or(AppError::NotFound("approval task"))?;
            if task.status != "pending" {
                return Err(AppError::refused(INVALID_APPROVAL, format!("the task is {}", task.status)));
            }
            // Separation of duties: a task never goes to someone who may not decide it — the
            // ADMIN reassigning included (they may move a task, not take one they are barred from).
            let excluded: HashSet<Uuid> = request.barred().into_iter().chain(barred_now).collect();
            if excluded.contains(&assignee_id) {
                return Err(AppError::invalid("assignee_id", "uploaded or corrected this invoice and cannot approve it (separation of duties)"));
            }
            let round = store::tasks_of_request(conn, request.id).await?;
            if round.iter().any(|t| t.id != task.id && t.level == task.level && (t.assignee_id == Some(assignee_id) || t.decided_by == Some(assignee_id))) {
                return Err(AppError::invalid("assignee_id", "already approves this level"));
            }
            if round.iter().any(|t| t.status == "approved" && (t.decided_by == Some(assignee_id) || t.on_behalf_of == Some(assignee_id))) {
                return Err(AppError::invalid("assignee_id", "already approved this invoice at another level (separation of duties)"));
            }
            let due_at = chrono::Utc::now()
                + chrono::Duration::from_std(self.settings().due_after(task.level))
                    .map_err(|e| AppError::Unexpected(e.into()))?;
            let moved = store::reassign_task(conn, task.id, (user.id, &user.email), due_at, false).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(caller.actor(), "approval_task_reassigned", "invoice", Some(request.invoice_id.to_string()))
                    .before(json!({"task_id": task.id.to_string(), "assignee": task.assignee_email}))
                    .after(json!({"task_id": task.id.to_string(), "assignee": user.email, "reason": reason})),
            )
            .await?;
            if let Some(old) = task.assignee_id {
                self.notify(
                    conn,
                    old,
                    super::notify::TASK_REASSIGNED_AWAY,
                    format!("Reassigned: {}", super::notify::describe(&request)),
                    format!("An administrator gave this approval to {}.", user.email),
                    &moved,
                )
                .await?;
            }
            self.announce_assignment(conn, &moved, &request, super::notify::TASK_ASSIGNED).await?;
            Ok(TaskView { task: moved, request, delegated: false })
        })
        .await
    }
}
