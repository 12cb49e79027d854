//! Sending an approved invoice back to approval when what its approval looked at no longer
//! holds: the vendor's bank account was replaced (and the new one verified) after the
//! decision. In the caller's transaction: `reapprove` (approved → matching) forgets the
//! approval record, and the engine runs again, which opens a new approval round through the
//! outbox (or raises the bank-change exception first).

use ap_kit::audit::{self, AuditEvent};
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use super::{AppError, Caller, InvoiceApp};
use crate::domain::status::InvoiceEvent;
use crate::store::invoices::{self as store, StaleApproval};

/// The reason recorded on the status change and the audit row.
pub const BANK_ACCOUNT_CHANGED: &str = "the vendor's bank account changed";

impl InvoiceApp {
    /// Every `approved` invoice of `vendor_id` approved for another account than the vendor's
    /// current verified one goes back to approval. Returns their ids.
    pub(crate) async fn reapprove_vendor_invoices(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        vendor_id: Uuid,
    ) -> Result<Vec<Uuid>, AppError> {
        let stale = store::lock_approved_on_replaced_account(conn, Some(vendor_id), &[]).await?;
        self.reapprove(conn, caller, &stale).await
    }

    /// The same for the named invoices (those released from a payment run back to
    /// `approved`); the others are left alone. Returns the ids sent back.
    pub(crate) async fn reapprove_if_account_replaced(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>, AppError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let stale = store::lock_approved_on_replaced_account(conn, None, ids).await?;
        self.reapprove(conn, caller, &stale).await
    }

    async fn reapprove(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        stale: &[StaleApproval],
    ) -> Result<Vec<Uuid>, AppError> {
        let mut sent_back = Vec::with_capacity(stale.len());
        for s in stale {
            let id = &s.id;
            let Some(row) = store::find_invoice(conn, *id, true).await? else {
                continue;
            };
            let before = json!({
                "status": row.status,
                "approved_amount": s.approved_amount.map(ap_types::money_text),
                "approved_bank_account_id": s.approved_bank_account_id.to_string(),
            });
            let row = self
                .apply_event(
                    conn,
                    caller,
                    &row,
                    InvoiceEvent::Reapprove,
                    Some(BANK_ACCOUNT_CHANGED),
                )
                .await?;
            let evaluation = self.decide(conn, caller, row).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "invoice_sent_back_to_approval",
                    "invoice",
                    Some(id.to_string()),
                )
                .before(before)
                .after(json!({
                    "reason": BANK_ACCOUNT_CHANGED,
                    "bank_account_id": s.current_bank_account_id.to_string(),
                    "status": evaluation.status.as_str(),
                    "exceptions": evaluation.exceptions,
                })),
            )
            .await?;
            tracing::info!(invoice.id = %id, status = %evaluation.status, "sent back to approval: bank account changed");
            sent_back.push(*id);
        }
        Ok(sent_back)
    }
}
