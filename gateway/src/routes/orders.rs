//! `/api/v1/purchase-orders*` and `/api/v1/goods-receipts*`.

use crate::extract::Json;
use crate::extract::{Path, Query};
use crate::routes::created::created;
use ap_proto::common::v1::PageRequest;
use ap_proto::invoice::v1 as pb;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use super::Page;
use super::input::{DecimalText, opt, path_id};
use super::vendors::{READ, WRITE, check_limit};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Authed;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoLineIn {
    pub line_number: i32,
    pub description: String,
    pub quantity: DecimalText,
    pub unit_price: DecimalText,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub gl_account: String,
    #[serde(default)]
    pub cost_centre: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"po_number": "PO-2026-0042", "vendor_id": "5b0c6a8e-2f4d-4e41-9d7a-0c3e1f2a4b6d", "currency": "USD", "order_date": "2026-11-02", "match_type": "3way", "lines": [{"line_number": 1, "description": "A4 paper, 80 g, box of 5 reams", "quantity": "10", "unit_price": "24.50", "unit": "box", "gl_account": "6100", "cost_centre": "OPS"}]}))]
pub struct PurchaseOrderIn {
    pub po_number: String,
    #[schema(format = Uuid)]
    pub vendor_id: String,
    pub currency: String,
    #[serde(default)]
    #[schema(value_type = crate::openapi::PurchaseOrderStatus)]
    pub status: String,
    #[serde(default)]
    pub order_date: String,
    pub lines: Vec<PoLineIn>,
    /// `3way` (default: goods must be received before they are paid) or `2way` (services).
    #[serde(default)]
    pub match_type: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PoLineOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub line_number: i32,
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub line_total: String,
    pub unit: Option<String>,
    pub gl_account: Option<String>,
    pub cost_centre: Option<String>,
    pub received_quantity: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PurchaseOrderOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub po_number: String,
    /// The vendor ordered from.
    pub vendor: Option<super::conventions::VendorRef>,
    /// Deprecated: `vendor.id`.
    #[schema(format = Uuid, deprecated)]
    pub vendor_id: String,
    pub currency: String,
    #[schema(value_type = crate::openapi::PurchaseOrderStatus)]
    pub status: String,
    #[schema(format = Date)]
    pub order_date: Option<String>,
    pub match_type: String,
    pub total_amount: String,
    pub lines: Vec<PoLineOut>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<pb::PurchaseOrder> for PurchaseOrderOut {
    fn from(p: pb::PurchaseOrder) -> Self {
        Self {
            id: p.id,
            po_number: p.po_number,
            vendor: p.vendor.map(|v| super::conventions::VendorRef {
                id: v.id,
                name: v.name,
            }),
            vendor_id: p.vendor_id,
            currency: p.currency,
            status: p.status,
            order_date: opt(p.order_date),
            match_type: p.match_type,
            total_amount: p.total_amount,
            lines: p
                .lines
                .into_iter()
                .map(|l| PoLineOut {
                    id: l.id,
                    line_number: l.line_number,
                    description: l.description,
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    line_total: l.line_total,
                    unit: opt(l.unit),
                    gl_account: opt(l.gl_account),
                    cost_centre: opt(l.cost_centre),
                    received_quantity: l.received_quantity,
                })
                .collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    #[param(format = Uuid)]
    pub vendor_id: Option<String>,
    /// One or more statuses: repeat the parameter (`status=a&status=b`) or separate them with
    /// commas (`status=a,b`).
    #[param(value_type = Option<Vec<crate::openapi::PurchaseOrderStatus>>, style = Form, explode)]
    pub status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/purchase-orders", operation_id = "listPurchaseOrders",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))), tag = "master data", params(ListQuery),
    responses((status = 200, body = Page<PurchaseOrderOut>)), security(("bearer" = [])))]
pub async fn list_pos(
    State(state): State<AppState>,
    authed: Authed,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<PurchaseOrderOut>>, ApiError> {
    authed.require(READ)?;
    let limit = check_limit(q.limit)?;
    let resp = state
        .invoice
        .clone()
        .list_purchase_orders(authed.forward.request(pb::ListRequest {
            page: Some(PageRequest {
                limit,
                cursor: q.cursor.unwrap_or_default(),
            }),
            vendor_id: q.vendor_id.unwrap_or_default(),
            status: q.status.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    Ok(Json(Page {
        items: resp.items.into_iter().map(Into::into).collect(),
        next_cursor: opt(resp.next_cursor),
    }))
}

#[utoipa::path(post, path = "/api/v1/purchase-orders", operation_id = "createPurchaseOrder",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))), tag = "master data", request_body = PurchaseOrderIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body.")),
    responses((status = 201, body = PurchaseOrderOut, headers(("Location" = String, description = "`/api/v1/purchase-orders/{id}`"))), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_po(
    State(state): State<AppState>,
    authed: Authed,
    Json(b): Json<PurchaseOrderIn>,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(WRITE)?;
    let po = state
        .invoice
        .clone()
        .create_purchase_order(
            authed.forward.request(pb::PurchaseOrderInput {
                po_number: b.po_number,
                vendor_id: b.vendor_id,
                currency: b.currency,
                status: b.status,
                order_date: b.order_date,
                match_type: b.match_type,
                lines: b
                    .lines
                    .into_iter()
                    .map(|l| pb::PurchaseOrderLineInput {
                        line_number: l.line_number,
                        description: l.description,
                        quantity: l.quantity.0,
                        unit_price: l.unit_price.0,
                        unit: l.unit,
                        gl_account: l.gl_account,
                        cost_centre: l.cost_centre,
                    })
                    .collect(),
            }),
        )
        .await?
        .into_inner();
    let po = PurchaseOrderOut::from(po);
    Ok(created(format!("/api/v1/purchase-orders/{}", po.id), po))
}

#[utoipa::path(get, path = "/api/v1/purchase-orders/{id}", operation_id = "getPurchaseOrder",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "master data",
    responses((status = 200, body = PurchaseOrderOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_po(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<PurchaseOrderOut>, ApiError> {
    authed.require(READ)?;
    let id = path_id(&id, "Purchase order")?;
    let po = state
        .invoice
        .clone()
        .get_purchase_order(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok(Json(po.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptLineIn {
    pub po_line_number: i32,
    pub quantity: DecimalText,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"receipt_number": "GR-2026-0107", "po_id": "9d2e4f60-7a1b-4c3d-8e5f-6a7b8c9d0e1f", "received_on": "2026-11-10", "lines": [{"po_line_number": 1, "quantity": "10"}]}))]
pub struct GoodsReceiptIn {
    pub receipt_number: String,
    #[schema(format = Uuid)]
    pub po_id: String,
    /// The date the goods arrived (`YYYY-MM-DD`). Required unless `received_at` is given.
    #[schema(format = Date)]
    pub received_on: Option<String>,
    /// Deprecated spelling of `received_on`: a date, or an RFC 3339 instant whose UTC date is
    /// kept. When both are given they must name the same day.
    #[schema(deprecated)]
    pub received_at: Option<String>,
    pub lines: Vec<ReceiptLineIn>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReceiptLineOut {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub po_line_id: String,
    pub po_line_number: i32,
    pub quantity: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GoodsReceiptOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub receipt_number: String,
    #[schema(format = Uuid)]
    pub po_id: String,
    pub po_number: String,
    /// The date the goods arrived.
    #[schema(format = Date)]
    pub received_on: String,
    /// Deprecated: the same date as `received_on` (a date despite the `_at` suffix).
    #[schema(format = Date, deprecated)]
    pub received_at: String,
    pub lines: Vec<ReceiptLineOut>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<pb::GoodsReceipt> for GoodsReceiptOut {
    fn from(r: pb::GoodsReceipt) -> Self {
        Self {
            id: r.id,
            receipt_number: r.receipt_number,
            po_id: r.po_id,
            po_number: r.po_number,
            received_on: r.received_at.clone(),
            received_at: r.received_at,
            lines: r
                .lines
                .into_iter()
                .map(|l| ReceiptLineOut {
                    id: l.id,
                    po_line_id: l.po_line_id,
                    po_line_number: l.po_line_number,
                    quantity: l.quantity,
                })
                .collect(),
            created_at: r.created_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/goods-receipts", operation_id = "listGoodsReceipts",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))), tag = "master data", params(ListQuery),
    responses((status = 200, body = Page<GoodsReceiptOut>)), security(("bearer" = [])))]
pub async fn list_receipts(
    State(state): State<AppState>,
    authed: Authed,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<GoodsReceiptOut>>, ApiError> {
    authed.require(READ)?;
    let limit = check_limit(q.limit)?;
    let resp = state
        .invoice
        .clone()
        .list_goods_receipts(authed.forward.request(pb::ListRequest {
            page: Some(PageRequest {
                limit,
                cursor: q.cursor.unwrap_or_default(),
            }),
            vendor_id: String::new(),
            status: String::new(),
        }))
        .await?
        .into_inner();
    Ok(Json(Page {
        items: resp.items.into_iter().map(Into::into).collect(),
        next_cursor: opt(resp.next_cursor),
    }))
}

#[utoipa::path(post, path = "/api/v1/goods-receipts", operation_id = "createGoodsReceipt",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))), tag = "master data", request_body = GoodsReceiptIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body.")),
    responses((status = 201, body = GoodsReceiptOut, headers(("Location" = String, description = "`/api/v1/goods-receipts/{id}`"))), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_receipt(
    State(state): State<AppState>,
    authed: Authed,
    Json(b): Json<GoodsReceiptIn>,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(WRITE)?;
    let r = state
        .invoice
        .clone()
        .create_goods_receipt(
            authed.forward.request(pb::GoodsReceiptInput {
                receipt_number: b.receipt_number,
                po_id: b.po_id,
                received_at: b.received_at.unwrap_or_default(),
                received_on: b.received_on.unwrap_or_default(),
                lines: b
                    .lines
                    .into_iter()
                    .map(|l| pb::GoodsReceiptLineInput {
                        po_line_number: l.po_line_number,
                        quantity: l.quantity.0,
                    })
                    .collect(),
            }),
        )
        .await?
        .into_inner();
    let r = GoodsReceiptOut::from(r);
    Ok(created(format!("/api/v1/goods-receipts/{}", r.id), r))
}

#[utoipa::path(get, path = "/api/v1/goods-receipts/{id}", operation_id = "getGoodsReceipt",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "master data",
    responses((status = 200, body = GoodsReceiptOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_receipt(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<GoodsReceiptOut>, ApiError> {
    authed.require(READ)?;
    let id = path_id(&id, "Goods receipt")?;
    let r = state
        .invoice
        .clone()
        .get_goods_receipt(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok(Json(r.into()))
}
