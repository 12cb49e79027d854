//! Payments and payment runs: `POST /invoices/{id}/payment`, `/payments*`, `/payment-runs*`
//! over the payment service. `Idempotency-Key` is forwarded as gRPC metadata; the service
//! stores and replays the first response.

use crate::extract::Json;
use crate::extract::{Path, Query};
use crate::routes::created::created;
use ap_proto::common::v1::PageRequest;
use ap_proto::payment::v1 as pb;
use ap_types::Role;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
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

/// Wraps `msg` for the payment service with the caller's context; the `Idempotency-Key`
/// travels with it (checked when the caller was extracted).
fn request<T>(
    authed: &Authed,
    _headers: &HeaderMap,
    msg: T,
) -> Result<tonic::Request<T>, ApiError> {
    Ok(authed.forward.request(msg))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"payment_method": "WIRE", "payment_reference": "WIRE-20261201-0042", "payment_date": "2026-12-01"}))]
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
#[schema(example = json!({"invoice_id": "3f1e2d4c-5b6a-4798-8a1b-2c3d4e5f6a7b", "payment_status": "completed", "payment_date": "2026-12-01", "payment_method": "WIRE", "payment_reference": "WIRE-20261201-0042", "payment_id": "c4d5e6f7-0a1b-4c2d-9e3f-4a5b6c7d8e9f", "amount": "1320.00", "currency": "USD"}))]
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
    /// The vendor paid.
    pub vendor: Option<super::conventions::VendorRef>,
    /// Deprecated: `vendor.id`.
    #[schema(format = Uuid, deprecated)]
    pub vendor_id: Option<String>,
    /// Deprecated: `vendor.name`.
    #[schema(deprecated)]
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
    /// Who recorded the payment (or created its run).
    pub recorded_by: Option<super::conventions::UserRef>,
    /// Deprecated: `recorded_by.id`.
    #[schema(deprecated)]
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
            vendor: super::conventions::VendorRef::of(&p.vendor_id, &p.vendor_name),
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
            recorded_by: None,
            created_by: p.created_by,
            created_at: p.created_at,
            completed_at: opt(p.completed_at),
            failure_reason: opt(p.failure_reason),
        }
    }
}

/// Names who recorded `items` (one directory call).
async fn named_payments(
    state: &AppState,
    forward: &crate::extract::Forward,
    mut items: Vec<PaymentOut>,
) -> Vec<PaymentOut> {
    let people = super::conventions::People::lookup(
        state,
        forward,
        items.iter().map(|p| p.created_by.as_str()),
        [],
    )
    .await;
    for p in &mut items {
        p.recorded_by = people.by_id(&p.created_by);
    }
    items
}

/// Names the creators and approvers of `runs` (one directory call).
async fn named_runs(
    state: &AppState,
    forward: &crate::extract::Forward,
    mut runs: Vec<RunOut>,
) -> Vec<RunOut> {
    let people = super::conventions::People::lookup(
        state,
        forward,
        [],
        runs.iter()
            .flat_map(|r| [Some(r.created_by.as_str()), r.approved_by.as_deref()])
            .flatten(),
    )
    .await;
    for r in &mut runs {
        r.creator = people.by_id_or_email("", &r.created_by);
        r.approver = r
            .approved_by
            .as_deref()
            .and_then(|e| people.by_id_or_email("", e));
    }
    runs
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
    /// One or more statuses: repeat the parameter (`status=a&status=b`) or separate them with
    /// commas (`status=a,b`).
    #[param(value_type = Option<Vec<crate::openapi::PaymentStatus>>, style = Form, explode)]
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
        items: named_payments(
            &state,
            &authed.forward,
            resp.items.into_iter().map(PaymentOut::from).collect(),
        )
        .await,
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
    Ok(Json(
        named_payments(&state, &authed.forward, vec![p.into()])
            .await
            .remove(0),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"pay_by_date": "2026-12-15", "currency": "USD", "method": "ACH"}))]
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
    /// Who created the run.
    pub creator: Option<super::conventions::UserRef>,
    /// Who approved it (a different admin).
    pub approver: Option<super::conventions::UserRef>,
    /// Deprecated: `creator.email`.
    #[schema(deprecated)]
    pub created_by: String,
    /// Deprecated: `approver.email`.
    #[schema(deprecated)]
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
            creator: None,
            approver: None,
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
    responses((status = 201, body = RunOut, headers(("Location" = String, description = "`/api/v1/payment-runs/{id}`"))), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
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
    let run = named_runs(&state, &authed.forward, vec![RunOut::build(r, true)])
        .await
        .remove(0);
    Ok(created(format!("/api/v1/payment-runs/{}", run.id), run))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RunQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// One or more statuses: repeat the parameter (`status=a&status=b`) or separate them with
    /// commas (`status=a,b`).
    #[param(value_type = Option<Vec<crate::openapi::PaymentRunStatus>>, style = Form, explode)]
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
        items: named_runs(
            &state,
            &authed.forward,
            resp.items
                .into_iter()
                .map(|r| RunOut::build(r, false))
                .collect(),
        )
        .await,
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
    Ok(Json(
        named_runs(&state, &authed.forward, vec![RunOut::build(r, true)])
            .await
            .remove(0),
    ))
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
    Ok(Json(
        named_runs(&state, &authed.forward, vec![RunOut::build(r, true)])
            .await
            .remove(0),
    ))
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
    Ok(Json(
        named_runs(&state, &authed.forward, vec![RunOut::build(r, true)])
            .await
            .remove(0),
    ))
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
    Ok(Json(
        named_runs(&state, &authed.forward, vec![RunOut::build(r, true)])
            .await
            .remove(0),
    ))
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
    page: &ap_proto::common::v1::PageRequest,
) -> (Vec<AuditEntryOut>, bool) {
    match state
        .payment
        .clone()
        .get_invoice_payment_audit(authed.forward.request(pb::AuditPageRequest {
            id: id.to_owned(),
            limit: page.limit,
            cursor: page.cursor.clone(),
        }))
        .await
    {
        Ok(t) => {
            let t = t.into_inner();
            let more = !t.next_cursor.is_empty();
            let items = t
                .items
                .into_iter()
                .map(|e| super::invoices::audit_entry_out!(e))
                .collect();
            (items, more)
        }
        Err(e) => {
            tracing::warn!(grpc.code = ?e.code(), "payment audit entries unavailable");
            (Vec::new(), false)
        }
    }
}
