//! The SLA job: at 75 % of a task's time its assignee is reminded; at the due time the task
//! escalates to a user of the escalation role (reassigned, new due time). Rows are claimed with
//! `FOR UPDATE SKIP LOCKED`, so any number of replicas can run it; every step is audited and
//! notified.

use std::collections::HashSet;
use std::time::Duration;

use ap_kit::audit::{self, Actor, AuditEvent, RequestContext};
use diesel_async::AsyncConnection;
use serde_json::json;
use uuid::Uuid;

use super::notify::{TASK_ESCALATED, TASK_REASSIGNED_AWAY, describe};
use super::{AppError, ApprovalApp, SERVICE};
use crate::domain::assign;
use crate::store::tasks as store;

const BATCH: i64 = 100;

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlaPass {
    pub reminded: usize,
    pub escalated: usize,
}

impl ApprovalApp {
    pub async fn sla_pass(&self) -> Result<SlaPass, AppError> {
        let ctx = RequestContext::default();
        let actor = Actor::System(SERVICE.into());
        let mut conn = self.conn().await?;
        let reminded = conn
            .transaction::<_, AppError, _>(async |conn| {
                let due = store::claim_due_reminders(conn, BATCH).await?;
                for task in &due {
                    let Some(request) = store::find_request(conn, task.request_id, false).await? else { continue };
                    store::mark_reminded(conn, task.id).await?;
                    self.announce_reminder(conn, task, &request).await?;
                    audit::record(
                        conn,
                        &ctx,
                        AuditEvent::new(actor.clone(), "approval_reminder_sent", "invoice", Some(task.invoice_id.to_string()))
                            .after(json!({"task_id": task.id.to_string(), "assignee": task.assignee_email, "due_at": ap_types::time::instant(task.due_at)})),
                    )
                    .await?;
                }
                Ok(due.len())
            })
            .await?;
        if !store::any_overdue(&mut conn).await? {
            return Ok(SlaPass {
                reminded,
                escalated: 0,
            });
        }
        let candidates = self.users_of(&self.settings().escalation_role).await?;
        let escalated = conn
            .transaction::<_, AppError, _>(async |conn| {
                let overdue = store::claim_overdue(conn, BATCH).await?;
                let ids: Vec<Uuid> = candidates.iter().map(|c| c.id).collect();
                let mut load = store::open_task_counts(conn, &ids).await?;
                for task in &overdue {
                    let Some(request) = store::find_request(conn, task.request_id, false).await? else { continue };
                    // Never the uploader or a corrector, the current assignee, someone else on
                    // this level, or anyone who approved another level of the round.
                    let mut excluded: HashSet<Uuid> = request.barred();
                    excluded.extend(task.assignee_id);
                    for t in store::tasks_of_request(conn, request.id).await? {
                        if t.level == task.level {
                            excluded.extend(t.assignee_id.filter(|_| t.status == "pending"));
                            excluded.extend(t.decided_by);
                        } else if t.status == "approved" {
                            excluded.extend(t.decided_by);
                            excluded.extend(t.on_behalf_of);
                        }
                    }
                    let to = assign::pick(&candidates, &excluded, &load, 1).into_iter().next();
                    let due_at = chrono::Utc::now()
                        + chrono::Duration::from_std(self.settings().due_after(task.level)).map_err(|e| AppError::Unexpected(e.into()))?;
                    let (id, email) = match &to {
                        Some(c) => (c.id, c.email.clone()),
                        None => match (task.assignee_id, task.assignee_email.clone()) {
                            (Some(id), Some(email)) => (id, email),
                            _ => {
                                tracing::warn!(task.id = %task.id, "overdue task has nobody to escalate to");
                                continue;
                            }
                        },
                    };
                    let moved = store::reassign_task(conn, task.id, (id, &email), due_at, true).await?;
                    *load.entry(id).or_default() += 1;
                    audit::record(
                        conn,
                        &ctx,
                        AuditEvent::new(actor.clone(), "approval_task_escalated", "invoice", Some(task.invoice_id.to_string()))
                            .before(json!({"task_id": task.id.to_string(), "assignee": task.assignee_email, "due_at": ap_types::time::instant(task.due_at)}))
                            .after(json!({"task_id": task.id.to_string(), "assignee": email, "due_at": ap_types::time::instant(due_at),
                                          "escalation_role": self.settings().escalation_role, "kept_assignee": to.is_none()})),
                    )
                    .await?;
                    if let (Some(old), true) = (task.assignee_id, to.is_some()) {
                        self.notify(conn, old, TASK_REASSIGNED_AWAY, format!("Escalated: {}", describe(&request)),
                            format!("This approval was overdue and now belongs to {email}."), &moved).await?;
                    }
                    self.announce_assignment(conn, &moved, &request, TASK_ESCALATED).await?;
                }
                Ok(overdue.len())
            })
            .await?;
        Ok(SlaPass {
            reminded,
            escalated,
        })
    }

    /// Runs the SLA job every `every` until `stop` turns true.
    pub async fn run_sla(&self, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            match self.sla_pass().await {
                Ok(p) if p.reminded + p.escalated > 0 => tracing::info!(
                    reminded = p.reminded,
                    escalated = p.escalated,
                    "approval SLA pass"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "approval SLA pass failed"),
            }
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}
