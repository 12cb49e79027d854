//! Conversations on invoices: insert, read in order (all for staff, vendor-facing only for
//! the vendor), mark the vendor's messages read, and the unread counts of a page of invoices
//! in one statement.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::invoice_messages;

pub const INBOUND: &str = "inbound";
pub const OUTBOUND: &str = "outbound";

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = invoice_messages, check_for_backend(diesel::pg::Pg))]
pub struct MessageRow {
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub direction: String,
    pub internal: bool,
    pub body: String,
    pub author_id: Option<Uuid>,
    pub author_email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Insertable)]
#[diesel(table_name = invoice_messages)]
pub struct NewMessage<'a> {
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub direction: &'a str,
    pub internal: bool,
    pub body: &'a str,
    pub author_id: Option<Uuid>,
    pub author_email: Option<&'a str>,
}

pub async fn insert_message(
    conn: &mut AsyncPgConnection,
    new: NewMessage<'_>,
) -> QueryResult<MessageRow> {
    diesel::insert_into(invoice_messages::table)
        .values(new)
        .returning(MessageRow::as_returning())
        .get_result(conn)
        .await
}

/// A page of the conversation of an invoice, oldest first, after the `(created_at, id)`
/// keyset; `vendor_view` leaves internal notes out.
pub async fn messages_of(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
    vendor_view: bool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    use invoice_messages::dsl as m;
    let mut q = invoice_messages::table
        .filter(m::invoice_id.eq(invoice_id))
        .order((m::created_at, m::id))
        .select(MessageRow::as_select())
        .limit(limit)
        .into_boxed();
    if vendor_view {
        q = q.filter(m::internal.eq(false));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            m::created_at
                .gt(at)
                .or(m::created_at.eq(at).and(m::id.gt(id))),
        );
    }
    q.load(conn).await
}

/// Staff opened the conversation: the vendor's messages so far are read.
pub async fn mark_inbound_read(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
) -> QueryResult<usize> {
    diesel::update(
        invoice_messages::table
            .filter(invoice_messages::invoice_id.eq(invoice_id))
            .filter(invoice_messages::direction.eq(INBOUND))
            .filter(invoice_messages::read_at.is_null()),
    )
    .set(invoice_messages::read_at.eq(Utc::now()))
    .execute(conn)
    .await
}

#[derive(QueryableByName)]
struct UnreadRow {
    #[diesel(sql_type = SqlUuid)]
    invoice_id: Uuid,
    #[diesel(sql_type = BigInt)]
    unread: i64,
}

/// Unread vendor messages of every invoice in `ids`, in ONE statement for the whole page (no
/// query per row); invoices without unread messages are absent from the map.
pub async fn unread_counts(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, i64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<UnreadRow> = diesel::sql_query(
        "SELECT invoice_id, count(*) AS unread FROM invoice_messages \
         WHERE invoice_id = ANY($1) AND direction = 'inbound' AND read_at IS NULL \
         GROUP BY invoice_id",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.invoice_id, r.unread)).collect())
}
