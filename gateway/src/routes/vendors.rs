//! `/api/v1/vendors*`: vendor master data and bank details (always masked).

use crate::extract::Json;
use crate::extract::{Path, Query};
use ap_proto::common::v1::PageRequest;
use ap_proto::invoice::v1 as pb;
use ap_types::Role;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use super::Page;
use super::created::created;
use super::input::{opt, path_id};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Authed;
use crate::state::AppState;

pub const READ: &[Role] = Role::STAFF;
pub const WRITE: &[Role] = &[Role::ApAnalyst, Role::Admin];

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankAccountIn {
    #[serde(default)]
    pub iban: String,
    #[serde(default)]
    pub bic: String,
    #[serde(default)]
    pub routing_number: String,
    #[serde(default)]
    pub account_number: String,
}

impl From<BankAccountIn> for pb::BankAccountInput {
    fn from(b: BankAccountIn) -> Self {
        Self {
            iban: b.iban,
            bic: b.bic,
            routing_number: b.routing_number,
            account_number: b.account_number,
        }
    }
}

/// Bank details as every response shows them: the last four characters only.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BankAccountOut {
    pub kind: String,
    pub account_last4: String,
    pub bic: Option<String>,
    pub routing_number: Option<String>,
    #[schema(value_type = crate::openapi::BankAccountStatus)]
    pub status: String,
    /// Who entered (set or changed) these details.
    pub entered_by: Option<super::conventions::UserRef>,
    /// Who verified them (a different user); null while unverified.
    pub verifier: Option<super::conventions::UserRef>,
    /// Deprecated: `entered_by.id`.
    #[schema(format = Uuid, deprecated)]
    pub changed_by: Option<String>,
    #[schema(format = DateTime)]
    pub changed_at: String,
    /// Deprecated: `verifier.id`.
    #[schema(format = Uuid, deprecated)]
    pub verified_by: Option<String>,
    #[schema(format = DateTime)]
    pub verified_at: Option<String>,
}

/// Names the people behind the bank details of `items` (one directory call).
async fn named_vendors(
    state: &AppState,
    forward: &crate::extract::Forward,
    mut items: Vec<VendorOut>,
) -> Vec<VendorOut> {
    let ids: Vec<String> = items
        .iter()
        .filter_map(|v| v.bank_account.as_ref())
        .flat_map(|b| [b.changed_by.clone(), b.verified_by.clone()])
        .flatten()
        .collect();
    let people =
        super::conventions::People::lookup(state, forward, ids.iter().map(String::as_str), [])
            .await;
    for b in items.iter_mut().filter_map(|v| v.bank_account.as_mut()) {
        b.entered_by = b.changed_by.as_deref().and_then(|i| people.by_id(i));
        b.verifier = b.verified_by.as_deref().and_then(|i| people.by_id(i));
    }
    items
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Acme Office Supplies", "legal_name": "Acme Office Supplies GmbH", "tax_id": "DE123456789", "email": "billing@acme.example", "address": "Hauptstr. 1, 10115 Berlin", "country": "DE", "currency": "EUR", "payment_terms": "NET30", "payment_terms_days": 30, "category": "office", "aliases": ["ACME"], "bank_account": {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}, "po_required": true}))]
pub struct VendorIn {
    pub name: String,
    #[serde(default)]
    pub legal_name: String,
    #[serde(default)]
    pub tax_id: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub country: String,
    pub currency: String,
    #[serde(default)]
    pub payment_terms: String,
    pub payment_terms_days: Option<i32>,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub bank_account: Option<BankAccountIn>,
    /// False for vendors billed without a PO (utilities, rent): their invoices skip matching.
    pub po_required: Option<bool>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorPatch {
    pub name: Option<String>,
    pub legal_name: Option<String>,
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub country: Option<String>,
    pub currency: Option<String>,
    pub payment_terms: Option<String>,
    pub payment_terms_days: Option<i32>,
    pub category: Option<String>,
    pub is_active: Option<bool>,
    pub aliases: Option<Vec<String>>,
    pub po_required: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VendorOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub legal_name: Option<String>,
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub country: Option<String>,
    pub currency: String,
    pub payment_terms: Option<String>,
    pub payment_terms_days: Option<i32>,
    pub category: Option<String>,
    pub is_active: bool,
    pub po_required: bool,
    pub aliases: Vec<String>,
    pub bank_account: Option<BankAccountOut>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<pb::Vendor> for VendorOut {
    fn from(v: pb::Vendor) -> Self {
        Self {
            id: v.id,
            name: v.name,
            legal_name: opt(v.legal_name),
            tax_id: opt(v.tax_id),
            email: opt(v.email),
            address: opt(v.address),
            country: opt(v.country),
            currency: v.currency,
            payment_terms: opt(v.payment_terms),
            payment_terms_days: v.payment_terms_days,
            category: opt(v.category),
            is_active: v.is_active,
            po_required: v.po_required,
            aliases: v.aliases,
            bank_account: v.bank_account.map(|b| BankAccountOut {
                kind: b.kind,
                account_last4: b.account_last4,
                bic: opt(b.bic),
                routing_number: opt(b.routing_number),
                status: b.status,
                entered_by: None,
                verifier: None,
                changed_by: opt(b.changed_by),
                changed_at: b.changed_at,
                verified_by: opt(b.verified_by),
                verified_at: opt(b.verified_at),
            }),
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct VendorQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub q: Option<String>,
    pub is_active: Option<bool>,
}

pub fn check_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(50);
    if (1..=200).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::field(
            "limit",
            "must be a whole number between 1 and 200",
        ))
    }
}

#[utoipa::path(get, path = "/api/v1/vendors", operation_id = "listVendors",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))), tag = "master data", params(VendorQuery),
    responses((status = 200, body = Page<VendorOut>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    authed: Authed,
    Query(q): Query<VendorQuery>,
) -> Result<Json<Page<VendorOut>>, ApiError> {
    authed.require(READ)?;
    let limit = check_limit(q.limit)?;
    let resp = state
        .invoice
        .clone()
        .list_vendors(authed.forward.request(pb::ListVendorsRequest {
            page: Some(PageRequest {
                limit,
                cursor: q.cursor.unwrap_or_default(),
            }),
            q: q.q.unwrap_or_default(),
            is_active: q.is_active,
        }))
        .await?
        .into_inner();
    Ok(Json(Page {
        items: named_vendors(
            &state,
            &authed.forward,
            resp.items.into_iter().map(VendorOut::from).collect(),
        )
        .await,
        next_cursor: opt(resp.next_cursor),
    }))
}

/// A created vendor, with warnings about likely duplicates that did not block the creation.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VendorCreatedOut {
    #[serde(flatten)]
    pub vendor: VendorOut,
    /// `similar_vendor_name`: a live vendor with a near-identical name (case, punctuation and
    /// legal form ignored) and no tax id in common. Absent when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<VendorWarningOut>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VendorWarningOut {
    /// `similar_vendor_name`.
    pub code: String,
    #[schema(format = Uuid)]
    pub existing_id: String,
    pub message: String,
}

/// Creates a vendor. A tax id another live vendor has (compared without spaces, dots, dashes
/// or case) is a 409 `duplicate_vendor` naming it in `existing_id`.
#[utoipa::path(post, path = "/api/v1/vendors", operation_id = "createVendor",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))), tag = "master data", request_body = VendorIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body.")),
    responses((status = 201, body = VendorCreatedOut, headers(("Location" = String, description = "`/api/v1/vendors/{id}`"))),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    authed: Authed,
    Json(b): Json<VendorIn>,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(WRITE)?;
    let vendor = state
        .invoice
        .clone()
        .create_vendor(authed.forward.request(pb::VendorInput {
            name: b.name,
            legal_name: b.legal_name,
            tax_id: b.tax_id,
            email: b.email,
            address: b.address,
            country: b.country,
            currency: b.currency,
            payment_terms: b.payment_terms,
            payment_terms_days: b.payment_terms_days,
            category: b.category,
            aliases: b.aliases,
            bank_account: b.bank_account.map(Into::into),
            po_required: b.po_required,
        }))
        .await?
        .into_inner();
    let warnings = vendor
        .warnings
        .iter()
        .map(|w| VendorWarningOut {
            code: w.code.clone(),
            existing_id: w.existing_id.clone(),
            message: w.message.clone(),
        })
        .collect();
    let vendor = named_vendors(&state, &authed.forward, vec![vendor.into()])
        .await
        .remove(0);
    Ok(created(
        format!("/api/v1/vendors/{}", vendor.id),
        VendorCreatedOut { vendor, warnings },
    ))
}

#[utoipa::path(get, path = "/api/v1/vendors/{id}", operation_id = "getVendor",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "master data",
    responses((status = 200, body = VendorOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<VendorOut>, ApiError> {
    authed.require(READ)?;
    let id = path_id(&id, "Vendor")?;
    let v = state
        .invoice
        .clone()
        .get_vendor(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok(Json(
        named_vendors(&state, &authed.forward, vec![v.into()])
            .await
            .remove(0),
    ))
}

#[utoipa::path(patch, path = "/api/v1/vendors/{id}", operation_id = "updateVendor",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "master data", request_body = VendorPatch,
    responses((status = 200, body = VendorOut), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Json(b): Json<VendorPatch>,
) -> Result<Json<VendorOut>, ApiError> {
    authed.require(WRITE)?;
    let id = path_id(&id, "Vendor")?;
    let v = state
        .invoice
        .clone()
        .update_vendor(authed.forward.request(pb::UpdateVendorRequest {
            id,
            name: b.name,
            legal_name: b.legal_name,
            tax_id: b.tax_id,
            email: b.email,
            address: b.address,
            country: b.country,
            currency: b.currency,
            payment_terms: b.payment_terms,
            payment_terms_days: b.payment_terms_days,
            category: b.category,
            is_active: b.is_active,
            aliases: b.aliases.map(|aliases| pb::AliasList { aliases }),
            po_required: b.po_required,
        }))
        .await?
        .into_inner();
    Ok(Json(
        named_vendors(&state, &authed.forward, vec![v.into()])
            .await
            .remove(0),
    ))
}

#[utoipa::path(delete, path = "/api/v1/vendors/{id}", operation_id = "deleteVendor",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "master data",
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    authed.require(WRITE)?;
    let id = path_id(&id, "Vendor")?;
    state
        .invoice
        .clone()
        .delete_vendor(authed.forward.request(pb::IdRequest { id }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets or replaces the bank details; they stay unverified until another person verifies them.
#[utoipa::path(put, path = "/api/v1/vendors/{id}/bank-account", operation_id = "setVendorBankAccount",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "master data", request_body = BankAccountIn,
    responses((status = 200, body = VendorOut), (status = 400, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "a payment run is paying this vendor")),
    security(("bearer" = [])))]
pub async fn set_bank_account(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Json(b): Json<BankAccountIn>,
) -> Result<Json<VendorOut>, ApiError> {
    authed.require(WRITE)?;
    let vendor_id = path_id(&id, "Vendor")?;
    let v = state
        .invoice
        .clone()
        .set_bank_account(authed.forward.request(pb::SetBankAccountRequest {
            vendor_id,
            bank_account: Some(b.into()),
        }))
        .await?
        .into_inner();
    Ok(Json(
        named_vendors(&state, &authed.forward, vec![v.into()])
            .await
            .remove(0),
    ))
}

/// Verifies the current bank details; refused (403) for the person who entered them.
#[utoipa::path(post, path = "/api/v1/vendors/{id}/bank-account/verify", operation_id = "verifyVendorBankAccount",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "master data",
    responses((status = 200, body = VendorOut), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn verify_bank_account(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<VendorOut>, ApiError> {
    authed.require(WRITE)?;
    let id = path_id(&id, "Vendor")?;
    let v = state
        .invoice
        .clone()
        .verify_bank_account(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok(Json(
        named_vendors(&state, &authed.forward, vec![v.into()])
            .await
            .remove(0),
    ))
}
