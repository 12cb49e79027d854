//! The approval service's decisions, delivered from its outbox: the final approval moves the
//! invoice `pending_approval → approved`, a rejection to `rejected`, exactly once (idempotent
//! by event id, compare-and-set on the status). A decision about an earlier match run, or for
//! an invoice that has left approval meanwhile, changes nothing and is audited as ignored.
//!
//! The other direction: when an invoice leaves `pending_approval` other than by a decision
//! (re-matched, cancelled), the approval service is told to withdraw the round.

use ap_kit::audit::{self, Actor, AuditEvent};
use ap_kit::outbox;
use ap_proto::common::v1::Event;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::matching::APPROVAL_DESTINATION;
use super::{AppError, Caller, InvoiceApp};
use crate::domain::status::{InvoiceEvent, InvoiceStatus};
use crate::store::invoices as store;
use crate::store::matching::match_run_of;

pub const APPROVAL_DECIDED: &str = "approval.decided";
pub const APPROVAL_WITHDRAWN: &str = "invoice.approval_withdrawn";

#[derive(Debug, Deserialize)]
struct DecidedBy {
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Decided {
    invoice_id: Uuid,
    match_run: i32,
    decision: String,
    #[serde(default)]
    reason: String,
    decided_by: Option<DecidedBy>,
}

/// Tells the approval service that `invoice` left approval for `reason` (same transaction).
pub(crate) async fn withdraw_approval(
    conn: &mut AsyncPgConnection,
    invoice: Uuid,
    reason: &str,
) -> Result<(), AppError> {
    let match_run = match_run_of(conn, invoice).await?;
    outbox::enqueue(
        conn,
        APPROVAL_DESTINATION,
        APPROVAL_WITHDRAWN,
        &json!({"invoice_id": invoice.to_string(), "match_run": match_run, "reason": reason}),
    )
    .await?;
    Ok(())
}

impl InvoiceApp {
    /// Applies one approval event; `Ok(false)` when it had already been processed.
    pub async fn handle_approval_event(
        &self,
        caller: &Caller,
        event: &Event,
    ) -> Result<bool, AppError> {
        if event.event_type != APPROVAL_DECIDED {
            return Err(AppError::invalid("event_type", "is not handled here"));
        }
        let body: Decided = serde_json::from_str(&event.payload_json)
            .map_err(|e| AppError::invalid("payload_json", e.to_string()))?;
        let action = match body.decision.as_str() {
            "approved" => InvoiceEvent::Approve,
            "rejected" => InvoiceEvent::Reject,
            _ => {
                return Err(AppError::invalid(
                    "decision",
                    "must be approved or rejected",
                ));
            }
        };
        let by = body.decided_by.and_then(|d| d.email).unwrap_or_default();
        let reason = match action {
            InvoiceEvent::Reject => format!("rejected by {by}: {}", body.reason),
            _ => format!("approved by {by}"),
        };
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            if !outbox::mark_processed(conn, event).await? {
                return Ok(false);
            }
            let Some(row) = store::find_invoice(conn, body.invoice_id, true).await? else {
                tracing::warn!(invoice.id = %body.invoice_id, "approval decision for an unknown invoice");
                return Ok(true);
            };
            let run = match_run_of(conn, row.id).await?;
            if row.status != InvoiceStatus::PendingApproval.as_str() || run != body.match_run {
                tracing::info!(invoice.id = %row.id, status = %row.status, run, event_run = body.match_run,
                    "approval decision no longer applies");
                audit::record(
                    conn,
                    &caller.ctx,
                    AuditEvent::new(Actor::System("approval".into()), "approval_decision_ignored", "invoice", Some(row.id.to_string()))
                        .after(json!({"decision": body.decision, "status": row.status, "match_run": run, "decided_for_run": body.match_run})),
                )
                .await?;
                return Ok(true);
            }
            self.apply_event(conn, caller, &row, action, Some(&reason)).await?;
            Ok(true)
        })
        .await
    }
}
