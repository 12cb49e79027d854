//! `/api/v1/invoices*`: upload (streamed through to the invoice service), list, detail,
//! original document, audit timeline, corrections, cancellation.

use crate::routes::created::created;
use std::collections::BTreeMap;

use crate::extract::Json;
use crate::extract::{Path, Query};
use ap_proto::common::v1::PageRequest;
use ap_proto::invoice::v1 as pb;
use ap_types::Role;
use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::Page;
use super::input::{opt, path_id};
use super::vendors::{READ, check_limit};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Authed;
use crate::state::AppState;

pub const UPLOAD: &[Role] = &[Role::ApClerk, Role::ApAnalyst, Role::Admin];
pub const CORRECT: &[Role] = &[Role::ApAnalyst, Role::Admin];

/// Bytes per upload message to the invoice service.
const UPLOAD_CHUNK: usize = 256 * 1024;

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldMetaOut {
    pub source: String,
    /// How sure extraction is of the value: a fraction from 0 to 1 (a JSON number), the one
    /// exception to percentages in percent.
    #[schema(minimum = 0, maximum = 1)]
    pub confidence: f64,
}

/// A vendor: `{id, name}` (docs/architecture.md, "API conventions").
pub type VendorRefOut = super::conventions::VendorRef;

/// What paid an invoice (null until it is paid).
#[derive(Serialize, utoipa::ToSchema)]
pub struct InvoicePaymentOut {
    /// The payment (GET /payments/{id}); null for invoices paid before it was recorded here.
    #[schema(format = Uuid)]
    pub payment_id: Option<String>,
    /// What was paid, a decimal string at the currency's scale.
    pub amount_paid: Option<String>,
    /// The early-payment discount taken ("0.00" when none).
    pub discount_taken: Option<String>,
    pub currency: Option<String>,
    #[schema(format = Date)]
    pub paid_on: Option<String>,
    #[schema(value_type = Option<crate::openapi::PaymentMethod>)]
    pub method: Option<String>,
    pub reference: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InvoiceLineOut {
    pub line_number: i32,
    pub description: Option<String>,
    pub quantity: Option<String>,
    pub unit: Option<String>,
    pub unit_price: Option<String>,
    pub line_total: Option<String>,
    /// The line's tax rate in percent (`"19"` = 19 %).
    pub tax_pct: Option<String>,
    /// Deprecated: the same percentage as `tax_pct`.
    #[schema(deprecated)]
    pub tax_rate: Option<String>,
    pub po_line_number: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// The invoice detail of API.md; list items carry the same scalar fields.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "3f1e2d4c-5b6a-4798-8a1b-2c3d4e5f6a7b", "status": "pending_approval",
    "invoice_number": "ACME-1002", "invoice_date": "2026-12-07", "due_date": "2027-01-06",
    "currency": "USD", "subtotal": "7400.00", "tax_amount": "0.00", "total_amount": "7400.00",
    "amount_due": "7400.00", "po_number": "PO-2026-0042", "payment_terms": "2/10 net 30",
    "vendor": {"id": "5b0c6a8e-2f4d-4e41-9d7a-0c3e1f2a4b6d", "name": "Acme Steel Inc."},
    "vendor_name_raw": "Acme Steel Inc.",
    "fields": {"invoice_number": {"source": "xml", "confidence": 1.0}, "total_amount": {"source": "xml", "confidence": 1.0}},
    "lines": [{"line_number": 1, "description": "Steel plate 10 mm", "quantity": "100", "unit": "EA",
               "unit_price": "74.00", "line_total": "7400.00", "tax_pct": "0", "tax_rate": "0", "po_line_number": "1"}],
    "match": null, "exceptions": [], "touchless": false,
    "approval_tasks": [{"id": "8c9d0e1f-2a3b-4c5d-9e6f-7a8b9c0d1e2f", "level": 1, "status": "pending",
                        "due_at": "2026-12-09T09:00:00.000000Z",
                        "assignee": {"id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "email": "approver@example.com"},
                        "decided_by": null, "decided_at": null, "channel": null}],
    "payment_status": null, "payment_date": null, "payment_method": null, "payment_reference": null,
    "source": "upload",
    "document": {"id": "6e7f8a9b-0c1d-4e2f-8a3b-4c5d6e7f8a9b", "filename": "ACME-1002.xml",
                 "content_type": "application/xml", "size_bytes": 20750,
                 "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
    "failure_reason": null, "version": 4,
    "created_at": "2026-12-07T09:12:03.123456Z", "updated_at": "2026-12-07T09:12:05.654321Z"
}))]
pub struct InvoiceOut {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(value_type = crate::openapi::InvoiceStatus)]
    pub status: String,
    pub invoice_number: Option<String>,
    #[schema(format = Date)]
    pub invoice_date: Option<String>,
    #[schema(format = Date)]
    pub due_date: Option<String>,
    pub currency: Option<String>,
    pub subtotal: Option<String>,
    pub tax_amount: Option<String>,
    pub total_amount: Option<String>,
    pub amount_due: Option<String>,
    pub po_number: Option<String>,
    pub payment_terms: Option<String>,
    pub vendor: Option<VendorRefOut>,
    pub vendor_name_raw: Option<String>,
    pub fields: BTreeMap<String, FieldMetaOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<InvoiceLineOut>>,
    /// The latest match result (null before the first run); detail only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#match: Option<Option<super::matching::MatchOut>>,
    /// Every exception of the invoice, closed ones included; detail only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exceptions: Option<Vec<super::exceptions::ExceptionOut>>,
    /// Approved by the rule engine without a person.
    pub touchless: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The approval levels (detail only; empty before approval is requested).
    pub approval_tasks: Option<Vec<super::approvals::InvoiceTaskOut>>,
    #[schema(value_type = Option<crate::openapi::InvoicePaymentStatus>)]
    pub payment_status: Option<String>,
    #[schema(format = Date)]
    pub payment_date: Option<String>,
    #[schema(value_type = Option<crate::openapi::PaymentMethod>)]
    pub payment_method: Option<String>,
    pub payment_reference: Option<String>,
    /// What paid the invoice: amount paid, discount taken, date, method, reference (null
    /// until paid). `payment_date`, `payment_method` and `payment_reference` repeat it.
    pub payment: Option<InvoicePaymentOut>,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<DocumentOut>,
    pub failure_reason: Option<String>,
    /// Vendor messages no staff member has read yet (list items only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread_messages: Option<i32>,
    /// The latest match run's risk score, 0–100 (list items only; absent before the first
    /// match run). The detail's is in `GET /invoices/{id}/match`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_score: Option<i32>,
    pub version: i32,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl InvoiceOut {
    fn list_item(i: pb::Invoice) -> Self {
        Self::build(i, false)
    }

    pub fn detail(i: pb::Invoice) -> Self {
        Self::build(i, true)
    }

    fn build(i: pb::Invoice, detail: bool) -> Self {
        let payment = (i.status == "paid" || !i.payment_id.is_empty()).then(|| InvoicePaymentOut {
            payment_id: opt(i.payment_id.clone()),
            amount_paid: opt(i.amount_paid.clone()),
            discount_taken: opt(i.discount_taken.clone()),
            currency: opt(i.currency.clone()),
            paid_on: opt(i.payment_date.clone()),
            method: opt(i.payment_method.clone()),
            reference: opt(i.payment_reference.clone()),
        });
        Self {
            id: i.id,
            status: i.status,
            invoice_number: opt(i.invoice_number),
            invoice_date: opt(i.invoice_date),
            due_date: opt(i.due_date),
            currency: opt(i.currency),
            subtotal: opt(i.subtotal),
            tax_amount: opt(i.tax_amount),
            total_amount: opt(i.total_amount),
            amount_due: opt(i.amount_due),
            po_number: opt(i.po_number),
            payment_terms: opt(i.payment_terms),
            vendor: i.vendor.map(|v| VendorRefOut {
                id: v.id,
                name: v.name,
            }),
            vendor_name_raw: opt(i.vendor_name_raw),
            fields: i
                .fields
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        FieldMetaOut {
                            source: v.source,
                            confidence: v.confidence,
                        },
                    )
                })
                .collect(),
            lines: detail.then(|| {
                i.lines
                    .into_iter()
                    .map(|l| InvoiceLineOut {
                        line_number: l.line_number,
                        description: opt(l.description),
                        quantity: opt(l.quantity),
                        unit: opt(l.unit),
                        unit_price: opt(l.unit_price),
                        line_total: opt(l.line_total),
                        tax_pct: opt(l.tax_rate.clone()),
                        tax_rate: opt(l.tax_rate),
                        po_line_number: opt(l.po_line_number),
                    })
                    .collect()
            }),
            // The detail shows `"match": null` until matching fills it; list items omit it.
            r#match: detail.then(|| i.r#match.map(Into::into)),
            exceptions: detail.then(|| i.exceptions.into_iter().map(Into::into).collect()),
            touchless: i.touchless,
            approval_tasks: detail.then(Vec::new),
            payment_status: opt(i.payment_status),
            payment_date: opt(i.payment_date),
            payment_method: opt(i.payment_method),
            payment_reference: opt(i.payment_reference),
            payment,
            source: i.source,
            document: i.document.map(|d| DocumentOut {
                id: d.id,
                filename: d.filename,
                content_type: d.content_type,
                size_bytes: d.size_bytes,
                sha256: d.sha256,
            }),
            failure_reason: opt(i.failure_reason),
            unread_messages: (!detail).then_some(i.unread_messages),
            risk_score: if detail { None } else { i.risk_score },
            version: i.version,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// The `multipart/form-data` body of an invoice upload (documentation only: the handler
/// streams the parts).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The document: PDF, PNG, JPEG, TIFF or UBL/CII XML, at most 20 MiB.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    pub file: Vec<u8>,
}

/// Multipart with a `file` field. The bytes stream on to the invoice service as they arrive;
/// past the size limit the upload is abandoned (nothing is stored) and the answer is 413.
#[utoipa::path(post, path = "/api/v1/invoices/upload", operation_id = "uploadInvoice",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "ADMIN"]))), tag = "invoices",
    request_body(content = crate::routes::invoices::UploadForm, content_type = "multipart/form-data", description = "field `file`: PDF, PNG, JPEG, TIFF or UBL/CII XML, at most 20 MiB"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body.")),
    responses((status = 201, body = InvoiceOut, headers(("Location" = String, description = "`/api/v1/invoices/{id}`"))), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    authed: Authed,
    multipart: Multipart,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(UPLOAD)?;
    let invoice = stream_upload(&state, &authed.forward, multipart, "upload").await?;
    let invoice = InvoiceOut::detail(invoice);
    Ok(created(format!("/api/v1/invoices/{}", invoice.id), invoice))
}

/// Streams the multipart `file` field to the invoice service as the caller in `forward`
/// (staff or, with a vendor token, a vendor: the service then takes vendor and source from
/// the token). Other fields are ignored.
pub(crate) async fn stream_upload(
    state: &AppState,
    forward: &crate::extract::Forward,
    mut multipart: Multipart,
    source: &str,
) -> Result<pb::Invoice, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "The file is larger than the {} MiB limit.",
                state.upload_max_bytes / (1024 * 1024)
            ),
        )
    };
    let multipart_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::bad_request("The multipart body could not be read.")
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let meta = pb::UploadMeta {
            filename: field.file_name().unwrap_or("").to_owned(),
            declared_content_type: field.content_type().unwrap_or("").to_owned(),
            source: source.to_owned(),
            vendor_id: String::new(),
        };
        let (tx, rx) = tokio::sync::mpsc::channel::<pb::UploadChunk>(4);
        let chunk = |part| pb::UploadChunk { part: Some(part) };
        let _ = tx.send(chunk(pb::upload_chunk::Part::Meta(meta))).await;
        let mut client = state.invoice.clone();
        let request = forward.request(tokio_stream::wrappers::ReceiverStream::new(rx));
        // Spawned so the body can stream while the RPC runs; the request id and span go along.
        let call =
            ap_kit::request_id::spawn_in_request(
                async move { client.upload_invoice(request).await },
            );
        let mut size: u64 = 0;
        let mut refused = None;
        loop {
            match field.chunk().await {
                Ok(Some(bytes)) => {
                    size += bytes.len() as u64;
                    if size > state.upload_max_bytes {
                        refused = Some(too_large());
                        break;
                    }
                    let mut sent = true;
                    for piece in bytes.chunks(UPLOAD_CHUNK) {
                        sent &= tx
                            .send(chunk(pb::upload_chunk::Part::Data(piece.to_vec())))
                            .await
                            .is_ok();
                    }
                    if !sent {
                        break; // the service already answered; its status is the answer
                    }
                }
                Ok(None) => {
                    let _ = tx.send(chunk(pb::upload_chunk::Part::Finish(true))).await;
                    break;
                }
                Err(e) => {
                    refused = Some(multipart_error(e));
                    break;
                }
            }
        }
        // Without `finish` the service discards what it received; wait until it has.
        drop(tx);
        let answer = call.await.map_err(|_| ApiError::internal())?;
        if let Some(err) = refused {
            return Err(err);
        }
        return Ok(answer?.into_inner());
    }
    Err(ApiError::field(
        "file",
        "a multipart field named file is required",
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct InvoiceQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// One or more statuses: repeat the parameter (`status=a&status=b`) or separate them with
    /// commas (`status=a,b`).
    #[param(value_type = Option<Vec<crate::openapi::InvoiceStatus>>, style = Form, explode)]
    pub status: Option<String>,
    #[param(value_type = Option<crate::openapi::InvoicePaymentStatus>)]
    pub payment_status: Option<String>,
    #[param(format = Uuid)]
    pub vendor_id: Option<String>,
    pub po_number: Option<String>,
    #[param(format = Date)]
    pub due_before: Option<String>,
    /// Searches invoice number and vendor name.
    pub q: Option<String>,
    #[param(format = Date)]
    pub invoice_date_from: Option<String>,
    #[param(format = Date)]
    pub invoice_date_to: Option<String>,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    /// The order: `created_at`, `due_date` or `amount` (the payable amount: the amount due,
    /// else the total), ascending; a leading `-` reverses it. Default `-created_at` (newest
    /// first). Ties are broken by id in the same direction; invoices without a due date or
    /// amount come last either way. A cursor belongs to the order it was returned for.
    #[param(value_type = Option<InvoiceSortParam>)]
    pub sort: Option<String>,
}

/// The orders `GET /invoices` accepts.
#[derive(Serialize, utoipa::ToSchema)]
pub enum InvoiceSortParam {
    #[serde(rename = "created_at")]
    CreatedAt,
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    #[serde(rename = "due_date")]
    DueDate,
    #[serde(rename = "-due_date")]
    DueDateDesc,
    #[serde(rename = "amount")]
    Amount,
    #[serde(rename = "-amount")]
    AmountDesc,
}

/// Keyset-paginated, newest first unless `sort` says otherwise; stable while invoices keep
/// arriving.
#[utoipa::path(get, path = "/api/v1/invoices", operation_id = "listInvoices",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))), tag = "invoices", params(InvoiceQuery),
    responses((status = 200, body = Page<InvoiceOut>, example = json!({
        "items": [{
            "id": "3f1e2d4c-5b6a-4798-8a1b-2c3d4e5f6a7b", "status": "pending_approval",
            "invoice_number": "ACME-1002", "invoice_date": "2026-12-07", "due_date": "2027-01-06",
            "currency": "USD", "subtotal": "7400.00", "tax_amount": "0.00", "total_amount": "7400.00",
            "amount_due": "7400.00", "po_number": "PO-2026-0042", "payment_terms": "2/10 net 30",
            "vendor": {"id": "5b0c6a8e-2f4d-4e41-9d7a-0c3e1f2a4b6d", "name": "Acme Steel Inc."},
            "vendor_name_raw": "Acme Steel Inc.",
            "fields": {"total_amount": {"source": "xml", "confidence": 1.0}},
            "touchless": false, "payment_status": null, "payment_date": null, "payment_method": null,
            "payment_reference": null, "payment": null, "source": "upload", "failure_reason": null,
            "unread_messages": 0, "version": 4,
            "created_at": "2026-12-07T09:12:03.123456Z", "updated_at": "2026-12-07T09:12:05.654321Z"
        }],
        "next_cursor": "eyJrIjpbIjIwMjYtMTItMDdUMDk6MTI6MDMuMTIzNDU2WiIsIjNmMWUyZDRjIl19"
    })), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    authed: Authed,
    Query(q): Query<InvoiceQuery>,
) -> Result<Json<Page<InvoiceOut>>, ApiError> {
    authed.require(READ)?;
    let limit = check_limit(q.limit)?;
    let resp = state
        .invoice
        .clone()
        .list_invoices(authed.forward.request(pb::ListInvoicesRequest {
            page: Some(PageRequest {
                limit,
                cursor: q.cursor.unwrap_or_default(),
            }),
            status: q.status.unwrap_or_default(),
            payment_status: q.payment_status.unwrap_or_default(),
            vendor_id: q.vendor_id.unwrap_or_default(),
            po_number: q.po_number.unwrap_or_default(),
            due_before: q.due_before.unwrap_or_default(),
            q: q.q.unwrap_or_default(),
            invoice_date_from: q.invoice_date_from.unwrap_or_default(),
            invoice_date_to: q.invoice_date_to.unwrap_or_default(),
            created_from: q.created_from.unwrap_or_default(),
            created_to: q.created_to.unwrap_or_default(),
            sort: q.sort.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    Ok(Json(Page {
        items: resp.items.into_iter().map(InvoiceOut::list_item).collect(),
        next_cursor: opt(resp.next_cursor),
    }))
}

#[utoipa::path(get, path = "/api/v1/invoices/{id}", operation_id = "getInvoice",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "invoices",
    responses((status = 200, body = InvoiceOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<InvoiceOut>, ApiError> {
    authed.require(READ)?;
    let id = path_id(&id, "Invoice")?;
    // The approval service's tasks are fetched alongside, not after: the detail costs one
    // round trip, not two.
    let mut client = state.invoice.clone();
    let (invoice, tasks) = tokio::join!(
        client.get_invoice(authed.forward.request(pb::IdRequest { id: id.clone() })),
        super::approvals::invoice_tasks(&state, &authed, &id),
    );
    let mut out = InvoiceOut::detail(invoice?.into_inner());
    out.approval_tasks = Some(tasks);
    name_people(&state, &authed, &mut out).await;
    Ok(Json(out))
}

/// Names the people of a detail (exception assignees and resolvers, approval assignees and
/// deciders) with one directory call.
async fn name_people(state: &AppState, authed: &Authed, out: &mut InvoiceOut) {
    let mut ids: Vec<String> = Vec::new();
    for e in out.exceptions.iter().flatten() {
        ids.extend(e.assigned_to.iter().chain(e.resolved_by.iter()).cloned());
    }
    for t in out.approval_tasks.iter().flatten() {
        ids.extend(
            t.assignee
                .iter()
                .chain(t.decided_by.iter())
                .map(|u| u.id.clone()),
        );
    }
    let people = super::conventions::People::lookup(
        state,
        &authed.forward,
        ids.iter().map(String::as_str),
        [],
    )
    .await;
    for e in out.exceptions.iter_mut().flatten() {
        e.assignee = e.assigned_to.as_deref().and_then(|i| people.by_id(i));
        e.resolver = e.resolved_by.as_deref().and_then(|i| people.by_id(i));
    }
    for t in out.approval_tasks.iter_mut().flatten() {
        for u in [&mut t.assignee, &mut t.decided_by].into_iter().flatten() {
            if let Some(found) = people.by_id(&u.id).filter(|p| p.email.is_some()) {
                *u = found;
            }
        }
    }
}

/// The original file, streamed with its content type.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/document", operation_id = "getInvoiceDocument",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "invoices",
    responses((status = 200, description = "the original bytes"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn document(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    authed.require(READ)?;
    let id = path_id(&id, "Invoice")?;
    let mut stream = state
        .invoice
        .clone()
        .get_document(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    let first = stream.message().await?.ok_or_else(ApiError::internal)?;
    let content_type = first.content_type.clone();
    let filename: String = first
        .filename
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    let size = first.size_bytes;
    let head = futures::stream::once(async move { Ok::<_, tonic::Status>(first.data) });
    let rest = stream.map(|r| r.map(|c| c.data));
    let body = Body::from_stream(head.chain(rest).map(|r| r.map(axum::body::Bytes::from)));
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&size.to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditEntryOut {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = DateTime)]
    pub occurred_at: String,
    pub service: String,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    #[schema(format = Uuid)]
    pub entity_id: Option<String>,
    /// The entity's relevant fields before the action, as the service recorded them: a JSON
    /// object whose keys depend on `entity_type` and `action` (free-form by design). Null when
    /// the action created the entity.
    #[schema(value_type = Option<std::collections::BTreeMap<String, serde_json::Value>>)]
    pub before: Option<serde_json::Value>,
    /// The entity's relevant fields after the action: a JSON object whose keys depend on
    /// `entity_type` and `action` (free-form by design). Null when nothing was recorded.
    #[schema(value_type = Option<std::collections::BTreeMap<String, serde_json::Value>>)]
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditOut {
    pub items: Vec<AuditEntryOut>,
    /// Pass back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// One service's `AuditEntry` (every service's contract has the same fields) as the timeline
/// shows it.
macro_rules! audit_entry_out {
    ($e:expr) => {{
        let e = $e;
        let json = |s: String| -> Option<serde_json::Value> {
            if s.is_empty() {
                None
            } else {
                serde_json::from_str(&s).ok()
            }
        };
        $crate::routes::invoices::AuditEntryOut {
            id: e.id,
            occurred_at: e.occurred_at,
            service: e.service,
            actor: e.actor,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: $crate::routes::input::opt(e.entity_id),
            before: json(e.before_json).map($crate::routes::conventions::instants_normalized),
            after: json(e.after_json).map($crate::routes::conventions::instants_normalized),
            request_id: $crate::routes::input::opt(e.request_id),
        }
    }};
}
pub(crate) use audit_entry_out;

/// Where an audit entry sits in the merged timeline: `(occurred_at, id)`.
fn audit_key(e: &AuditEntryOut) -> (chrono::DateTime<chrono::Utc>, uuid::Uuid) {
    (
        chrono::DateTime::parse_from_rfc3339(&e.occurred_at)
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default(),
        e.id.parse().unwrap_or_default(),
    )
}

/// The invoice's audit timeline from every service, oldest first (`occurred_at`, then id), a
/// keyset page at a time.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/audit", operation_id = "listInvoiceAudit",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID)."), crate::routes::PageQuery), tag = "invoices",
    responses((status = 200, body = AuditOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn audit(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Query(page): Query<crate::routes::PageQuery>,
) -> Result<Json<AuditOut>, ApiError> {
    authed.require(READ)?;
    let id = path_id(&id, "Invoice")?;
    let page = page.request()?;
    // Each service returns its next `limit` rows after the same cursor, in the same order;
    // the first `limit` of their merge are this page, and its last row is the next cursor.
    // The payment and approval parts degrade to nothing (logged) when those services are away.
    let mut client = state.invoice.clone();
    let (own, payments, approvals) = tokio::join!(
        client.get_invoice_audit(authed.forward.request(pb::AuditPageRequest {
            id: id.clone(),
            limit: page.limit,
            cursor: page.cursor.clone(),
        })),
        super::payments::invoice_audit_entries(&state, &authed, &id, &page),
        super::approvals::invoice_audit_entries(&state, &authed, &id, &page),
    );
    let own = own?.into_inner();
    let mut more = !own.next_cursor.is_empty() || payments.1 || approvals.1;
    let mut items: Vec<AuditEntryOut> =
        own.items.into_iter().map(|e| audit_entry_out!(e)).collect();
    items.extend(payments.0);
    items.extend(approvals.0);
    items.sort_by_key(audit_key);
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    if items.len() > limit {
        items.truncate(limit);
        more = true;
    }
    let next_cursor = if more {
        items.last().map(|e| {
            let (t, id) = audit_key(e);
            ap_types::cursor::encode_time_id(ap_kit::audit::TIMELINE_ORDER, t, id)
        })
    } else {
        None
    };
    Ok(Json(AuditOut { items, next_cursor }))
}

/// Only present fields change; an empty string clears a field.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoicePatch {
    pub invoice_number: Option<String>,
    #[schema(format = Date)]
    pub invoice_date: Option<String>,
    #[schema(format = Date)]
    pub due_date: Option<String>,
    pub currency: Option<String>,
    pub subtotal: Option<super::input::DecimalText>,
    pub tax_amount: Option<super::input::DecimalText>,
    pub total_amount: Option<super::input::DecimalText>,
    pub amount_due: Option<super::input::DecimalText>,
    pub po_number: Option<String>,
    pub payment_terms: Option<String>,
    #[schema(format = Uuid)]
    pub vendor_id: Option<String>,
    /// When given, the correction applies only to this version (409 otherwise).
    pub version: Option<i32>,
}

#[utoipa::path(patch, path = "/api/v1/invoices/{id}", operation_id = "correctInvoice",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "invoices", request_body = InvoicePatch,
    responses((status = 200, body = InvoiceOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Json(b): Json<InvoicePatch>,
) -> Result<Json<InvoiceOut>, ApiError> {
    authed.require(CORRECT)?;
    let id = path_id(&id, "Invoice")?;
    let i = state
        .invoice
        .clone()
        .update_invoice(authed.forward.request(pb::UpdateInvoiceRequest {
            id,
            invoice_number: b.invoice_number,
            invoice_date: b.invoice_date,
            due_date: b.due_date,
            currency: b.currency,
            subtotal: b.subtotal.map(|d| d.0),
            tax_amount: b.tax_amount.map(|d| d.0),
            total_amount: b.total_amount.map(|d| d.0),
            amount_due: b.amount_due.map(|d| d.0),
            po_number: b.po_number,
            payment_terms: b.payment_terms,
            vendor_id: b.vendor_id,
            expected_version: b.version,
        }))
        .await?
        .into_inner();
    Ok(Json(InvoiceOut::detail(i)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelIn {
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/invoices/{id}/cancel", operation_id = "cancelInvoice",
    extensions(("x-roles" = json!(["ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "invoices", request_body = CancelIn,
    responses((status = 200, body = InvoiceOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "the invoice is being paid in a payment run")),
    security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Json(b): Json<CancelIn>,
) -> Result<Json<InvoiceOut>, ApiError> {
    authed.require(&[Role::Admin])?;
    let id = path_id(&id, "Invoice")?;
    let i = state
        .invoice
        .clone()
        .cancel_invoice(authed.forward.request(pb::CancelInvoiceRequest {
            id,
            reason: b.reason,
        }))
        .await?
        .into_inner();
    Ok(Json(InvoiceOut::detail(i)))
}

/// Queue extraction again; refused (400) once the invoice is approved, paid, rejected or cancelled.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/extract", operation_id = "extractInvoice",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "invoices",
    responses((status = 202, body = InvoiceOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn extract(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(CORRECT)?;
    let id = path_id(&id, "Invoice")?;
    let i = state
        .invoice
        .clone()
        .request_extraction(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok((StatusCode::ACCEPTED, Json(InvoiceOut::detail(i))))
}

pub const MESSAGE: &[Role] = &[Role::ApAnalyst, Role::Admin];

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageOut {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub invoice_id: String,
    /// `inbound` (from the vendor) or `outbound` (from staff).
    pub direction: String,
    /// Internal notes are never shown to the vendor.
    pub internal: bool,
    pub body: String,
    /// The staff author's email, or `vendor` for the vendor's messages (`accounts payable`
    /// on the portal).
    pub author: String,
    /// The staff member who wrote it (staff views only; absent for the vendor's messages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written_by: Option<super::conventions::UserRef>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_at: Option<String>,
}

/// Names the staff authors of `items` (one directory call).
async fn named_messages(
    state: &AppState,
    forward: &crate::extract::Forward,
    mut items: Vec<MessageOut>,
) -> Vec<MessageOut> {
    let staff = |m: &MessageOut| m.direction == "outbound" && m.author.contains('@');
    let people = super::conventions::People::lookup(
        state,
        forward,
        [],
        items.iter().filter(|m| staff(m)).map(|m| m.author.as_str()),
    )
    .await;
    for m in &mut items {
        if staff(m) {
            m.written_by = people.by_id_or_email("", &m.author);
        }
    }
    items
}

impl From<pb::InvoiceMessage> for MessageOut {
    fn from(m: pb::InvoiceMessage) -> Self {
        Self {
            id: m.id,
            invoice_id: m.invoice_id,
            direction: m.direction,
            internal: m.internal,
            body: m.body,
            author: m.author,
            written_by: None,
            created_at: m.created_at,
            read_at: opt(m.read_at),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessagesOut {
    pub items: Vec<MessageOut>,
    /// Pass back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageIn {
    pub body: String,
    /// An internal note for staff only (default false: the vendor sees it and is mailed).
    #[serde(default)]
    pub internal: bool,
}

/// The invoice's conversation with its vendor, oldest first (`created_at`, then id), internal
/// notes included, a keyset page at a time. Opening it marks the vendor's messages read (the
/// list's `unread_messages`).
#[utoipa::path(get, path = "/api/v1/invoices/{id}/messages", operation_id = "listInvoiceMessages",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID)."), crate::routes::PageQuery), tag = "invoices",
    responses((status = 200, body = MessagesOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn messages(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Query(page): Query<crate::routes::PageQuery>,
) -> Result<Json<MessagesOut>, ApiError> {
    authed.require(READ)?;
    let id = path_id(&id, "Invoice")?;
    let page = page.request()?;
    let resp = state
        .invoice
        .clone()
        .list_invoice_messages(authed.forward.request(pb::ListByIdRequest {
            id,
            page: Some(page),
        }))
        .await?
        .into_inner();
    Ok(Json(MessagesOut {
        items: named_messages(
            &state,
            &authed.forward,
            resp.items.into_iter().map(Into::into).collect(),
        )
        .await,
        next_cursor: opt(resp.next_cursor),
    }))
}

/// A message to the vendor (mailed to the vendor's address when mail is enabled) or, with
/// `internal: true`, a note for staff only.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/messages", operation_id = "postInvoiceMessage",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body."), ("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "invoices", request_body = MessageIn,
    responses((status = 201, body = MessageOut, headers(("Location" = String, description = "`/api/v1/invoices/{id}/messages`: the thread the message joined"))), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn post_message(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Json(b): Json<MessageIn>,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(MESSAGE)?;
    let id = path_id(&id, "Invoice")?;
    let location = format!("/api/v1/invoices/{id}/messages");
    let m = state
        .invoice
        .clone()
        .post_invoice_message(authed.forward.request(pb::PostInvoiceMessageRequest {
            invoice_id: id,
            body: b.body,
            internal: b.internal,
        }))
        .await?
        .into_inner();
    let m = named_messages(&state, &authed.forward, vec![m.into()])
        .await
        .remove(0);
    Ok(created(location, m))
}
