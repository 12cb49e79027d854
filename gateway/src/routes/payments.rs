//! Payments and payment runs: `POST /invoices/{id}/payment`, `/payments*`, `/payment-runs*`
//! over the payment service. `Idempotency-Key` is forwarded as gRPC metadata; the service
//! stores and replays the first response.

use crate::extract::Json;
use crate::extract::{Path, Query};
use ap_proto::common::v1::PageRequest;
use ap_proto::payment::v1 as pb;
use ap_types::Role;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::Page;
use super::input::{opt, path_id};
use super::invoices::AuditEntryOut;
use super::vendors::check_limit;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Authed;
use crate::state::AppState;

pub const ADMIN: &[Role] = &[Role::Admin];
pub const READ: &[Role] = &[Role::Admin, Role::Auditor];

const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Wraps `msg` for the payment service with the caller's context and `Idempotency-Key`.
fn request<T>(authed: &Authed, headers: &HeaderMap, msg: T) -> Result<tonic::Request<T>, ApiError> {
    let mut req = authed.forward.request(msg);
    if let Some(key) = headers.get(IDEMPOTENCY_KEY) {
        let key = key
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 255)
            .ok_or_else(|| {
                ApiError::field(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters",
                )
            })?;
        let value = key.parse().map_err(|_| {
            ApiError::field(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )
        })?;
        req.metadata_mut().insert(IDEMPOTENCY_KEY, value);
    }
    Ok(req)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentIn {
    /// `ACH`, `WIRE` or `CHECK`.
    #[schema(value_type = crate::openapi::PaymentMethod)]
    pub payment_method: String,
    pub payment_reference: Option<String>,
    /// `YYYY-MM-DD`; today when absent.
    #[schema(format = Date)]
    pub payment_date: Option<String>,
}

/// The answer to recording a payment.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PaymentRecordedOut {
    #[schema(format = Uuid)]
    pub invoice_id: String,
    /// `completed`.
    #[schema(value_type = crate::openapi::PaymentStatus)]
    pub payment_status: String,
    #[schema(format = Date)]
    pub payment_date: String,
    #[schema(value_type = crate::openapi::PaymentMethod)]
    pub payment_method: String,
    pub payment_reference: Option<String>,
    #[schema(format = Uuid)]
    pub payment_id: String,
    pub amount: String,
    pub currency: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PaymentOut {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    #[schema(format = Uuid)]
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    /// `pending`, `completed` or `failed`.
    #[schema(value_type = crate::openapi::PaymentStatus)]
    pub status: String,
    #[schema(value_type = crate::openapi::PaymentMethod)]
    pub payment_method: String,
    #[schema(format = Date)]
    pub payment_date: String,
    pub payment_reference: Option<String>,
    pub amount: String,
    pub discount_amount: String,
    pub currency: String,
    #[schema(format = Uuid)]
    pub run_id: Option<String>,
    pub created_by: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    pub failure_reason: Option<String>,
}

impl From<pb::Payment> for PaymentOut {
    fn from(p: pb::Payment) -> Self {
        Self {
            id: p.id,
            invoice_id: p.invoice_id,
            invoice_number: opt(p.invoice_number),
            vendor_id: opt(p.vendor_id),
            vendor_name: opt(p.vendor_name),
            status: p.status,
            payment_method: p.payment_method,
            payment_date: p.payment_date,
            payment_reference: opt(p.payment_reference),
            amount: p.amount,
            discount_amount: p.discount_amount,
            currency: p.currency,
            run_id: opt(p.run_id),
            created_by: p.created_by,
            created_at: p.created_at,
            completed_at: opt(p.completed_at),
            failure_reason: opt(p.failure_reason),
        }
    }
}

/// Pays one approved invoice (ADMIN). 400 names the current status when the invoice is not
/// approved or has blocking exceptions; 409 when it is already paid.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/payment", operation_id = "recordPayment",
    extensions(("x-roles" = json!(["ADMIN"]))), tag = "payments", request_body = PaymentIn,
    params(("id" = uuid::Uuid, Path, description = "Invoice identifier (UUID)."), ("Idempotency-Key" = Option<String>, Header, description = "replays the first response")),
    responses((status = 200, body = PaymentRecordedOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn record(
    State(state): State<AppState>,
    authed: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(b): Json<PaymentIn>,
) -> Result<Json<PaymentRecordedOut>, ApiError> {
    authed.require(ADMIN)?;
    let invoice_id = path_id(&id, "Invoice")?;
    let p = state
        .payment
        .clone()
        .record_payment(request(
            &authed,
            &headers,
            pb::RecordPaymentRequest {
                invoice_id,
                payment_method: b.payment_method,
                payment_reference: b.payment_reference.unwrap_or_default(),
                payment_date: b.payment_date.unwrap_or_default(),
            },
        )?)
        .await?
        .into_inner();
    Ok(Json(PaymentRecordedOut {
        invoice_id: p.invoice_id,
        payment_status: p.status,
        payment_date: p.payment_date,
        payment_method: p.payment_method,
        payment_reference: opt(p.payment_reference),
        payment_id: p.id,
        amount: p.amount,
        currency: p.currency,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PaymentQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    #[param(value_type = Option<crate::openapi::PaymentStatus>)]
    pub status: Option<String>,
    #[param(format = Uuid)]
    pub invoice_id: Option<String>,
    #[param(format = Uuid)]
    pub run_id: Option<String>,
}

/// Payments, newest first (ADMIN, AUDITOR).
#[utoipa::path(get, path = "/api/v1/payments", operation_id = "listPayments",
    extensions(("x-roles" = json!(["ADMIN", "AUDITOR"]))), tag = "payments", params(PaymentQuery),
    responses((status = 200, body = Page<PaymentOut>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_payments(
    State(state): State<AppState>,
    authed: Authed,
    headers: HeaderMap,
    Query(q): Query<PaymentQuery>,
) -> Result<Json<Page<PaymentOut>>, ApiError> {
    authed.require(READ)?;
    let limit = check_limit(q.limit)?;
    let resp = state
        .payment
        .clone()
        .list_payments(request(
            &authed,
            &headers,
            pb::ListPaymentsRequest {
                page: Some(PageRequest {
                    limit,
                    cursor: q.cursor.unwrap_or_default(),
                }),
                status: q.status.unwrap_or_default(),
                invoice_id: q.invoice_id.unwrap_or_default(),
                run_id: q.run_id.unwrap_or_default(),
            },
        )?)
        .await?
        .into_inner();
    Ok(Json(Page {
        items: resp.items.into_iter().map(PaymentOut::from).collect(),
        next_cursor: opt(resp.next_cursor),
    }))
}

#[utoipa::path(get, path = "/api/v1/payments/{id}", operation_id = "getPayment",
    extensions(("x-roles" = json!(["ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "payments",
    responses((status = 200, body = PaymentOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_payment(
    State(state): State<AppState>,
    authed: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<PaymentOut>, ApiError> {
    authed.require(READ)?;
    let id = path_id(&id, "Payment")?;
    let p = state
        .payment
        .clone()
        .get_payment(request(&authed, &headers, pb::IdRequest { id })?)
        .await?
        .into_inner();
    Ok(Json(p.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunIn {
    /// Pays approved invoices due on or before this date (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub pay_by_date: String,
    /// ISO 4217, e.g. `USD`.
    pub currency: String,
    /// `ACH`, `WIRE` or `CHECK`.
    #[schema(value_type = crate::openapi::PaymentMethod)]
    pub method: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RunTotalsOut {
    pub invoice_count: i32,
    pub vendor_count: i32,
    pub gross: String,
    pub discount: String,
    pub net: String,
    pub excluded_count: i32,
    pub flagged_count: i32,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RunVendorOut {
    #[schema(format = Uuid)]
    pub vendor_id: String,
    pub vendor_name: String,
    pub invoice_count: i32,
    pub gross: String,
    pub discount: String,
    pub net: String,
    pub flags: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RunItemOut {
    #[schema(format = Uuid)]
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    #[schema(format = Uuid)]
    pub vendor_id: String,
    pub vendor_name: String,
    #[schema(format = Date)]
    pub invoice_date: Option<String>,
    #[schema(format = Date)]
    pub due_date: Option<String>,
    pub payment_terms: Option<String>,
    pub gross_amount: String,
    pub discount_amount: String,
    pub net_amount: String,
    pub discount_deadline: Option<String>,
    /// `due` or `discount` (taken now because the discount would expire before the next run).
    pub reason: String,
    /// `first_payment_to_changed_account` when the vendor's changed account was never paid.
    pub flags: Vec<String>,
    #[schema(format = Uuid)]
    pub payment_id: Option<String>,
    pub payment_status: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RunExclusionOut {
    #[schema(format = Uuid)]
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    #[schema(format = Uuid)]
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    pub amount: Option<String>,
    pub reason: String,
}

/// A payment run with its preview: totals, per-vendor lines, items and exclusions (the
/// detail; list items carry the header and totals only).
#[derive(Serialize, utoipa::ToSchema)]
pub struct RunOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub reference: String,
    /// `draft`, `approved`, `executed` or `cancelled`.
    #[schema(value_type = crate::openapi::PaymentRunStatus)]
    pub status: String,
    pub currency: String,
    #[schema(value_type = crate::openapi::PaymentMethod)]
    pub method: String,
    #[schema(format = Date)]
    pub pay_by_date: String,
    #[schema(format = Date)]
    pub payment_date: String,
    #[schema(format = Date)]
    pub next_run_date: String,
    /// `nacha`, `pain.001` or `check-register`.
    pub file_format: String,
    pub totals: Option<RunTotalsOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendors: Option<Vec<RunVendorOut>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<RunItemOut>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusions: Option<Vec<RunExclusionOut>>,
    pub created_by: String,
    pub approved_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub approved_at: Option<String>,
    #[schema(format = DateTime)]
    pub executed_at: Option<String>,
    #[schema(format = DateTime)]
    pub cancelled_at: Option<String>,
    pub cancel_reason: Option<String>,
    pub file_sha256: Option<String>,
}

impl RunOut {
    fn build(r: pb::PaymentRun, detail: bool) -> Self {
        Self {
            id: r.id,
            reference: r.reference,
            status: r.status,
            currency: r.currency,
            method: r.method,
            pay_by_date: r.pay_by_date,
            payment_date: r.payment_date,
            next_run_date: r.next_run_date,
            file_format: r.file_format,
            totals: r.totals.map(|t| RunTotalsOut {
                invoice_count: t.invoice_count,
                vendor_count: t.vendor_count,
                gross: t.gross,
                discount: t.discount,
                net: t.net,
                excluded_count: t.excluded_count,
                flagged_count: t.flagged_count,
            }),
            vendors: detail.then(|| {
                r.vendors
                    .into_iter()
                    .map(|v| RunVendorOut {
                        vendor_id: v.vendor_id,
                        vendor_name: v.vendor_name,
                        invoice_count: v.invoice_count,
                        gross: v.gross,
                        discount: v.discount,
                        net: v.net,
                        flags: v.flags,
                    })
                    .collect()
            }),
            items: detail.then(|| {
                r.items
                    .into_iter()
                    .map(|i| RunItemOut {
                        invoice_id: i.invoice_id,
                        invoice_number: opt(i.invoice_number),
                        vendor_id: i.vendor_id,
                        vendor_name: i.vendor_name,
                        invoice_date: opt(i.invoice_date),
                        due_date: opt(i.due_date),
                        payment_terms: opt(i.payment_terms),
                        gross_amount: i.gross_amount,
                        discount_amount: i.discount_amount,
                        net_amount: i.net_amount,
                        discount_deadline: opt(i.discount_deadline),
                        reason: i.reason,
                        flags: i.flags,
                        payment_id: opt(i.payment_id),
                        payment_status: opt(i.payment_status),
                    })
                    .collect()
            }),
            exclusions: detail.then(|| {
                r.exclusions
                    .into_iter()
                    .map(|e| RunExclusionOut {
                        invoice_id: e.invoice_id,
                        invoice_number: opt(e.invoice_number),
                        vendor_id: opt(e.vendor_id),
                        vendor_name: opt(e.vendor_name),
                        amount: opt(e.amount),
                        reason: e.reason,
                    })
                    .collect()
            }),
            created_by: r.created_by,
            approved_by: opt(r.approved_by),
            created_at: r.created_at,
            approved_at: opt(r.approved_at),
            executed_at: opt(r.executed_at),
            cancelled_at: opt(r.cancelled_at),
            cancel_reason: opt(r.cancel_reason),
            file_sha256: opt(r.file_sha256),
        }
    }
}

/// Creates a draft run and answers with its preview (ADMIN).
#[utoipa::path(post, path = "/api/v1/payment-runs", operation_id = "createPaymentRun",
    extensions(("x-roles" = json!(["ADMIN"]))), tag = "payments", request_body = RunIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response")),
    responses((status = 201, body = RunOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_run(
    State(state): State<AppState>,
    authed: Authed,
    headers: HeaderMap,
    Json(b): Json<RunIn>,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(ADMIN)?;
    let r = state
        .payment
        .clone()
        .create_run(request(
            &authed,
            &headers,
            pb::CreateRunRequest {
                pay_by_date: b.pay_by_date,
                currency: b.currency,
                method: b.method,
            },
        )?)
        .await?
        .into_inner();
    Ok((StatusCode::CREATED, Json(RunOut::build(r, true))))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RunQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    #[param(value_type = Option<crate::openapi::PaymentRunStatus>)]
    pub status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/payment-runs", operation_id = "listPaymentRuns",
    extensions(("x-roles" = json!(["ADMIN", "AUDITOR"]))), tag = "payments", params(RunQuery),
    responses((status = 200, body = Page<RunOut>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_runs(
    State(state): State<AppState>,
    authed: Authed,
    headers: HeaderMap,
    Query(q): Query<RunQuery>,
) -> Result<Json<Page<RunOut>>, ApiError> {
    authed.require(READ)?;
    let limit = check_limit(q.limit)?;
    let resp = state
        .payment
        .clone()
        .list_runs(request(
            &authed,
            &headers,
            pb::ListRunsRequest {
                page: Some(PageRequest {
                    limit,
                    cursor: q.cursor.unwrap_or_default(),
                }),
                status: q.status.unwrap_or_default(),
            },
        )?)
        .await?
        .into_inner();
    Ok(Json(Page {
        items: resp
            .items
            .into_iter()
            .map(|r| RunOut::build(r, false))
            .collect(),
        next_cursor: opt(resp.next_cursor),
    }))
}

#[utoipa::path(get, path = "/api/v1/payment-runs/{id}", operation_id = "getPaymentRun",
    extensions(("x-roles" = json!(["ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "payments",
    responses((status = 200, body = RunOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_run(
    State(state): State<AppState>,
    authed: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<RunOut>, ApiError> {
    authed.require(READ)?;
    let id = path_id(&id, "Payment run")?;
    let r = state
        .payment
        .clone()
        .get_run(request(&authed, &headers, pb::IdRequest { id })?)
        .await?
        .into_inner();
    Ok(Json(RunOut::build(r, true)))
}

/// Approves a draft run; refused (403) for the admin who created it.
#[utoipa::path(post, path = "/api/v1/payment-runs/{id}/approve", operation_id = "approvePaymentRun",
    extensions(("x-roles" = json!(["ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "payments",
    responses((status = 200, body = RunOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn approve_run(
    State(state): State<AppState>,
    authed: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<RunOut>, ApiError> {
    authed.require(ADMIN)?;
    let id = path_id(&id, "Payment run")?;
    let r = state
        .payment
        .clone()
        .approve_run(request(&authed, &headers, pb::IdRequest { id })?)
        .await?
        .into_inner();
    Ok(Json(RunOut::build(r, true)))
}

/// Executes an approved run: writes its bank file and marks its invoices paid.
#[utoipa::path(post, path = "/api/v1/payment-runs/{id}/execute", operation_id = "executePaymentRun",
    extensions(("x-roles" = json!(["ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "payments",
    responses((status = 200, body = RunOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn execute_run(
    State(state): State<AppState>,
    authed: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<RunOut>, ApiError> {
    authed.require(ADMIN)?;
    let id = path_id(&id, "Payment run")?;
    let r = state
        .payment
        .clone()
        .execute_run(request(&authed, &headers, pb::IdRequest { id })?)
        .await?
        .into_inner();
    Ok(Json(RunOut::build(r, true)))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRunIn {
    pub reason: Option<String>,
}

/// Cancels a draft or approved run and releases its invoices.
#[utoipa::path(post, path = "/api/v1/payment-runs/{id}/cancel", operation_id = "cancelPaymentRun",
    extensions(("x-roles" = json!(["ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "payments", request_body(content = Option<CancelRunIn>),
    responses((status = 200, body = RunOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cancel_run(
    State(state): State<AppState>,
    authed: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<CancelRunIn>>,
) -> Result<Json<RunOut>, ApiError> {
    authed.require(ADMIN)?;
    let id = path_id(&id, "Payment run")?;
    let reason = body.and_then(|Json(b)| b.reason).unwrap_or_default();
    let r = state
        .payment
        .clone()
        .cancel_run(request(
            &authed,
            &headers,
            pb::CancelRunRequest { id, reason },
        )?)
        .await?
        .into_inner();
    Ok(Json(RunOut::build(r, true)))
}

/// The run's bank file (NACHA, pain.001 XML or the CSV check register), once executed.
#[utoipa::path(get, path = "/api/v1/payment-runs/{id}/file", operation_id = "getPaymentRunFile",
    extensions(("x-roles" = json!(["ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "payments",
    responses((status = 200, description = "the file, with its content type"), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn run_file(
    State(state): State<AppState>,
    authed: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    authed.require(ADMIN)?;
    let id = path_id(&id, "Payment run")?;
    let f = state
        .payment
        .clone()
        .get_run_file(request(&authed, &headers, pb::IdRequest { id })?)
        .await?
        .into_inner();
    let filename: String = f
        .filename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let mut response = f.content.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&f.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&f.sha256) {
        h.insert("x-content-sha256", v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

/// The payment service's entries of an invoice's audit timeline (merged by the invoice
/// audit route). A payment service that does not answer leaves them out rather than failing
/// the whole timeline.
pub async fn invoice_audit_entries(
    state: &AppState,
    authed: &Authed,
    id: &str,
) -> Vec<AuditEntryOut> {
    match state
        .payment
        .clone()
        .get_invoice_payment_audit(authed.forward.request(pb::IdRequest { id: id.to_owned() }))
        .await
    {
        Ok(t) => t
            .into_inner()
            .items
            .into_iter()
            .map(|e| super::invoices::audit_entry_out!(e))
            .collect(),
        Err(e) => {
            tracing::warn!(grpc.code = ?e.code(), "payment audit entries unavailable");
            Vec::new()
        }
    }
}
