//! Email links. `GET` shows a confirmation page built from `preview`, which changes nothing
//! (link scanners and prefetchers may open it any number of times); only the `POST` from that
//! page decides, once, as the task's assignee, recording channel, address and user agent —
//! and only if that assignee is an active APPROVER or ADMIN at that moment and separation of
//! duties holds for them then. Every way a link can be wrong ends in a plain sentence and no
//! decision. The token is a credential: it is never logged or audited (only the token id).

use ap_kit::audit::RequestContext;
use chrono::{DateTime, Utc};

use super::tasks::{
    Decider, REASON_APPROVED_BEFORE, REASON_BARRED, REASON_BLOCKED, REASON_INACTIVE,
};
use super::{AppError, ApprovalApp};
use crate::domain::token::{Action, Claims};
use crate::store::tasks::{self as store, RequestRow, TaskRow, TokenRow};

pub const NOT_VALID: &str = "This link is not valid.";
pub const EXPIRED: &str = "This link has expired. Open the approval in the app instead.";
pub const USED: &str = "This link has already been used.";
pub const DECIDED: &str = "This approval has already been decided or is no longer open.";
pub const REASSIGNED: &str = "This approval now belongs to someone else.";
pub const NOT_PENDING: &str = "This invoice is no longer awaiting approval.";
pub const AMOUNT_CHANGED: &str =
    "The invoice amount has changed since this email was sent. Open the invoice in the app.";
pub const REASON_REQUIRED: &str = "A rejection needs a reason.";
pub const BLOCKED: &str = "This invoice has an open exception that blocks approval. \
     Someone must resolve it first; open the invoice in the app.";
pub const INACTIVE: &str = "The person this link was sent to can no longer decide approvals. Open the approval in the app.";
pub const BARRED: &str = "Separation of duties: the person this link was sent to may not approve \
     this invoice (they uploaded or corrected it, or already approved it).";
pub const NOT_RECORDED: &str =
    "This approval could not be recorded from this link. Open the approval in the app.";

/// What the confirmation page shows.
#[derive(Clone, Debug)]
pub struct Preview {
    pub problem: Option<&'static str>,
    pub action: Action,
    pub task: Option<TaskRow>,
    pub request: Option<RequestRow>,
    pub expires_at: DateTime<Utc>,
}

/// What the POST did.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub decided: bool,
    pub problem: Option<&'static str>,
    pub action: Option<Action>,
    pub invoice_number: Option<String>,
}

struct Checked {
    claims: Claims,
    token: TokenRow,
    task: TaskRow,
    request: RequestRow,
}

impl ApprovalApp {
    /// Verifies a link without changing anything; `Err(problem)` is the sentence to show.
    async fn check_link(
        &self,
        raw: &str,
    ) -> Result<Result<Checked, (&'static str, Option<Claims>)>, AppError> {
        let Ok(claims) = self.signer().verify(raw.trim()) else {
            tracing::info!("email link refused: bad signature or malformed");
            return Ok(Err((NOT_VALID, None)));
        };
        let mut conn = self.conn().await?;
        let Some(token) = store::find_token(&mut conn, claims.token_id).await? else {
            return Ok(Err((NOT_VALID, None)));
        };
        if token.task_id != claims.task_id
            || token.action != claims.action.as_str()
            || token.amount != claims.amount
        {
            tracing::warn!(token.id = %token.id, "email link claims disagree with the stored token");
            return Ok(Err((NOT_VALID, None)));
        }
        let bad = |p| Ok(Err((p, Some(claims.clone()))));
        if token.used_at.is_some() {
            return bad(USED);
        }
        if claims.expires_at <= Utc::now() || token.expires_at <= Utc::now() {
            return bad(EXPIRED);
        }
        let Some((task, request)) = store::find_task_with_request(&mut conn, token.task_id).await?
        else {
            return bad(NOT_VALID);
        };
        if task.status != "pending" || request.status != "open" {
            return bad(DECIDED);
        }
        if task.assignee_id != Some(token.assignee_id) {
            return bad(REASSIGNED);
        }
        match self.invoices().current(request.invoice_id).await? {
            None => return bad(NOT_PENDING),
            Some(now) if now.status != "pending_approval" => return bad(NOT_PENDING),
            Some(now) if now.payable_amount != Some(token.amount) => return bad(AMOUNT_CHANGED),
            Some(now) if claims.action == Action::Approve && now.open_blocking_exceptions > 0 => {
                return bad(BLOCKED);
            }
            Some(_) => {}
        }
        Ok(Ok(Checked {
            claims,
            token,
            task,
            request,
        }))
    }

    pub async fn preview_email(&self, raw: &str) -> Result<Preview, AppError> {
        Ok(match self.check_link(raw).await? {
            Ok(c) => Preview {
                problem: None,
                action: c.claims.action,
                expires_at: c.claims.expires_at,
                task: Some(c.task),
                request: Some(c.request),
            },
            Err((problem, claims)) => Preview {
                problem: Some(problem),
                action: claims.as_ref().map_or(Action::Approve, |c| c.action),
                expires_at: claims.map_or_else(Utc::now, |c| c.expires_at),
                task: None,
                request: None,
            },
        })
    }

    pub async fn decide_by_email(
        &self,
        raw: &str,
        text: &str,
        ctx: &RequestContext,
    ) -> Result<Outcome, AppError> {
        let c = match self.check_link(raw).await? {
            Ok(c) => c,
            Err((problem, claims)) => {
                return Ok(Outcome {
                    decided: false,
                    problem: Some(problem),
                    action: claims.map(|c| c.action),
                    invoice_number: None,
                });
            }
        };
        let action = c.claims.action;
        let invoice_number = c.request.invoice_number.clone();
        if action == Action::Reject && text.trim().is_empty() {
            return Ok(Outcome {
                decided: false,
                problem: Some(REASON_REQUIRED),
                action: Some(action),
                invoice_number,
            });
        }
        let decider = Decider::EmailLink {
            token_id: c.token.id,
            assignee_id: c.token.assignee_id,
            amount: c.token.amount,
        };
        match self
            .decide(c.task.id, action, text, decider, "email", ctx)
            .await
        {
            Ok(_) => Ok(Outcome {
                decided: true,
                problem: None,
                action: Some(action),
                invoice_number,
            }),
            Err(AppError::Refused { reason, .. }) => {
                tracing::info!(task.id = %c.task.id, reason, "email decision refused");
                let problem = if reason.contains("already used") {
                    USED
                } else if reason.contains("amount changed") {
                    AMOUNT_CHANGED
                } else if reason == REASON_BLOCKED {
                    BLOCKED
                } else if reason == REASON_INACTIVE {
                    INACTIVE
                } else if reason == REASON_BARRED || reason == REASON_APPROVED_BEFORE {
                    BARRED
                } else {
                    NOT_RECORDED
                };
                Ok(Outcome {
                    decided: false,
                    problem: Some(problem),
                    action: Some(action),
                    invoice_number,
                })
            }
            Err(AppError::Forbidden) => Ok(Outcome {
                decided: false,
                problem: Some(REASSIGNED),
                action: Some(action),
                invoice_number,
            }),
            Err(e) => Err(e),
        }
    }
}
