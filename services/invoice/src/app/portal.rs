//! The vendor portal's use-cases: a vendor (proven by its vendor access token) reads its own
//! invoices in vendor words, disputes one (a blocking `VENDOR_DISPUTE` exception plus a
//! message, audited), and talks to AP on it. Another vendor's invoice is NotFound exactly like
//! a missing one.

use ap_kit::audit::{self, AuditEvent};
use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::json;
use uuid::Uuid;

use super::{AppError, Caller, InvoiceApp, page_limit};
use crate::domain::portal::{self as rules, PaymentFacts, VendorPayment};
use crate::domain::status::InvoiceStatus;
use crate::store::exceptions::{self as exception_store, ExceptionRow, NewException};
use crate::store::messages::{self as message_store, INBOUND, MessageRow, NewMessage};
use crate::store::portal::{self as store, PortalInvoiceRow};

/// An invoice as its vendor sees it.
#[derive(Clone, Debug)]
pub struct PortalInvoiceView {
    pub row: PortalInvoiceRow,
    pub status: &'static str,
    pub payment: VendorPayment,
}

impl PortalInvoiceView {
    fn new(row: PortalInvoiceRow) -> Result<Self, AppError> {
        let status: InvoiceStatus = row
            .status
            .parse()
            .map_err(|e: String| AppError::Unexpected(anyhow::anyhow!(e)))?;
        let payment = rules::vendor_payment(
            status,
            &PaymentFacts {
                due_date: row.due_date,
                amount_due: row.amount_due,
                total_amount: row.total_amount,
                payment_status: row.payment_status.as_deref(),
                payment_date: row.payment_date,
                payment_reference: row.payment_reference.as_deref(),
            },
        );
        Ok(Self {
            status: rules::vendor_status(status),
            payment,
            row,
        })
    }
}

/// The dispute as the vendor sees it.
#[derive(Clone, Debug)]
pub struct DisputeView {
    pub exception: ExceptionRow,
    pub reason: String,
    pub description: String,
}

impl InvoiceApp {
    /// The vendor's invoices, newest first; one statement per page.
    pub async fn portal_invoices(
        &self,
        caller: &Caller,
        cursor: &str,
        limit: u32,
    ) -> Result<(Vec<PortalInvoiceView>, Option<String>), AppError> {
        let vendor = caller.require_vendor()?;
        let limit = page_limit(limit);
        let after = super::keyset_after(cursor, super::NEWEST_FIRST)?;
        let mut conn = self.conn().await?;
        let mut rows = store::list_vendor_invoices(&mut conn, vendor, after, limit + 1).await?;
        let next = super::split_page(&mut rows, limit, |r| {
            ap_types::cursor::encode_time_id(super::NEWEST_FIRST, r.created_at, r.id)
        });
        let items = rows
            .into_iter()
            .map(PortalInvoiceView::new)
            .collect::<Result<_, _>>()?;
        Ok((items, next))
    }

    pub async fn portal_invoice(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<PortalInvoiceView, AppError> {
        let vendor = caller.require_vendor()?;
        let mut conn = self.conn().await?;
        let row = own_invoice(&mut conn, vendor, id).await?;
        PortalInvoiceView::new(row)
    }

    /// Raises a `VENDOR_DISPUTE` exception (blocking payment while it is active) and records
    /// the dispute as the vendor's message, in one audited transaction.
    #[tracing::instrument(skip_all, fields(invoice.id = %id))]
    pub async fn portal_dispute(
        &self,
        caller: &Caller,
        id: Uuid,
        reason: &str,
        description: &str,
    ) -> Result<DisputeView, AppError> {
        let vendor = caller.require_vendor()?;
        let (reason, description) = rules::check_dispute(reason, description).map_err(|f| {
            AppError::invalid(
                f,
                match f {
                    "reason" => "is required, at most 200 characters",
                    _ => "must be at most 5000 characters",
                },
            )
        })?;
        let due = Utc::now() + self.match_policy().sla.for_severity("medium");
        let mut conn = self.conn().await?;
        let exception = conn
            .transaction::<_, AppError, _>(async |conn| {
                let row = own_invoice(conn, vendor, id).await?;
                if row.status == InvoiceStatus::Cancelled.as_str() {
                    return Err(AppError::Precondition(
                        "A cancelled invoice cannot be disputed.".into(),
                    ));
                }
                super::claims::refuse_if_claimed(conn, id, "disputed").await?;
                let exception = exception_store::insert_manual(
                    conn,
                    id,
                    &NewException {
                        code: "VENDOR_DISPUTE",
                        severity: "medium",
                        message: format!("The vendor disputes this invoice: {reason}"),
                        details: json!({"reason": reason, "description": description}),
                        key: None,
                    },
                    "portal",
                    due,
                )
                .await?;
                let body = if description.is_empty() {
                    format!("Dispute: {reason}")
                } else {
                    format!("Dispute: {reason}\n\n{description}")
                };
                let message = message_store::insert_message(
                    conn,
                    NewMessage {
                        id: Uuid::now_v7(),
                        invoice_id: id,
                        direction: INBOUND,
                        internal: false,
                        body: &body,
                        author_id: None,
                        author_email: None,
                    },
                )
                .await?;
                audit::record(
                    conn,
                    &caller.ctx,
                    AuditEvent::new(
                        caller.actor(),
                        "invoice_disputed",
                        "invoice",
                        Some(id.to_string()),
                    )
                    .after(
                        json!({"exception_id": exception.id.to_string(), "code": exception.code,
                                      "reason": reason, "message_id": message.id.to_string()}),
                    ),
                )
                .await?;
                Ok(exception)
            })
            .await?;
        tracing::info!(exception.id = %exception.id, "vendor dispute raised");
        self.route_soon();
        Ok(DisputeView {
            exception,
            reason,
            description,
        })
    }

    /// The vendor-facing conversation: internal notes are never part of it.
    pub async fn portal_messages(
        &self,
        caller: &Caller,
        id: Uuid,
        page: super::PageIn,
    ) -> Result<(Vec<MessageRow>, Option<String>), AppError> {
        let vendor = caller.require_vendor()?;
        let after = super::keyset_after(&page.cursor, super::OLDEST_FIRST)?;
        let limit = page_limit(page.limit);
        let mut conn = self.conn().await?;
        own_invoice(&mut conn, vendor, id).await?;
        let mut rows = message_store::messages_of(&mut conn, id, true, after, limit + 1).await?;
        let next = super::split_page(&mut rows, limit, |r| {
            ap_types::cursor::encode_time_id(super::OLDEST_FIRST, r.created_at, r.id)
        });
        Ok((rows, next))
    }

    #[tracing::instrument(skip_all, fields(invoice.id = %id))]
    pub async fn portal_post_message(
        &self,
        caller: &Caller,
        id: Uuid,
        body: &str,
    ) -> Result<MessageRow, AppError> {
        let vendor = caller.require_vendor()?;
        let body = rules::check_body(body)
            .ok_or_else(|| AppError::invalid("body", "is required, at most 10000 characters"))?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            own_invoice(conn, vendor, id).await?;
            let message = message_store::insert_message(
                conn,
                NewMessage {
                    id: Uuid::now_v7(),
                    invoice_id: id,
                    direction: INBOUND,
                    internal: false,
                    body: &body,
                    author_id: None,
                    author_email: None,
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
                .after(json!({"message_id": message.id.to_string(), "direction": INBOUND, "internal": false})),
            )
            .await?;
            Ok(message)
        })
        .await
    }
}

/// The vendor's invoice, or NotFound (missing and another vendor's alike).
async fn own_invoice(
    conn: &mut AsyncPgConnection,
    vendor: Uuid,
    id: Uuid,
) -> Result<PortalInvoiceRow, AppError> {
    store::find_vendor_invoice(conn, vendor, id)
        .await?
        .ok_or(AppError::NotFound("invoice"))
}
