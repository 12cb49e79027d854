//! Purchase orders, their lines, goods receipts and their lines.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::schema::{goods_receipts, po_lines, purchase_orders, receipt_lines};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = purchase_orders, check_for_backend(diesel::pg::Pg))]
pub struct PoRow {
    pub id: Uuid,
    pub po_number: String,
    pub vendor_id: Uuid,
    pub currency: String,
    pub status: String,
    pub order_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub match_type: String,
}

#[derive(Insertable, AsChangeset, Clone, Debug, PartialEq)]
#[diesel(table_name = purchase_orders, treat_none_as_null = true)]
pub struct PoData {
    pub po_number: String,
    pub vendor_id: Uuid,
    pub currency: String,
    pub status: String,
    pub order_date: Option<NaiveDate>,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = po_lines, check_for_backend(diesel::pg::Pg))]
pub struct PoLineRow {
    pub id: Uuid,
    pub po_id: Uuid,
    pub line_number: i32,
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub unit: Option<String>,
    pub gl_account: Option<String>,
    pub cost_centre: Option<String>,
}

#[derive(Insertable, AsChangeset, Clone, Debug, PartialEq)]
#[diesel(table_name = po_lines, treat_none_as_null = true)]
pub struct PoLineData {
    pub line_number: i32,
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub unit: Option<String>,
    pub gl_account: Option<String>,
    pub cost_centre: Option<String>,
}

impl PoLineData {
    pub fn of(row: &PoLineRow) -> Self {
        Self {
            line_number: row.line_number,
            description: row.description.clone(),
            quantity: row.quantity,
            unit_price: row.unit_price,
            unit: row.unit.clone(),
            gl_account: row.gl_account.clone(),
            cost_centre: row.cost_centre.clone(),
        }
    }
}

pub async fn insert_po(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    data: &PoData,
) -> QueryResult<PoRow> {
    diesel::insert_into(purchase_orders::table)
        .values((purchase_orders::id.eq(id), data.clone()))
        .returning(PoRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn update_po(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    data: &PoData,
) -> QueryResult<PoRow> {
    diesel::update(purchase_orders::table.find(id))
        .set((data.clone(), purchase_orders::updated_at.eq(Utc::now())))
        .returning(PoRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn insert_po_line(
    conn: &mut AsyncPgConnection,
    po_id: Uuid,
    data: &PoLineData,
) -> QueryResult<PoLineRow> {
    diesel::insert_into(po_lines::table)
        .values((
            po_lines::id.eq(Uuid::now_v7()),
            po_lines::po_id.eq(po_id),
            data.clone(),
        ))
        .returning(PoLineRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn update_po_line(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    data: &PoLineData,
) -> QueryResult<PoLineRow> {
    diesel::update(po_lines::table.find(id))
        .set(data.clone())
        .returning(PoLineRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn find_po(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<PoRow>> {
    purchase_orders::table
        .find(id)
        .select(PoRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find_po_by_number(
    conn: &mut AsyncPgConnection,
    po_number: &str,
    for_update: bool,
) -> QueryResult<Option<PoRow>> {
    let q = purchase_orders::table
        .filter(purchase_orders::po_number.eq(po_number))
        .select(PoRow::as_select());
    if for_update {
        q.for_update().first(conn).await.optional()
    } else {
        q.first(conn).await.optional()
    }
}

/// Locks a purchase order row (`SELECT ... FOR UPDATE`): receipts against one order, and the
/// match runs of its invoices, are serialised so no check is made on a stale sum.
pub async fn lock_po(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<PoRow>> {
    purchase_orders::table
        .find(id)
        .select(PoRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Quantity received on one PO line over every receipt except `except` (the receipt being
/// rewritten by an import, whose old quantity is replaced rather than added to).
pub async fn received_on_line(
    conn: &mut AsyncPgConnection,
    po_line_id: Uuid,
    except: Option<Uuid>,
) -> QueryResult<Decimal> {
    let mut q = receipt_lines::table
        .filter(receipt_lines::po_line_id.eq(po_line_id))
        .select(diesel::dsl::sum(receipt_lines::quantity))
        .into_boxed();
    if let Some(r) = except {
        q = q.filter(receipt_lines::receipt_id.ne(r));
    }
    Ok(q.first::<Option<Decimal>>(conn).await?.unwrap_or_default())
}

pub async fn po_lines_of(
    conn: &mut AsyncPgConnection,
    po_ids: &[Uuid],
) -> QueryResult<Vec<PoLineRow>> {
    po_lines::table
        .filter(po_lines::po_id.eq_any(po_ids))
        .order((po_lines::po_id, po_lines::line_number))
        .select(PoLineRow::as_select())
        .load(conn)
        .await
}

/// Received quantity per PO line, over every receipt.
pub async fn received_quantities(
    conn: &mut AsyncPgConnection,
    po_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, Decimal)>> {
    receipt_lines::table
        .inner_join(po_lines::table)
        .filter(po_lines::po_id.eq_any(po_ids))
        .group_by(receipt_lines::po_line_id)
        .select((
            receipt_lines::po_line_id,
            diesel::dsl::sum(receipt_lines::quantity),
        ))
        .load::<(Uuid, Option<Decimal>)>(conn)
        .await
        .map(|rows| {
            rows.into_iter()
                .map(|(id, q)| (id, q.unwrap_or_default()))
                .collect()
        })
}

pub async fn list_pos(
    conn: &mut AsyncPgConnection,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
    vendor_id: Option<Uuid>,
    statuses: &[String],
) -> QueryResult<Vec<PoRow>> {
    let mut q = purchase_orders::table
        .select(PoRow::as_select())
        .order((
            purchase_orders::created_at.desc(),
            purchase_orders::id.desc(),
        ))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            purchase_orders::created_at
                .lt(at)
                .or(purchase_orders::created_at
                    .eq(at)
                    .and(purchase_orders::id.lt(id))),
        );
    }
    if let Some(v) = vendor_id {
        q = q.filter(purchase_orders::vendor_id.eq(v));
    }
    if !statuses.is_empty() {
        q = q.filter(purchase_orders::status.eq_any(statuses.to_vec()));
    }
    q.load(conn).await
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = goods_receipts, check_for_backend(diesel::pg::Pg))]
pub struct ReceiptRow {
    pub id: Uuid,
    pub receipt_number: String,
    pub po_id: Uuid,
    pub received_at: NaiveDate,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = receipt_lines, check_for_backend(diesel::pg::Pg))]
pub struct ReceiptLineRow {
    pub id: Uuid,
    pub receipt_id: Uuid,
    pub po_line_id: Uuid,
    pub quantity: Decimal,
}

pub async fn insert_receipt(
    conn: &mut AsyncPgConnection,
    receipt_number: &str,
    po_id: Uuid,
    received_at: NaiveDate,
) -> QueryResult<ReceiptRow> {
    diesel::insert_into(goods_receipts::table)
        .values((
            goods_receipts::id.eq(Uuid::now_v7()),
            goods_receipts::receipt_number.eq(receipt_number),
            goods_receipts::po_id.eq(po_id),
            goods_receipts::received_at.eq(received_at),
        ))
        .returning(ReceiptRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn find_receipt(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<ReceiptRow>> {
    goods_receipts::table
        .find(id)
        .select(ReceiptRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find_receipt_by_number(
    conn: &mut AsyncPgConnection,
    number: &str,
) -> QueryResult<Option<ReceiptRow>> {
    goods_receipts::table
        .filter(goods_receipts::receipt_number.eq(number))
        .select(ReceiptRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn update_receipt(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    po_id: Uuid,
    received_at: NaiveDate,
) -> QueryResult<usize> {
    diesel::update(goods_receipts::table.find(id))
        .set((
            goods_receipts::po_id.eq(po_id),
            goods_receipts::received_at.eq(received_at),
        ))
        .execute(conn)
        .await
}

pub async fn list_receipts(
    conn: &mut AsyncPgConnection,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
    po_id: Option<Uuid>,
) -> QueryResult<Vec<ReceiptRow>> {
    let mut q = goods_receipts::table
        .select(ReceiptRow::as_select())
        .order((goods_receipts::created_at.desc(), goods_receipts::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            goods_receipts::created_at
                .lt(at)
                .or(goods_receipts::created_at
                    .eq(at)
                    .and(goods_receipts::id.lt(id))),
        );
    }
    if let Some(po) = po_id {
        q = q.filter(goods_receipts::po_id.eq(po));
    }
    q.load(conn).await
}

pub async fn receipt_lines_of(
    conn: &mut AsyncPgConnection,
    receipt_ids: &[Uuid],
) -> QueryResult<Vec<(ReceiptLineRow, i32)>> {
    receipt_lines::table
        .inner_join(po_lines::table)
        .filter(receipt_lines::receipt_id.eq_any(receipt_ids))
        .order((receipt_lines::receipt_id, po_lines::line_number))
        .select((ReceiptLineRow::as_select(), po_lines::line_number))
        .load(conn)
        .await
}

/// Inserts or updates a receipt line (one per PO line per receipt); true when it changed.
pub async fn upsert_receipt_line(
    conn: &mut AsyncPgConnection,
    receipt_id: Uuid,
    po_line_id: Uuid,
    quantity: Decimal,
) -> QueryResult<bool> {
    use diesel::sql_types::{Numeric, Uuid as SqlUuid};
    let changed = diesel::sql_query(
        "INSERT INTO receipt_lines (id, receipt_id, po_line_id, quantity) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (receipt_id, po_line_id) DO UPDATE SET quantity = EXCLUDED.quantity \
         WHERE receipt_lines.quantity IS DISTINCT FROM EXCLUDED.quantity",
    )
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<SqlUuid, _>(receipt_id)
    .bind::<SqlUuid, _>(po_line_id)
    .bind::<Numeric, _>(quantity)
    .execute(conn)
    .await?;
    Ok(changed > 0)
}

/// 2way or 3way (kept apart from `PoData`: CSV imports do not carry it and must not reset it).
pub async fn set_match_type(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    match_type: &str,
) -> QueryResult<()> {
    diesel::update(purchase_orders::table.find(id))
        .set(purchase_orders::match_type.eq(match_type))
        .execute(conn)
        .await?;
    Ok(())
}
