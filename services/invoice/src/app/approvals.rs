//! The approval service's decisions, delivered from its outbox: the final approval moves the
//! invoice `pending_approval → approved`, a rejection to `rejected`, exactly once (idempotent
//! by event id, compare-and-set on the status). A decision about an earlier match run, or for
//! an invoice that has left approval meanwhile, changes nothing and is audited as ignored.
//!
//! An approval that arrives while a blocking exception is open is not applied either (re-checked
//! in the transaction that would apply it): audited as ignored, the invoice goes back through
//! matching and waits in `exception` for a person.
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
use super::{AppError, Caller, InvoiceApp, STAFF};
use crate::domain::status::{InvoiceEvent, InvoiceStatus};
use crate::store::exceptions as exception_store;
use crate::store::invoices::{self as store, InvoiceRow};
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

/// What the approval service needs to decide: who may not approve the invoice (uploader and
/// every corrector) and how many blocking exceptions are open.
#[derive(Clone, Debug, Default)]
pub struct ApprovalFacts {
    pub barred: Vec<Uuid>,
    pub open_blocking_exceptions: i64,
}

impl InvoiceApp {
    /// `GetInvoiceSummary`: the invoice, plus the separation-of-duties and exception facts an
    /// approval decision is checked against.
    pub async fn summary_for_approval(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<(InvoiceRow, ApprovalFacts), AppError> {
        caller.require_internal_or(STAFF)?;
        let mut conn = self.conn().await?;
        let row = store::find_invoice(&mut conn, id, false)
            .await?
            .ok_or(AppError::NotFound("invoice"))?;
        let mut barred: Vec<Uuid> = row
            .uploaded_by
            .into_iter()
            .chain(row.last_corrected_by)
            .collect();
        for who in store::correctors_of(&mut conn, id).await? {
            if !barred.contains(&who) {
                barred.push(who);
            }
        }
        let open_blocking_exceptions = exception_store::blocking_count(&mut conn, id).await?;
        Ok((
            row,
            ApprovalFacts {
                barred,
                open_blocking_exceptions,
            },
        ))
    }

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
            // Re-checked here, under the invoice's row lock: an approval never applies while a
            // blocking exception is open (raised, reopened or disputed after the decision was
            // taken). The invoice goes back through matching, which parks it in `exception`
            // for a person to resolve; clearing it starts a new approval round.
            if action == InvoiceEvent::Approve {
                let blocking = exception_store::blocking_count(conn, row.id).await?;
                if blocking > 0 {
                    tracing::info!(invoice.id = %row.id, blocking, "approval ignored: a blocking exception is open");
                    audit::record(
                        conn,
                        &caller.ctx,
                        AuditEvent::new(Actor::System("approval".into()), "approval_decision_ignored", "invoice", Some(row.id.to_string()))
                            .after(json!({"decision": body.decision, "status": row.status, "match_run": run,
                                          "reason": "an open blocking exception", "open_blocking_exceptions": blocking})),
                    )
                    .await?;
                    // The round (if still open) ends here; a round the re-match opens is newer.
                    withdraw_approval(conn, row.id, "an open blocking exception").await?;
                    self.evaluate(conn, caller, &row).await?;
                    return Ok(true);
                }
            }
            self.apply_event(conn, caller, &row, action, Some(&reason)).await?;
            Ok(true)
        })
        .await
    }
}
