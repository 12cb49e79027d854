//! `/api/v1/purchase-orders*` and `/api/v1/goods-receipts*`.

use crate::extract::Json;
use crate::extract::{Path, Query};
use ap_proto::common::v1::PageRequest;
use ap_proto::invoice::v1 as pb;
use axum::extract::State;
use axum::http::StatusCode;
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
    #[schema(format = Uuid)]
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
    #[param(value_type = Option<crate::openapi::PurchaseOrderStatus>)]
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
    responses((status = 201, body = PurchaseOrderOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
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
    Ok((StatusCode::CREATED, Json(PurchaseOrderOut::from(po))))
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
pub struct GoodsReceiptIn {
    pub receipt_number: String,
    #[schema(format = Uuid)]
    pub po_id: String,
    pub received_at: String,
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
    responses((status = 201, body = GoodsReceiptOut), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
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
                received_at: b.received_at,
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
    Ok((StatusCode::CREATED, Json(GoodsReceiptOut::from(r))))
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
