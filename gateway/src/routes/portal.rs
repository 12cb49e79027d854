//! `/api/v1/portal/*`: invitations (ADMIN, staff token) and the vendor's own routes (portal
//! token only: staff tokens are refused with 401 here, and portal tokens on staff routes).
//! Vendor responses carry no internal field: status in vendor words, payment dates, amount
//! paid and remittance reference, vendor-facing messages only.

use crate::extract::Json;
use crate::extract::{Path, Query};
use crate::routes::created::created;
use ap_proto::auth::v1 as auth_pb;
use ap_proto::common::v1::PageRequest;
use ap_proto::invoice::v1 as pb;
use ap_types::Role;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use super::Page;
use super::input::{opt, path_id};
use super::invoices::{MessageOut, MessagesOut};
use super::vendors::check_limit;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Authed;
use crate::portal_auth::VendorAuthed;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteIn {
    #[schema(format = Uuid)]
    pub vendor_id: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InviteOut {
    /// The vendor's bearer credential for `/api/v1/portal/*`; shown once, stored only hashed.
    pub token: String,
    #[schema(format = Uuid)]
    pub vendor_id: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    pub invite_url: String,
}

/// Invites a vendor to the portal. A new invitation replaces the vendor's previous token.
#[utoipa::path(post, path = "/api/v1/portal/auth/invite", operation_id = "invitePortalVendor",
    extensions(("x-roles" = json!(["ADMIN"]))), tag = "vendor portal", request_body = InviteIn,
    responses((status = 201, body = InviteOut, headers(("Location" = String, description = "`/api/v1/portal/auth/invite/{vendor_id}`: revoke with DELETE"))), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn invite(
    State(state): State<AppState>,
    authed: Authed,
    Json(b): Json<InviteIn>,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(&[Role::Admin])?;
    let vendor_id = path_id(&b.vendor_id, "Vendor")?;
    // The vendor must exist: the invoice service (master data) answers 404 otherwise.
    state
        .invoice
        .clone()
        .get_vendor(authed.forward.request(pb::IdRequest {
            id: vendor_id.clone(),
        }))
        .await?;
    let i = state
        .auth
        .clone()
        .create_portal_invite(
            authed
                .forward
                .request(auth_pb::CreatePortalInviteRequest { vendor_id }),
        )
        .await?
        .into_inner();
    Ok(created(
        format!("/api/v1/portal/auth/invite/{}", i.vendor_id),
        InviteOut {
            token: i.token,
            vendor_id: i.vendor_id,
            expires_at: i.expires_at,
            invite_url: i.invite_url,
        },
    ))
}

/// Revokes the vendor's invitation (idempotent). The token stops working within the
/// verification cache bound (at most 60 s).
#[utoipa::path(delete, path = "/api/v1/portal/auth/invite/{vendor_id}", operation_id = "revokePortalInvite",
    extensions(("x-roles" = json!(["ADMIN"]))),
    params(("vendor_id" = uuid::Uuid, Path, description = "Vendor identifier (UUID).")), tag = "vendor portal",
    responses((status = 204), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    authed: Authed,
    Path(vendor_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    authed.require(&[Role::Admin])?;
    let vendor_id = path_id(&vendor_id, "Vendor")?;
    state
        .auth
        .clone()
        .revoke_portal_invite(
            authed
                .forward
                .request(auth_pb::RevokePortalInviteRequest { vendor_id }),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An invoice as its vendor sees it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PortalInvoiceOut {
    #[schema(format = Uuid)]
    pub id: String,
    /// received | in review | approved | scheduled for payment | paid | rejected | cancelled
    pub status: String,
    pub invoice_number: Option<String>,
    #[schema(format = Date)]
    pub invoice_date: Option<String>,
    #[schema(format = Date)]
    pub due_date: Option<String>,
    pub currency: Option<String>,
    pub total_amount: Option<String>,
    pub amount_due: Option<String>,
    /// The scheduled payment date once scheduled, else the due date.
    #[schema(format = Date)]
    pub expected_payment_date: Option<String>,
    /// The actual payment date once paid.
    #[schema(format = Date)]
    pub payment_date: Option<String>,
    pub amount_paid: Option<String>,
    pub remittance_reference: Option<String>,
    /// A dispute of this invoice is open.
    pub disputed: bool,
    #[schema(format = DateTime)]
    pub submitted_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<pb::PortalInvoice> for PortalInvoiceOut {
    fn from(i: pb::PortalInvoice) -> Self {
        Self {
            id: i.id,
            status: i.status,
            invoice_number: opt(i.invoice_number),
            invoice_date: opt(i.invoice_date),
            due_date: opt(i.due_date),
            currency: opt(i.currency),
            total_amount: opt(i.total_amount),
            amount_due: opt(i.amount_due),
            expected_payment_date: opt(i.expected_payment_date),
            payment_date: opt(i.payment_date),
            amount_paid: opt(i.amount_paid),
            remittance_reference: opt(i.remittance_reference),
            disputed: i.disputed,
            submitted_at: i.submitted_at,
            updated_at: i.updated_at,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PortalQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The vendor's own invoices, newest first (keyset pages).
#[utoipa::path(get, path = "/api/v1/portal/invoices", operation_id = "listPortalInvoices",
    extensions(("x-roles" = json!(["VENDOR"]))), tag = "vendor portal", params(PortalQuery),
    responses((status = 200, body = Page<PortalInvoiceOut>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    vendor: VendorAuthed,
    Query(q): Query<PortalQuery>,
) -> Result<Json<Page<PortalInvoiceOut>>, ApiError> {
    let limit = check_limit(q.limit)?;
    let resp = state
        .invoice
        .clone()
        .portal_list_invoices(vendor.forward.request(pb::PortalListInvoicesRequest {
            page: Some(PageRequest {
                limit,
                cursor: q.cursor.unwrap_or_default(),
            }),
        }))
        .await?
        .into_inner();
    Ok(Json(Page {
        items: resp.items.into_iter().map(Into::into).collect(),
        next_cursor: opt(resp.next_cursor),
    }))
}

/// One of the vendor's invoices; another vendor's is 404 like a missing one.
#[utoipa::path(get, path = "/api/v1/portal/invoices/{id}", operation_id = "getPortalInvoice",
    extensions(("x-roles" = json!(["VENDOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "vendor portal",
    responses((status = 200, body = PortalInvoiceOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    vendor: VendorAuthed,
    Path(id): Path<String>,
) -> Result<Json<PortalInvoiceOut>, ApiError> {
    let id = path_id(&id, "Invoice")?;
    let i = state
        .invoice
        .clone()
        .portal_get_invoice(vendor.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok(Json(i.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeIn {
    pub reason: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DisputeOut {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub invoice_id: String,
    pub reason: String,
    pub description: String,
    pub status: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// Disputes the invoice: AP gets a `VENDOR_DISPUTE` exception, and payment is refused while
/// it is open.
#[utoipa::path(post, path = "/api/v1/portal/invoices/{id}/dispute", operation_id = "disputePortalInvoice",
    extensions(("x-roles" = json!(["VENDOR"]))),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body."), ("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "vendor portal", request_body = DisputeIn,
    responses((status = 201, body = DisputeOut, headers(("Location" = String, description = "`/api/v1/portal/invoices/{id}`: the disputed invoice"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "the invoice is being paid in a payment run")),
    security(("bearer" = [])))]
pub async fn dispute(
    State(state): State<AppState>,
    vendor: VendorAuthed,
    Path(id): Path<String>,
    Json(b): Json<DisputeIn>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path_id(&id, "Invoice")?;
    let d = state
        .invoice
        .clone()
        .portal_dispute_invoice(vendor.forward.request(pb::PortalDisputeRequest {
            invoice_id: id,
            reason: b.reason,
            description: b.description,
        }))
        .await?
        .into_inner();
    Ok(created(
        format!("/api/v1/portal/invoices/{}", d.invoice_id),
        DisputeOut {
            id: d.id,
            invoice_id: d.invoice_id,
            reason: d.reason,
            description: d.description,
            status: d.status,
            created_at: d.created_at,
        },
    ))
}

/// The vendor-facing conversation of the invoice (never internal notes), oldest first
/// (`created_at`, then id), a keyset page at a time.
#[utoipa::path(get, path = "/api/v1/portal/invoices/{id}/messages", operation_id = "listPortalInvoiceMessages",
    extensions(("x-roles" = json!(["VENDOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID)."), crate::routes::PageQuery), tag = "vendor portal",
    responses((status = 200, body = MessagesOut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn messages(
    State(state): State<AppState>,
    vendor: VendorAuthed,
    Path(id): Path<String>,
    Query(page): Query<crate::routes::PageQuery>,
) -> Result<Json<MessagesOut>, ApiError> {
    let id = path_id(&id, "Invoice")?;
    let page = page.request()?;
    let resp = state
        .invoice
        .clone()
        .portal_list_messages(vendor.forward.request(pb::ListByIdRequest {
            id,
            page: Some(page),
        }))
        .await?
        .into_inner();
    Ok(Json(MessagesOut {
        items: resp.items.into_iter().map(Into::into).collect(),
        next_cursor: opt(resp.next_cursor),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorMessageIn {
    pub body: String,
}

/// A message from the vendor to AP on the invoice.
#[utoipa::path(post, path = "/api/v1/portal/invoices/{id}/messages", operation_id = "postPortalInvoiceMessage",
    extensions(("x-roles" = json!(["VENDOR"]))),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body."), ("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "vendor portal", request_body = VendorMessageIn,
    responses((status = 201, body = MessageOut, headers(("Location" = String, description = "`/api/v1/portal/invoices/{id}/messages`: the thread the message joined"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn post_message(
    State(state): State<AppState>,
    vendor: VendorAuthed,
    Path(id): Path<String>,
    Json(b): Json<VendorMessageIn>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path_id(&id, "Invoice")?;
    let location = format!("/api/v1/portal/invoices/{id}/messages");
    let m = state
        .invoice
        .clone()
        .portal_post_message(vendor.forward.request(pb::PortalPostMessageRequest {
            invoice_id: id,
            body: b.body,
        }))
        .await?
        .into_inner();
    Ok(created(location, MessageOut::from(m)))
}

/// Submits an invoice document (multipart `file`; same size and type checks as the staff
/// upload). The vendor is the token's: a `vendor_id` form field is ignored.
#[utoipa::path(post, path = "/api/v1/portal/invoices/upload", operation_id = "uploadPortalInvoice",
    extensions(("x-roles" = json!(["VENDOR"]))), tag = "vendor portal",
    request_body(content = crate::routes::invoices::UploadForm, content_type = "multipart/form-data", description = "field `file`: PDF, PNG, JPEG, TIFF or UBL/CII XML, at most 20 MiB"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body.")),
    responses((status = 201, body = PortalInvoiceOut, headers(("Location" = String, description = "`/api/v1/portal/invoices/{id}`"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    vendor: VendorAuthed,
    multipart: Multipart,
) -> Result<impl IntoResponse, ApiError> {
    let invoice =
        super::invoices::stream_upload(&state, &vendor.forward, multipart, "portal").await?;
    tracing::info!(vendor.id = %vendor.vendor_id, invoice.id = %invoice.id, "portal upload received");
    let i = state
        .invoice
        .clone()
        .portal_get_invoice(vendor.forward.request(pb::IdRequest { id: invoice.id }))
        .await?
        .into_inner();
    let i = PortalInvoiceOut::from(i);
    Ok(created(format!("/api/v1/portal/invoices/{}", i.id), i))
}
