//! Reading invoices (keyset list, detail, original document, audit timeline) and changing
//! them (typed corrections, cancellation, status compare-and-set, payment fields).

use ap_kit::audit::{self, AuditEvent, AuditRow};
use ap_proto::invoice::v1 as pb;
use ap_types::cursor::Cursor;
use chrono::{DateTime, TimeZone, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{AppError, CANCEL, CORRECT, Caller, InvoiceApp, STAFF, page_limit};
use crate::domain::status::{InvoiceEvent, InvoiceStatus, transition};
use crate::domain::values::{
    Currency, FieldError, normalize_invoice_number, parse_amount, parse_date, parse_text,
};
use crate::store::invoices::{
    self as store, DocumentRow, InvoiceAfter, InvoiceChanges, InvoiceFilter, InvoiceLineRow,
    InvoiceRow, InvoiceSort, InvoiceSortKey, PaymentFields,
};
use crate::store::{orders as order_store, vendors as vendor_store};

/// An invoice with what its detail shows.
#[derive(Clone, Debug)]
pub struct InvoiceView {
    pub row: InvoiceRow,
    pub lines: Vec<InvoiceLineRow>,
    pub document: Option<DocumentRow>,
    pub exceptions: Vec<crate::store::exceptions::ExceptionRow>,
    pub matching: Option<super::matching::MatchView>,
}

/// The orders `GET /invoices?sort=` accepts; a leading `-` reverses (see docs/invoices.md).
pub const SORTS: &[&str] = &["created_at", "due_date", "amount"];

/// Reads `sort` (empty means newest first).
pub fn parse_sort(raw: &str) -> Result<InvoiceSort, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(InvoiceSort::default());
    }
    let (descending, name) = match raw.strip_prefix('-') {
        Some(n) => (true, n),
        None => (false, raw),
    };
    let key = match name {
        "created_at" => InvoiceSortKey::CreatedAt,
        "due_date" => InvoiceSortKey::DueDate,
        "amount" => InvoiceSortKey::Amount,
        _ => {
            return Err(AppError::invalid(
                "sort",
                format!(
                    "\"{raw}\" is not an order; use one of {} (a leading - reverses it)",
                    SORTS.join(", ")
                ),
            ));
        }
    };
    Ok(InvoiceSort { key, descending })
}

/// The name of `sort` as a client writes it; cursors carry it.
pub fn sort_name(sort: InvoiceSort) -> String {
    let name = match sort.key {
        InvoiceSortKey::CreatedAt => "created_at",
        InvoiceSortKey::DueDate => "due_date",
        InvoiceSortKey::Amount => "amount",
    };
    if sort.descending {
        format!("-{name}")
    } else {
        name.to_owned()
    }
}

/// The cursor after `row` in the order `sort`.
pub fn encode_cursor(sort: InvoiceSort, row: &InvoiceRow) -> String {
    let c = Cursor::new(&sort_name(sort));
    match sort.key {
        InvoiceSortKey::CreatedAt => c.time(row.created_at),
        InvoiceSortKey::DueDate => c.date(row.due_date),
        InvoiceSortKey::Amount => c.decimal(crate::domain::payable::payable(
            row.total_amount,
            row.amount_due,
        )),
    }
    .id(row.id)
    .encode()
}

/// Reads a cursor made for the order `sort`; empty means the first page.
pub fn decode_cursor(sort: InvoiceSort, raw: &str) -> Result<Option<InvoiceAfter>, AppError> {
    let Some(c) = Cursor::decode_opt(raw, &sort_name(sort), 2)? else {
        return Ok(None);
    };
    let id = c.id_at(1)?;
    Ok(Some(match sort.key {
        InvoiceSortKey::CreatedAt => InvoiceAfter::CreatedAt(c.time_at(0)?, id),
        InvoiceSortKey::DueDate => InvoiceAfter::DueDate(c.date_at(0)?, id),
        InvoiceSortKey::Amount => InvoiceAfter::Amount(c.decimal_at(0)?, id),
    }))
}

fn opt_date(field: &str, raw: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
    if raw.is_empty() {
        Ok(None)
    } else {
        Ok(Some(parse_date(field, raw)?))
    }
}

fn opt_instant(field: &str, raw: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let d = parse_date(field, raw)?;
    Ok(d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t)))
}

fn opt_status(field: &str, raw: &str, allowed: &[&str]) -> Result<Option<String>, AppError> {
    if raw.is_empty() {
        Ok(None)
    } else if allowed.contains(&raw) {
        Ok(Some(raw.to_owned()))
    } else {
        Err(AppError::invalid(
            field,
            format!("must be one of {}", allowed.join(", ")),
        ))
    }
}

const STATUSES: &[&str] = &[
    "received",
    "extracting",
    "extracted",
    "matching",
    "exception",
    "pending_approval",
    "approved",
    "scheduled",
    "paid",
    "rejected",
    "cancelled",
];
const PAYMENT_STATUSES: &[&str] = &["pending", "scheduled", "completed", "failed"];

/// One page of the staff list with unread counts and the next cursor: exactly two statements
/// (public so a test can count them on an instrumented connection).
pub async fn list_page(
    conn: &mut AsyncPgConnection,
    filter: &InvoiceFilter,
    sort: InvoiceSort,
    after: Option<InvoiceAfter>,
    limit: i64,
) -> Result<(Vec<(InvoiceRow, i64)>, Option<String>), AppError> {
    let mut rows = store::list_invoices(conn, filter, sort, after, limit + 1).await?;
    let next = super::split_page(&mut rows, limit, |r| encode_cursor(sort, r));
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let unread = crate::store::messages::unread_counts(conn, &ids).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let n = unread.get(&r.id).copied().unwrap_or(0);
            (r, n)
        })
        .collect();
    Ok((items, next))
}

impl InvoiceApp {
    pub(crate) async fn invoice_view(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> Result<InvoiceView, AppError> {
        let row = store::find_invoice(conn, id, false)
            .await?
            .ok_or(AppError::NotFound("invoice"))?;
        let lines = store::lines_of(conn, id).await?;
        let document = store::document_of(conn, id).await?;
        let exceptions = crate::store::exceptions::exceptions_of(conn, id).await?;
        let matching = crate::store::matching::result_of(conn, id)
            .await?
            .map(|(head, lines)| super::matching::MatchView { head, lines });
        Ok(InvoiceView {
            row,
            lines,
            document,
            exceptions,
            matching,
        })
    }

    /// One page of invoices (newest first unless `sort` says otherwise), each with its count
    /// of unread vendor messages.
    /// Two SQL statements per page whatever its size: the page, then the unread counts of all
    /// its invoices at once.
    pub async fn list_invoices(
        &self,
        caller: &Caller,
        req: &pb::ListInvoicesRequest,
    ) -> Result<(Vec<(InvoiceRow, i64)>, Option<String>), AppError> {
        caller.require(STAFF)?;
        let page = req.page.clone().unwrap_or_default();
        let limit = page_limit(page.limit);
        let sort = parse_sort(&req.sort)?;
        let after = decode_cursor(sort, &page.cursor)?;
        let q = req.q.trim();
        if q.chars().count() > 100 {
            return Err(AppError::invalid("q", "must be at most 100 characters"));
        }
        let filter = InvoiceFilter {
            statuses: super::status_list("status", &req.status, STATUSES)?,
            payment_status: opt_status("payment_status", &req.payment_status, PAYMENT_STATUSES)?,
            vendor_id: super::optional_uuid("vendor_id", &req.vendor_id)?,
            po_number: Some(req.po_number.trim().to_owned()).filter(|p| !p.is_empty()),
            due_before: opt_date("due_before", &req.due_before)?,
            q: Some(q.to_owned()).filter(|q| !q.is_empty()),
            invoice_date_from: opt_date("invoice_date_from", &req.invoice_date_from)?,
            invoice_date_to: opt_date("invoice_date_to", &req.invoice_date_to)?,
            created_from: opt_instant("created_from", &req.created_from)?,
            created_to: opt_instant("created_to", &req.created_to)?,
        };
        let mut conn = self.conn().await?;
        list_page(&mut conn, &filter, sort, after, limit).await
    }

    pub async fn get_invoice(&self, caller: &Caller, id: Uuid) -> Result<InvoiceView, AppError> {
        caller.require(STAFF)?;
        let mut conn = self.conn().await?;
        self.invoice_view(&mut conn, id).await
    }

    /// The stored original: its metadata and a byte stream from object storage.
    pub async fn open_document(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<
        (
            DocumentRow,
            futures::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>,
        ),
        AppError,
    > {
        caller.require(STAFF)?;
        let mut conn = self.conn().await?;
        store::find_invoice(&mut conn, id, false)
            .await?
            .ok_or(AppError::NotFound("invoice"))?;
        let doc = store::document_of(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound("document"))?;
        drop(conn);
        let result = self.storage().get(&doc.storage_key).await?;
        Ok((doc, result.into_stream()))
    }

    /// This service's audit rows about the invoice, oldest first.
    pub async fn invoice_audit(
        &self,
        caller: &Caller,
        id: Uuid,
        cursor: &str,
        limit: u32,
    ) -> Result<(Vec<AuditRow>, Option<String>), AppError> {
        caller.require(STAFF)?;
        let mut conn = self.conn().await?;
        store::find_invoice(&mut conn, id, false)
            .await?
            .ok_or(AppError::NotFound("invoice"))?;
        audit::timeline_rpc_page(&mut conn, "invoice", &id.to_string(), cursor, limit)
            .await
            .map_err(|e| match e {
                audit::TimelinePageError::Cursor(c) => c.into(),
                audit::TimelinePageError::Db(d) => d.into(),
            })
    }

    /// Corrects header fields. Each changed field is recorded (old, new, who), its source
    /// becomes `manual`, and the row lock makes concurrent corrections apply one after another.
    #[tracing::instrument(skip_all, fields(invoice.id = %req.id))]
    pub async fn correct_invoice(
        &self,
        caller: &Caller,
        req: pb::UpdateInvoiceRequest,
    ) -> Result<InvoiceView, AppError> {
        let user = caller.require(CORRECT)?.user_id.as_uuid();
        let id = super::parse_uuid("id", &req.id)?;
        let mut errors = Vec::new();
        macro_rules! field {
            ($opt:expr, $parse:expr) => {
                match $opt.as_deref() {
                    None => None,
                    Some("") => Some(None),
                    Some(raw) => match $parse(raw) {
                        Ok(v) => Some(Some(v)),
                        Err(e) => {
                            errors.push(e);
                            None
                        }
                    },
                }
            };
        }
        let invoice_number = field!(req.invoice_number, |r| parse_text("invoice_number", r, 100));
        let invoice_date = field!(req.invoice_date, |r| parse_date("invoice_date", r));
        let due_date = field!(req.due_date, |r| parse_date("due_date", r));
        let currency = field!(req.currency, |r| Currency::parse("currency", r)
            .map(|c| c.as_str().to_owned()));
        // At the scale the column stores (NUMERIC(18,4)), so a recorded new value reads exactly
        // like the old value of the next correction ("1234.5000", not "1234.50").
        let amount = |f: &str, r: &str| {
            parse_amount(f, r).map(|mut d| {
                d.rescale(4);
                d
            })
        };
        let subtotal = field!(req.subtotal, |r| amount("subtotal", r));
        let tax_amount = field!(req.tax_amount, |r| amount("tax_amount", r));
        let total_amount = field!(req.total_amount, |r| amount("total_amount", r));
        let amount_due = field!(req.amount_due, |r| amount("amount_due", r));
        let po_number = field!(req.po_number, |r| parse_text("po_number", r, 100));
        let payment_terms = field!(req.payment_terms, |r| parse_text("payment_terms", r, 100));
        let vendor_id = field!(req.vendor_id, |r: &str| r
            .parse::<Uuid>()
            .map_err(|_| { FieldError::new("vendor_id", "must be a UUID") }));
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut conn = self.conn().await?;
        let view = conn
            .transaction::<_, AppError, _>(async |conn| {
                let row = store::find_invoice(conn, id, true)
                    .await?
                    .ok_or(AppError::NotFound("invoice"))?;
                if req.expected_version.is_some_and(|v| v != row.version) {
                    return Err(AppError::StaleVersion);
                }
                super::claims::refuse_if_claimed(conn, id, "corrected").await?;
                let status: InvoiceStatus = row
                    .status
                    .parse()
                    .map_err(|e: String| AppError::Unexpected(anyhow::anyhow!(e)))?;
                if !status.accepts_corrections() {
                    return Err(AppError::Precondition(format!(
                        "An invoice that is {status} can no longer be corrected."
                    )));
                }
                // Every corrected amount must be exact at the minor unit of the currency the
                // invoice will have (JPY 0 decimals, USD 2, BHD 3).
                let effective_currency = match &currency {
                    Some(c) => c.clone(),
                    None => row.currency.clone(),
                }
                .unwrap_or_default();
                let scale_errors: Vec<FieldError> = [
                    ("subtotal", subtotal),
                    ("tax_amount", tax_amount),
                    ("total_amount", total_amount),
                    ("amount_due", amount_due),
                ]
                .into_iter()
                .filter_map(|(name, v)| {
                    let v = v.flatten()?;
                    ap_types::check_amount(v, &effective_currency)
                        .err()
                        .map(|m| FieldError::new(name, m))
                })
                .collect();
                if !scale_errors.is_empty() {
                    return Err(AppError::Invalid(scale_errors));
                }
                let mut changes = InvoiceChanges::default();
                let mut changed: Vec<(&str, Value, Value)> = Vec::new();
                macro_rules! apply {
                    ($name:literal, $new:expr, $old:expr, $slot:ident) => {
                        if let Some(new) = $new {
                            let old = $old;
                            if new != old {
                                changed.push((
                                    $name,
                                    json!(old.as_ref().map(|v| v.to_string())),
                                    json!(new.as_ref().map(|v| v.to_string())),
                                ));
                                changes.$slot = Some(new);
                            }
                        }
                    };
                }
                apply!(
                    "invoice_number",
                    invoice_number.clone(),
                    row.invoice_number.clone(),
                    invoice_number
                );
                apply!("invoice_date", invoice_date, row.invoice_date, invoice_date);
                apply!("due_date", due_date, row.due_date, due_date);
                apply!("currency", currency.clone(), row.currency.clone(), currency);
                apply!("subtotal", subtotal, row.subtotal, subtotal);
                apply!("tax_amount", tax_amount, row.tax_amount, tax_amount);
                apply!("total_amount", total_amount, row.total_amount, total_amount);
                apply!("amount_due", amount_due, row.amount_due, amount_due);
                apply!(
                    "po_number",
                    po_number.clone(),
                    row.po_number.clone(),
                    po_number
                );
                apply!(
                    "payment_terms",
                    payment_terms.clone(),
                    row.payment_terms.clone(),
                    payment_terms
                );
                apply!("vendor_id", vendor_id, row.vendor_id, vendor_id);
                // One approved amount: the payable stays within 0 .. total (credit notes:
                // total .. 0), checked on the values the invoice would have; nothing changes
                // otherwise.
                if changes.amount_due.is_some() || changes.total_amount.is_some() {
                    let total = changes.total_amount.unwrap_or(row.total_amount);
                    let due = changes.amount_due.unwrap_or(row.amount_due);
                    if let Err(mut e) = crate::domain::payable::check_correction(total, due) {
                        if changes.amount_due.is_none() {
                            e = crate::domain::values::FieldError::new(
                                "total_amount",
                                format!(
                                    "would leave the amount due {} outside 0 .. total; correct the amount due too",
                                    due.unwrap_or_default().normalize()
                                ),
                            );
                        }
                        return Err(AppError::Invalid(vec![e]));
                    }
                }
                if let Some(Some(v)) = changes.vendor_id {
                    let vendor = vendor_store::find_vendor(conn, v, false)
                        .await?
                        .ok_or_else(|| AppError::invalid("vendor_id", "no such vendor"))?;
                    changes.vendor_name = Some(Some(vendor.name));
                } else if let Some(None) = changes.vendor_id {
                    changes.vendor_name = Some(None);
                }
                if let Some(Some(po)) = &changes.po_number
                    && order_store::find_po_by_number(conn, po, false)
                        .await?
                        .is_none()
                {
                    return Err(AppError::invalid(
                        "po_number",
                        "no purchase order has this number",
                    ));
                }
                if let Some(number) = &changes.invoice_number {
                    changes.invoice_number_normalized =
                        Some(number.as_deref().map(normalize_invoice_number));
                }
                if changed.is_empty() {
                    return self.invoice_view(conn, id).await;
                }
                let mut fields = row.fields.clone();
                let map = fields.as_object_mut().ok_or_else(|| {
                    AppError::Unexpected(anyhow::anyhow!("fields is not an object"))
                })?;
                for (name, old, new) in &changed {
                    map.insert(
                        (*name).to_owned(),
                        json!({"source": "manual", "confidence": 1.0}),
                    );
                    store::insert_correction(conn, id, name, old.clone(), new.clone(), user)
                        .await?;
                }
                changes.fields = Some(fields);
                changes.last_corrected_by = Some(Some(user));
                let corrected = store::update_invoice(conn, id, changes).await?;
                let before: serde_json::Map<String, Value> = changed
                    .iter()
                    .map(|(n, o, _)| ((*n).to_owned(), o.clone()))
                    .collect();
                let after: serde_json::Map<String, Value> = changed
                    .iter()
                    .map(|(n, _, v)| ((*n).to_owned(), v.clone()))
                    .collect();
                audit::record(
                    conn,
                    &caller.ctx,
                    AuditEvent::new(
                        caller.actor(),
                        "invoice_corrected",
                        "invoice",
                        Some(id.to_string()),
                    )
                    .before(Value::Object(before))
                    .after(Value::Object(after)),
                )
                .await?;
                // A correction re-runs matching (not extraction) once the invoice has been read.
                if matches!(
                    corrected.status.as_str(),
                    "extracted" | "exception" | "pending_approval"
                ) {
                    self.evaluate(conn, caller, &corrected).await?;
                }
                self.invoice_view(conn, id).await
            })
            .await?;
        self.route_soon();
        Ok(view)
    }

    /// ADMIN only, with a reason.
    #[tracing::instrument(skip_all, fields(invoice.id = %id))]
    pub async fn cancel_invoice(
        &self,
        caller: &Caller,
        id: Uuid,
        reason: &str,
    ) -> Result<InvoiceView, AppError> {
        caller.require(CANCEL)?;
        let reason = parse_text("reason", reason, 1000)?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let row = store::find_invoice(conn, id, true)
                .await?
                .ok_or(AppError::NotFound("invoice"))?;
            super::claims::refuse_if_claimed(conn, id, "cancelled").await?;
            self.apply_event(conn, caller, &row, InvoiceEvent::Cancel, Some(&reason))
                .await?;
            self.invoice_view(conn, id).await
        })
        .await
    }

    /// Moves `row` by `event` (compare-and-set on its current status) and audits it.
    pub(crate) async fn apply_event(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        row: &InvoiceRow,
        event: InvoiceEvent,
        reason: Option<&str>,
    ) -> Result<InvoiceRow, AppError> {
        let from: InvoiceStatus = row
            .status
            .parse()
            .map_err(|e: String| AppError::Unexpected(anyhow::anyhow!(e)))?;
        let to = transition(from, event)?;
        if event != InvoiceEvent::Pay {
            super::claims::refuse_if_claimed(conn, row.id, "changed").await?;
        }
        let by_engine = matches!(
            event,
            InvoiceEvent::BeginMatching
                | InvoiceEvent::MatchAutoApproved
                | InvoiceEvent::MatchRequiresApproval
                | InvoiceEvent::MatchRaisedException
        );
        let updated =
            store::set_status_if(conn, row.id, from.as_str(), to.as_str(), None, !by_engine)
                .await?
                .ok_or_else(|| {
                    AppError::Conflict("The invoice's status changed concurrently; retry.".into())
                })?;
        // What a decision approves is recorded with the move to approved (touchless or by the
        // approval service), in this transaction; going back to matching forgets it. A payment
        // pays exactly this amount, to this vendor, in this currency, to this account.
        let mut approval = Value::Null;
        if matches!(
            event,
            InvoiceEvent::Approve | InvoiceEvent::MatchAutoApproved
        ) {
            let r = store::record_approval(conn, row.id).await?;
            approval = json!({
                "approved_amount": r.approved_amount.map(ap_types::money_text),
                "approved_currency": r.approved_currency,
                "approved_vendor_id": r.approved_vendor_id.map(|v| v.to_string()),
                "approved_bank_account_id": r.approved_bank_account_id.map(|v| v.to_string()),
            });
        } else if matches!(
            event,
            InvoiceEvent::BeginMatching | InvoiceEvent::Reextract | InvoiceEvent::Reapprove
        ) {
            store::clear_approval(conn, row.id).await?;
        }
        audit::record(
            conn,
            &caller.ctx,
            AuditEvent::new(
                caller.actor(),
                "invoice_status_changed",
                "invoice",
                Some(row.id.to_string()),
            )
            .before(json!({"status": from.as_str()}))
            .after({
                let mut after =
                    json!({"status": to.as_str(), "event": event.as_str(), "reason": reason});
                if !approval.is_null() {
                    after["approved"] = approval;
                }
                after
            }),
        )
        .await?;
        // Leaving approval other than by the approval service's own decision: its round ends.
        let by_approval =
            matches!(&caller.identity, super::Identity::Service(s) if s == "approval");
        if from == InvoiceStatus::PendingApproval && !by_approval {
            super::approvals::withdraw_approval(conn, row.id, event.as_str()).await?;
        }
        Ok(updated)
    }

    pub async fn invoice_summary(&self, caller: &Caller, id: Uuid) -> Result<InvoiceRow, AppError> {
        caller.require_internal_or(STAFF)?;
        let mut conn = self.conn().await?;
        store::find_invoice(&mut conn, id, false)
            .await?
            .ok_or(AppError::NotFound("invoice"))
    }

    /// For other services: applies `event` only if the invoice is still `expected`.
    #[tracing::instrument(skip_all, fields(invoice.id = %req.id, event = %req.event))]
    pub async fn transition_status(
        &self,
        caller: &Caller,
        req: &pb::TransitionStatusRequest,
    ) -> Result<InvoiceRow, AppError> {
        caller.require_internal()?;
        let id = super::parse_uuid("id", &req.id)?;
        let expected: InvoiceStatus = req
            .expected_status
            .parse()
            .map_err(|_| AppError::invalid("expected_status", "unknown status"))?;
        let event: InvoiceEvent = req
            .event
            .parse()
            .map_err(|_| AppError::invalid("event", "unknown event"))?;
        // Sending back to approval re-runs matching here; no other service asks for it.
        if event == InvoiceEvent::Reapprove {
            return Err(AppError::invalid(
                "event",
                "reapprove is decided by the invoice service",
            ));
        }
        let reason = Some(req.reason.as_str()).filter(|r| !r.is_empty());
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let row = store::find_invoice(conn, id, true)
                .await?
                .ok_or(AppError::NotFound("invoice"))?;
            if row.status != expected.as_str() {
                return Err(AppError::Conflict(format!(
                    "The invoice is {}, not {expected}.",
                    row.status
                )));
            }
            self.apply_event(conn, caller, &row, event, reason).await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(invoice.id = %req.id))]
    pub async fn attach_payment(
        &self,
        caller: &Caller,
        req: &pb::AttachPaymentRequest,
    ) -> Result<InvoiceRow, AppError> {
        caller.require_internal()?;
        let id = super::parse_uuid("id", &req.id)?;
        if !PAYMENT_STATUSES.contains(&req.payment_status.as_str()) {
            return Err(AppError::invalid(
                "payment_status",
                format!("must be one of {}", PAYMENT_STATUSES.join(", ")),
            ));
        }
        let method = match req.payment_method.as_str() {
            "" => None,
            m @ ("ACH" | "WIRE" | "CHECK") => Some(m),
            _ => {
                return Err(AppError::invalid(
                    "payment_method",
                    "must be ACH, WIRE or CHECK",
                ));
            }
        };
        let date = opt_date("payment_date", &req.payment_date)?;
        let reference = Some(req.payment_reference.as_str()).filter(|r| !r.is_empty());
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let before = store::find_invoice(conn, id, true).await?.ok_or(AppError::NotFound("invoice"))?;
            let row = store::set_payment(conn, id, PaymentFields { status: &req.payment_status, date, method, reference }).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(caller.actor(), "invoice_payment_updated", "invoice", Some(id.to_string()))
                    .before(json!({"payment_status": before.payment_status}))
                    .after(json!({"payment_status": req.payment_status, "payment_date": date.map(|d| d.to_string()),
                                  "payment_method": method, "payment_reference": reference})),
            )
            .await?;
            Ok(row)
        })
        .await
    }
}
