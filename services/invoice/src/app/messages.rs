//! Conversations on an invoice, staff side: staff read the whole conversation (reading marks
//! the vendor's messages read); analysts and admins post vendor-facing messages or internal
//! notes. A vendor-facing message to a vendor with an email address also goes out as mail:
//! an `invoice.vendor_message` event to the approval service (the mail path), written in the
//! message's transaction.

use ap_kit::audit::{self, AuditEvent};
use ap_kit::outbox;
use diesel_async::AsyncConnection;
use serde_json::json;
use uuid::Uuid;

use super::matching::APPROVAL_DESTINATION;
use super::{AppError, CORRECT, Caller, InvoiceApp, STAFF};
use crate::domain::portal::check_body;
use crate::store::invoices as invoice_store;
use crate::store::messages::{self as store, MessageRow, NewMessage, OUTBOUND};
use crate::store::vendors as vendor_store;

pub const VENDOR_MESSAGE: &str = "invoice.vendor_message";

impl InvoiceApp {
    /// A page of the conversation, oldest first; once staff open it, the vendor's messages
    /// (all of them, not only this page's) count as read.
    #[tracing::instrument(skip_all, fields(invoice.id = %id))]
    pub async fn invoice_messages(
        &self,
        caller: &Caller,
        id: Uuid,
        page: super::PageIn,
    ) -> Result<(Vec<MessageRow>, Option<String>), AppError> {
        caller.require(STAFF)?;
        let after = super::keyset_after(&page.cursor, super::OLDEST_FIRST)?;
        let limit = super::page_limit(page.limit);
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            invoice_store::find_invoice(conn, id, false)
                .await?
                .ok_or(AppError::NotFound("invoice"))?;
            let mut messages = store::messages_of(conn, id, false, after, limit + 1).await?;
            let next = super::split_page(&mut messages, limit, |r| {
                ap_types::cursor::encode_time_id(super::OLDEST_FIRST, r.created_at, r.id)
            });
            store::mark_inbound_read(conn, id).await?;
            Ok((messages, next))
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(invoice.id = %id, message.internal = internal))]
    pub async fn post_invoice_message(
        &self,
        caller: &Caller,
        id: Uuid,
        body: &str,
        internal: bool,
    ) -> Result<MessageRow, AppError> {
        let author = caller.require(CORRECT)?.clone();
        let body = check_body(body)
            .ok_or_else(|| AppError::invalid("body", "is required, at most 10000 characters"))?;
        let mut conn = self.conn().await?;
        let message = conn
            .transaction::<_, AppError, _>(async |conn| {
                let invoice = invoice_store::find_invoice(conn, id, false)
                    .await?
                    .ok_or(AppError::NotFound("invoice"))?;
                let message = store::insert_message(
                    conn,
                    NewMessage {
                        id: Uuid::now_v7(),
                        invoice_id: id,
                        direction: OUTBOUND,
                        internal,
                        body: &body,
                        author_id: Some(author.user_id.as_uuid()),
                        author_email: Some(&author.email),
                    },
                )
                .await?;
                audit::record(
                    conn,
                    &caller.ctx,
                    AuditEvent::new(
                        caller.actor(),
                        "invoice_message_posted",
                        "invoice",
                        Some(id.to_string()),
                    )
                    .after(json!({"message_id": message.id.to_string(), "direction": OUTBOUND, "internal": internal})),
                )
                .await?;
                if internal {
                    return Ok(message);
                }
                let vendor = match invoice.vendor_id {
                    Some(v) => vendor_store::find_vendor(conn, v, false).await?,
                    None => None,
                };
                if let Some((vendor, email)) =
                    vendor.and_then(|v| v.email.clone().filter(|e| !e.is_empty()).map(|e| (v, e)))
                {
                    outbox::enqueue(
                        conn,
                        APPROVAL_DESTINATION,
                        VENDOR_MESSAGE,
                        &json!({
                            "invoice_id": id.to_string(),
                            "invoice_number": invoice.invoice_number,
                            "vendor_id": vendor.id.to_string(),
                            "vendor_name": vendor.name,
                            "vendor_email": email,
                            "message_id": message.id.to_string(),
                            "body": message.body,
                        }),
                    )
                    .await?;
                }
                Ok(message)
            })
            .await?;
        tracing::info!(message.id = %message.id, "invoice message posted");
        Ok(message)
    }
}
