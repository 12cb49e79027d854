//! Purchase orders and goods receipts, created one at a time (the CSV imports share the
//! validation through `domain::csv_rows`).

use std::collections::HashMap;

use ap_kit::audit::{self, AuditEvent};
use ap_proto::invoice::v1 as pb;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::{AppError, Caller, InvoiceApp, MASTER_WRITE, STAFF, page_limit};

/// The statuses a purchase order can be in (the list filters on them).
pub const PO_STATUSES: &[&str] = &["open", "closed", "cancelled"];
use crate::domain::matching::receipt_fits;
use crate::domain::values::{
    Currency, FieldError, optional_text, parse_date, parse_non_negative, parse_quantity, parse_text,
};
use crate::store::orders::{
    self as store, PoData, PoLineData, PoLineRow, PoRow, ReceiptLineRow, ReceiptRow,
};
use crate::store::vendors as vendor_store;

/// A purchase order with its lines and what has been received against each.
#[derive(Clone, Debug)]
pub struct PoView {
    pub po: PoRow,
    pub lines: Vec<(PoLineRow, Decimal)>,
}

#[derive(Clone, Debug)]
pub struct ReceiptView {
    pub receipt: ReceiptRow,
    pub po_number: String,
    pub lines: Vec<(ReceiptLineRow, i32)>,
}

/// Unit prices may carry up to the column's 4 decimals (`0.0125` per unit); each line total
/// (quantity × unit price) and the order total must be within the amount columns' range and
/// are reported exactly (never rounded), so a product finer than the currency's minor unit is
/// shown with its own decimals.
fn po_lines_input(
    lines: &[pb::PurchaseOrderLineInput],
    currency: &Currency,
) -> Result<Vec<PoLineData>, AppError> {
    if lines.is_empty() {
        return Err(AppError::invalid(
            "lines",
            "a purchase order needs at least one line",
        ));
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let f = |name: &str| format!("lines[{i}].{name}");
        let mut push = |e: FieldError| errors.push(FieldError::new(&f(&e.field), e.message));
        if l.line_number < 1 {
            push(FieldError::new("line_number", "must be 1 or more"));
        }
        if out
            .iter()
            .any(|d: &PoLineData| d.line_number == l.line_number)
        {
            push(FieldError::new("line_number", "is repeated"));
        }
        let description = parse_text("description", &l.description, 500)
            .map_err(&mut push)
            .ok();
        let quantity = parse_quantity("quantity", &l.quantity)
            .map_err(&mut push)
            .ok();
        let unit_price = parse_non_negative("unit_price", &l.unit_price)
            .map_err(&mut push)
            .ok();
        let unit = optional_text("unit", &l.unit, 20)
            .map_err(&mut push)
            .ok()
            .flatten();
        let gl = optional_text("gl_account", &l.gl_account, 50)
            .map_err(&mut push)
            .ok()
            .flatten();
        let cc = optional_text("cost_centre", &l.cost_centre, 50)
            .map_err(&mut push)
            .ok()
            .flatten();
        // The line total (quantity × unit price) is what matching and the PO total use: it
        // must fit the amount columns, or the response would carry a rounded number.
        if let (Some(q), Some(p)) = (quantity, unit_price) {
            // Only the range is enforced: real documents carry unit prices finer than the
            // currency (0.0125 per unit), so a product may be too; it is kept exact.
            let _ = currency;
            if let Some(message) = ap_types::line_total_problem(q, p) {
                errors.push(FieldError::new(
                    &format!("lines[{i}]"),
                    format!("line total (quantity × unit_price) {message}"),
                ));
                continue;
            }
        }
        if let (Some(description), Some(quantity), Some(unit_price)) =
            (description, quantity, unit_price)
        {
            out.push(PoLineData {
                line_number: l.line_number,
                description,
                quantity,
                unit_price,
                unit,
                gl_account: gl,
                cost_centre: cc,
            });
        }
    }
    if errors.is_empty() {
        let total = out.iter().try_fold(Decimal::ZERO, |acc, l| {
            acc.checked_add(l.quantity.checked_mul(l.unit_price)?)
        });
        if !total.is_some_and(ap_types::fits_column) {
            return Err(AppError::invalid(
                "lines",
                "the order total is too large: amounts must be below 100000000000000",
            ));
        }
        Ok(out)
    } else {
        Err(AppError::Invalid(errors))
    }
}

impl InvoiceApp {
    pub(crate) async fn po_views(
        &self,
        conn: &mut AsyncPgConnection,
        pos: Vec<PoRow>,
    ) -> Result<Vec<PoView>, AppError> {
        let ids: Vec<Uuid> = pos.iter().map(|p| p.id).collect();
        let received: HashMap<Uuid, Decimal> = store::received_quantities(conn, &ids)
            .await?
            .into_iter()
            .collect();
        let mut lines: HashMap<Uuid, Vec<(PoLineRow, Decimal)>> = HashMap::new();
        for line in store::po_lines_of(conn, &ids).await? {
            let got = received.get(&line.id).copied().unwrap_or_default();
            lines.entry(line.po_id).or_default().push((line, got));
        }
        Ok(pos
            .into_iter()
            .map(|po| PoView {
                lines: lines.remove(&po.id).unwrap_or_default(),
                po,
            })
            .collect())
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_purchase_order(
        &self,
        caller: &Caller,
        input: pb::PurchaseOrderInput,
    ) -> Result<PoView, AppError> {
        caller.require(MASTER_WRITE)?;
        let po_number = parse_text("po_number", &input.po_number, 100)?;
        let vendor_id = super::parse_uuid("vendor_id", &input.vendor_id)?;
        let currency = Currency::parse("currency", &input.currency)?;
        let status = match input.status.as_str() {
            "" | "open" => "open",
            "closed" => "closed",
            "cancelled" => "cancelled",
            _ => {
                return Err(AppError::invalid(
                    "status",
                    "must be open, closed or cancelled",
                ));
            }
        };
        let match_type = match input.match_type.as_str() {
            "" | "3way" => "3way",
            "2way" => "2way",
            _ => return Err(AppError::invalid("match_type", "must be 2way or 3way")),
        };
        let order_date = if input.order_date.is_empty() {
            None
        } else {
            Some(parse_date("order_date", &input.order_date)?)
        };
        let lines = po_lines_input(&input.lines, &currency)?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            vendor_store::find_vendor(conn, vendor_id, false)
                .await?
                .ok_or_else(|| AppError::invalid("vendor_id", "no such vendor"))?;
            let id = Uuid::now_v7();
            let data = PoData { po_number, vendor_id, currency: currency.as_str().to_owned(), status: status.to_owned(), order_date };
            let mut po = store::insert_po(conn, id, &data).await?;
            if match_type != po.match_type {
                store::set_match_type(conn, id, match_type).await?;
                po.match_type = match_type.to_owned();
            }
            for line in &lines {
                store::insert_po_line(conn, id, line).await?;
            }
            let view = self.po_views(conn, vec![po]).await?.remove(0);
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(caller.actor(), "purchase_order_created", "purchase_order", Some(id.to_string()))
                    .after(json!({"po_number": view.po.po_number, "vendor_id": vendor_id.to_string(), "lines": lines.len()})),
            )
            .await?;
            Ok(view)
        })
        .await
    }

    pub async fn get_purchase_order(&self, caller: &Caller, id: Uuid) -> Result<PoView, AppError> {
        caller.require(STAFF)?;
        let mut conn = self.conn().await?;
        let po = store::find_po(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound("purchase order"))?;
        Ok(self.po_views(&mut conn, vec![po]).await?.remove(0))
    }

    pub async fn list_purchase_orders(
        &self,
        caller: &Caller,
        after: Option<super::Keyset>,
        limit: u32,
        vendor_id: Option<Uuid>,
        statuses: Vec<String>,
    ) -> Result<(Vec<PoView>, Option<super::Keyset>), AppError> {
        caller.require(STAFF)?;
        let limit = page_limit(limit);
        let mut conn = self.conn().await?;
        let mut rows = store::list_pos(&mut conn, after, limit + 1, vendor_id, &statuses).await?;
        let next = if rows.len() as i64 > limit {
            rows.pop();
            rows.last().map(|r| (r.created_at, r.id))
        } else {
            None
        };
        Ok((self.po_views(&mut conn, rows).await?, next))
    }

    async fn receipt_views(
        &self,
        conn: &mut AsyncPgConnection,
        rows: Vec<ReceiptRow>,
    ) -> Result<Vec<ReceiptView>, AppError> {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut lines: HashMap<Uuid, Vec<(ReceiptLineRow, i32)>> = HashMap::new();
        for (line, n) in store::receipt_lines_of(conn, &ids).await? {
            lines.entry(line.receipt_id).or_default().push((line, n));
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let po_number = store::find_po(conn, r.po_id)
                .await?
                .map(|p| p.po_number)
                .unwrap_or_default();
            out.push(ReceiptView {
                lines: lines.remove(&r.id).unwrap_or_default(),
                po_number,
                receipt: r,
            });
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_goods_receipt(
        &self,
        caller: &Caller,
        input: pb::GoodsReceiptInput,
    ) -> Result<ReceiptView, AppError> {
        caller.require(MASTER_WRITE)?;
        let number = parse_text("receipt_number", &input.receipt_number, 100)?;
        let po_id = super::parse_uuid("po_id", &input.po_id)?;
        let received_at =
            crate::domain::values::receipt_date(&input.received_on, &input.received_at)?;
        if received_at > chrono::Utc::now().date_naive() {
            // Named as the caller spelled it.
            let field = if input.received_on.trim().is_empty() {
                "received_at"
            } else {
                "received_on"
            };
            return Err(AppError::invalid(
                field,
                "must not be in the future (today in UTC at the latest)",
            ));
        }
        if input.lines.is_empty() {
            return Err(AppError::invalid(
                "lines",
                "a goods receipt needs at least one line",
            ));
        }
        let mut quantities = Vec::new();
        for (i, l) in input.lines.iter().enumerate() {
            let q = parse_quantity(&format!("lines[{i}].quantity"), &l.quantity)?;
            if quantities.iter().any(|(n, _)| *n == l.po_line_number) {
                return Err(AppError::invalid(
                    &format!("lines[{i}].po_line_number"),
                    "is repeated",
                ));
            }
            quantities.push((l.po_line_number, q));
        }
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            // The PO row lock serialises receipts of one order: two concurrent receipts cannot
            // both read the old cumulative quantity and jointly exceed the order.
            let po = store::lock_po(conn, po_id).await?.ok_or_else(|| AppError::invalid("po_id", "no such purchase order"))?;
            if po.status == "cancelled" {
                return Err(AppError::Precondition("Goods cannot be received against a cancelled purchase order.".into()));
            }
            let po_lines = store::po_lines_of(conn, &[po_id]).await?;
            let received: HashMap<Uuid, Decimal> = store::received_quantities(conn, &[po_id]).await?.into_iter().collect();
            let over_receipt = crate::store::matching::over_receipt_tolerance(conn).await?;
            let mut targets = Vec::with_capacity(quantities.len());
            for (i, (line_number, qty)) in quantities.iter().enumerate() {
                let line = po_lines
                    .iter()
                    .find(|l| l.line_number == *line_number)
                    .ok_or_else(|| AppError::invalid(&format!("lines[{i}].po_line_number"), "no such line on the purchase order"))?;
                let already = received.get(&line.id).copied().unwrap_or_default();
                if !receipt_fits(line.quantity, already, *qty, over_receipt) {
                    return Err(AppError::invalid(
                        &format!("lines[{i}].quantity"),
                        format!(
                            "would bring line {} to {} received, more than the {} ordered",
                            line.line_number,
                            (already + *qty).normalize(),
                            line.quantity.normalize()
                        ),
                    ));
                }
                targets.push((line.id, *qty));
            }
            let receipt = store::insert_receipt(conn, &number, po_id, received_at).await?;
            for (line_id, qty) in targets {
                store::upsert_receipt_line(conn, receipt.id, line_id, qty).await?;
            }
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(caller.actor(), "goods_receipt_created", "goods_receipt", Some(receipt.id.to_string()))
                    .after(json!({"receipt_number": number, "po_number": po.po_number, "lines": quantities.len()})),
            )
            .await?;
            Ok(self.receipt_views(conn, vec![receipt]).await?.remove(0))
        })
        .await
    }

    pub async fn get_goods_receipt(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<ReceiptView, AppError> {
        caller.require(STAFF)?;
        let mut conn = self.conn().await?;
        let r = store::find_receipt(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound("goods receipt"))?;
        Ok(self.receipt_views(&mut conn, vec![r]).await?.remove(0))
    }

    pub async fn list_goods_receipts(
        &self,
        caller: &Caller,
        after: Option<super::Keyset>,
        limit: u32,
        po_id: Option<Uuid>,
    ) -> Result<(Vec<ReceiptView>, Option<super::Keyset>), AppError> {
        caller.require(STAFF)?;
        let limit = page_limit(limit);
        let mut conn = self.conn().await?;
        let mut rows = store::list_receipts(&mut conn, after, limit + 1, po_id).await?;
        let next = if rows.len() as i64 > limit {
            rows.pop();
            rows.last().map(|r| (r.created_at, r.id))
        } else {
            None
        };
        Ok((self.receipt_views(&mut conn, rows).await?, next))
    }
}
