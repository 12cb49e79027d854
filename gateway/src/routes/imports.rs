//! `/api/v1/import/{vendors,purchase-orders,goods-receipts}`: CSV (raw `text/csv` body or a
//! multipart `file`), streamed through to the invoice service.

use crate::extract::Json;
use ap_proto::invoice::v1 as pb;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header;
use futures::StreamExt;
use serde::Serialize;

use super::vendors::WRITE;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Authed;
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct RowErrorOut {
    pub row: u32,
    pub field: String,
    pub message: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportReportOut {
    pub kind: String,
    pub rows: u32,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub failed: u32,
    pub errors: Vec<RowErrorOut>,
}

async fn import(
    state: AppState,
    authed: Authed,
    kind: &str,
    req: Request,
) -> Result<Json<ImportReportOut>, ApiError> {
    authed.require(WRITE)?;
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::ImportChunk>(4);
    let chunk = |part| pb::ImportChunk { part: Some(part) };
    let _ = tx
        .send(chunk(pb::import_chunk::Part::Kind(kind.to_owned())))
        .await;
    let mut client = state.invoice.clone();
    let request = authed
        .forward
        .request(tokio_stream::wrappers::ReceiverStream::new(rx));
    let call =
        ap_kit::request_id::spawn_in_request(async move { client.import_csv(request).await });
    let too_large = || {
        ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Request body too large.",
        )
    };
    let mut failure = None;
    if is_multipart {
        let mut multipart = Multipart::from_request(req, &())
            .await
            .map_err(|_| ApiError::bad_request("The multipart body could not be read."))?;
        let mut found = false;
        while let Ok(Some(mut field)) = multipart.next_field().await {
            if field.name() != Some("file") {
                continue;
            }
            found = true;
            loop {
                match field.chunk().await {
                    Ok(Some(b)) => {
                        if tx
                            .send(chunk(pb::import_chunk::Part::Data(b.to_vec())))
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        failure =
                            Some(if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                                too_large()
                            } else {
                                ApiError::bad_request("The multipart body could not be read.")
                            });
                        break;
                    }
                }
            }
            break;
        }
        if !found && failure.is_none() {
            failure = Some(ApiError::field(
                "file",
                "a multipart field named file is required",
            ));
        }
    } else {
        let mut body = Body::into_data_stream(req.into_body());
        while let Some(next) = body.next().await {
            match next {
                Ok(b) => {
                    if tx
                        .send(chunk(pb::import_chunk::Part::Data(b.to_vec())))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                Err(_) => {
                    failure = Some(too_large());
                    break;
                }
            }
        }
    }
    if failure.is_none() {
        let _ = tx.send(chunk(pb::import_chunk::Part::Finish(true))).await;
    }
    drop(tx);
    let answer = call.await.map_err(|_| ApiError::internal())?;
    if let Some(err) = failure {
        return Err(err);
    }
    let r = answer?.into_inner();
    Ok(Json(ImportReportOut {
        kind: r.kind,
        rows: r.rows,
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
        failed: r.failed,
        errors: r
            .errors
            .into_iter()
            .map(|e| RowErrorOut {
                row: e.row,
                field: e.field,
                message: e.message,
            })
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/import/vendors", operation_id = "importVendors",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))), tag = "master data",
    request_body(content = String, content_type = "text/csv", description = "columns: name, currency, legal_name, tax_id, email, address, country, payment_terms, payment_terms_days, category, aliases (;-separated)"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body.")),
    responses((status = 200, body = ImportReportOut), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn vendors(
    State(state): State<AppState>,
    authed: Authed,
    req: Request,
) -> Result<Json<ImportReportOut>, ApiError> {
    import(state, authed, "vendors", req).await
}

#[utoipa::path(post, path = "/api/v1/import/purchase-orders", operation_id = "importPurchaseOrders",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))), tag = "master data",
    request_body(content = String, content_type = "text/csv", description = "one row per line: po_number, vendor (id, tax id or name), currency, status, order_date, line_number, description, quantity, unit_price, unit, gl_account, cost_centre"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body.")),
    responses((status = 200, body = ImportReportOut), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn purchase_orders(
    State(state): State<AppState>,
    authed: Authed,
    req: Request,
) -> Result<Json<ImportReportOut>, ApiError> {
    import(state, authed, "purchase_orders", req).await
}

#[utoipa::path(post, path = "/api/v1/import/goods-receipts", operation_id = "importGoodsReceipts",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))), tag = "master data",
    request_body(content = String, content_type = "text/csv", description = "one row per line: receipt_number, po_number, received_on (or the deprecated received_at), po_line_number, quantity"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body.")),
    responses((status = 200, body = ImportReportOut), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn goods_receipts(
    State(state): State<AppState>,
    authed: Authed,
    req: Request,
) -> Result<Json<ImportReportOut>, ApiError> {
    import(state, authed, "goods_receipts", req).await
}
