//! The vendor's view of its invoices: only the columns a vendor may see, always filtered by
//! the vendor, with whether a dispute of it is still open, one statement per page.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{
    BigInt, Bool, Date, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

#[derive(Clone, Debug, QueryableByName)]
pub struct PortalInvoiceRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub invoice_number: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub invoice_date: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    pub due_date: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    pub currency: Option<String>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub total_amount: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub amount_due: Option<Decimal>,
    #[diesel(sql_type = Nullable<Text>)]
    pub payment_status: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub payment_date: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    pub payment_reference: Option<String>,
    #[diesel(sql_type = Bool)]
    pub disputed: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

fn select(filter: &str) -> String {
    format!(
        "SELECT i.id, i.status, i.invoice_number, i.invoice_date, i.due_date, \
         i.currency::text AS currency, i.total_amount, i.amount_due, i.payment_status, \
         i.payment_date, i.payment_reference, \
         EXISTS (SELECT 1 FROM exceptions e WHERE e.invoice_id = i.id AND e.code = 'VENDOR_DISPUTE' \
                 AND e.status IN ('open', 'in_progress', 'escalated')) AS disputed, \
         i.created_at, i.updated_at \
         FROM invoices i WHERE i.deleted_at IS NULL AND i.vendor_id = $1 AND {filter}"
    )
}

/// One page of the vendor's invoices, newest first, after the `(created_at, id)` keyset.
pub async fn list_vendor_invoices(
    conn: &mut AsyncPgConnection,
    vendor_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> diesel::QueryResult<Vec<PortalInvoiceRow>> {
    diesel::sql_query(select(
        "($2::timestamptz IS NULL OR (i.created_at, i.id) < ($2, $3)) \
         ORDER BY i.created_at DESC, i.id DESC LIMIT $4",
    ))
    .bind::<SqlUuid, _>(vendor_id)
    .bind::<Nullable<Timestamptz>, _>(after.map(|a| a.0))
    .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.1))
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// The vendor's invoice `id`; None when missing, deleted or another vendor's (alike).
pub async fn find_vendor_invoice(
    conn: &mut AsyncPgConnection,
    vendor_id: Uuid,
    id: Uuid,
) -> diesel::QueryResult<Option<PortalInvoiceRow>> {
    use diesel::OptionalExtension;
    diesel::sql_query(select("i.id = $2"))
        .bind::<SqlUuid, _>(vendor_id)
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .await
        .optional()
}
