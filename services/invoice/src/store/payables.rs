//! What the payment service asks of invoices: approved invoices with their blocking
//! exceptions and the vendor's current bank account, batched status compare-and-sets, the
//! paid transition with its payment fields, and the encrypted bank details of vendors.

use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::sql_types::{
    Array, Bool, Bytea, Date, Integer, Nullable, Numeric, Text, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

/// Open, in-progress or escalated exceptions of severity high or critical, and active vendor
/// disputes whatever their severity, block payment (`domain::exceptions::is_blocking`).
const BLOCKING: &str = "(SELECT count(*) FROM exceptions e WHERE e.invoice_id = i.id \
     AND e.status IN ('open', 'in_progress', 'escalated') \
     AND (e.severity IN ('high', 'critical') OR e.code = 'VENDOR_DISPUTE'))::int";

#[derive(Clone, Debug, QueryableByName)]
pub struct PayableRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub invoice_number: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub vendor_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub vendor_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub currency: Option<String>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub total_amount: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub amount_due: Option<Decimal>,
    #[diesel(sql_type = Nullable<Date>)]
    pub invoice_date: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    pub due_date: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    pub payment_terms: Option<String>,
    #[diesel(sql_type = Integer)]
    pub blocking_exceptions: i32,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub account_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub account_kind: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub account_status: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub account_is_initial: Option<bool>,
    #[diesel(sql_type = Nullable<Text>)]
    pub account_last4: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub payment_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub payment_status: Option<String>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub approved_amount: Option<Decimal>,
    #[diesel(sql_type = Nullable<Text>)]
    pub approved_currency: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub approved_vendor_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub approved_bank_account_id: Option<Uuid>,
}

fn payable_select(filter: &str) -> String {
    format!(
        "SELECT i.id, i.status, i.invoice_number, i.vendor_id, COALESCE(v.name, i.vendor_name) AS vendor_name, \
         i.currency, i.total_amount, i.amount_due, i.invoice_date, i.due_date, \
         COALESCE(NULLIF(btrim(i.payment_terms), ''), v.payment_terms) AS payment_terms, \
         {BLOCKING} AS blocking_exceptions, \
         b.id AS account_id, b.kind AS account_kind, b.status AS account_status, \
         b.is_initial AS account_is_initial, b.last4 AS account_last4, i.payment_id, i.payment_status, \
         i.approved_amount, i.approved_currency::text AS approved_currency, i.approved_vendor_id, \
         i.approved_bank_account_id \
         FROM invoices i \
         LEFT JOIN vendors v ON v.id = i.vendor_id \
         LEFT JOIN vendor_bank_accounts b ON b.vendor_id = i.vendor_id AND b.is_current \
         WHERE i.deleted_at IS NULL AND {filter}"
    )
}

/// Approved invoices in `currency`, in id order after `after`.
pub async fn list_payables(
    conn: &mut AsyncPgConnection,
    currency: &str,
    after: Option<Uuid>,
    limit: i64,
) -> diesel::QueryResult<Vec<PayableRow>> {
    diesel::sql_query(payable_select(
        "i.status = 'approved' AND i.currency = $1 AND ($2::uuid IS NULL OR i.id > $2) \
         ORDER BY i.id LIMIT $3",
    ))
    .bind::<Text, _>(currency)
    .bind::<Nullable<SqlUuid>, _>(after)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await
}

pub async fn find_payable(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> diesel::QueryResult<Option<PayableRow>> {
    use diesel::OptionalExtension;
    diesel::sql_query(payable_select("i.id = $1"))
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .await
        .optional()
}

#[derive(Clone, Debug, QueryableByName)]
pub struct LockedStatus {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub payment_id: Option<Uuid>,
}

/// Locks the live invoices among `ids` in id order (so concurrent batches cannot deadlock).
pub async fn lock_statuses(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> diesel::QueryResult<Vec<LockedStatus>> {
    diesel::sql_query(
        "SELECT id, status, payment_id FROM invoices WHERE id = ANY($1) AND deleted_at IS NULL \
         ORDER BY id FOR UPDATE",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)
    .await
}

/// Sets `status` on `ids` (already locked and checked); `payment_status` follows scheduling.
pub async fn set_statuses(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
    status: &str,
    payment_status: Option<&str>,
) -> diesel::QueryResult<usize> {
    diesel::sql_query(
        "UPDATE invoices SET status = $2, payment_status = $3, version = version + 1, \
         updated_at = now() WHERE id = ANY($1)",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Text, _>(status)
    .bind::<Nullable<Text>, _>(payment_status)
    .execute(conn)
    .await
}

/// One invoice to mark paid, with its payment fields.
pub struct PaidFields {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub date: NaiveDate,
    pub method: String,
    pub reference: Option<String>,
    /// What was paid (the settled amount less the discount) and the discount taken.
    pub amount_paid: Option<rust_decimal::Decimal>,
    pub discount_taken: rust_decimal::Decimal,
}

pub async fn set_paid(
    conn: &mut AsyncPgConnection,
    items: &[PaidFields],
) -> diesel::QueryResult<usize> {
    if items.is_empty() {
        return Ok(0);
    }
    diesel::sql_query(
        "UPDATE invoices i SET status = 'paid', payment_status = 'completed', \
         payment_id = u.payment_id, payment_date = u.payment_date, payment_method = u.method, \
         payment_reference = u.reference, version = i.version + 1, updated_at = now(), \
         payment_claim_run_id = NULL, payment_claimed_at = NULL, payment_claim_run_reference = NULL, \
         payment_amount_paid = u.amount_paid, payment_discount_taken = u.discount_taken \
         FROM UNNEST($1, $2, $3, $4, $5, $6, $7) \
              AS u(id, payment_id, payment_date, method, reference, amount_paid, discount_taken) \
         WHERE i.id = u.id",
    )
    .bind::<Array<SqlUuid>, _>(items.iter().map(|i| i.id).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(items.iter().map(|i| i.payment_id).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(items.iter().map(|i| i.date).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(items.iter().map(|i| i.method.clone()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        items
            .iter()
            .map(|i| i.reference.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<diesel::sql_types::Numeric>>, _>(
        items.iter().map(|i| i.amount_paid).collect::<Vec<_>>(),
    )
    .bind::<Array<diesel::sql_types::Numeric>, _>(
        items.iter().map(|i| i.discount_taken).collect::<Vec<_>>(),
    )
    .execute(conn)
    .await
}

#[derive(Clone, QueryableByName)]
pub struct EncryptedAccount {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub vendor_id: Uuid,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Bytea)]
    pub ciphertext: Vec<u8>,
    #[diesel(sql_type = Text)]
    pub status: String,
}

impl std::fmt::Debug for EncryptedAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedAccount")
            .field("id", &self.id)
            .field("vendor_id", &self.vendor_id)
            .finish_non_exhaustive()
    }
}

pub async fn current_accounts(
    conn: &mut AsyncPgConnection,
    vendor_ids: &[Uuid],
) -> diesel::QueryResult<Vec<EncryptedAccount>> {
    diesel::sql_query(
        "SELECT id, vendor_id, kind, ciphertext, status FROM vendor_bank_accounts \
         WHERE vendor_id = ANY($1) AND is_current",
    )
    .bind::<Array<SqlUuid>, _>(vendor_ids)
    .load(conn)
    .await
}

/// What paying an invoice re-checks against its approval record, read inside the paying
/// transaction after the invoices are locked.
#[derive(Clone, Debug, QueryableByName)]
pub struct PaymentFacts {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub total_amount: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub amount_due: Option<Decimal>,
    #[diesel(sql_type = Nullable<Text>)]
    pub currency: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub vendor_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub approved_amount: Option<Decimal>,
    #[diesel(sql_type = Nullable<Text>)]
    pub approved_currency: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub approved_vendor_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub approved_bank_account_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub current_bank_account_id: Option<Uuid>,
    #[diesel(sql_type = Integer)]
    pub blocking_exceptions: i32,
}

pub async fn payment_facts(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> diesel::QueryResult<Vec<PaymentFacts>> {
    diesel::sql_query(format!(
        "SELECT i.id, i.total_amount, i.amount_due, i.currency::text AS currency, i.vendor_id, \
         i.approved_amount, i.approved_currency::text AS approved_currency, i.approved_vendor_id, \
         i.approved_bank_account_id, \
         (SELECT b.id FROM vendor_bank_accounts b WHERE b.vendor_id = i.vendor_id AND b.is_current \
          LIMIT 1) AS current_bank_account_id, \
         {BLOCKING} AS blocking_exceptions \
         FROM invoices i WHERE i.id = ANY($1) AND i.deleted_at IS NULL"
    ))
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)
    .await
}

/// The payment facts of paid invoices: which payment, what it paid, the discount it took.
#[derive(Clone, Debug, QueryableByName)]
pub struct PaidAmounts {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub payment_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Numeric>)]
    pub amount_paid: Option<Decimal>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Numeric>)]
    pub discount_taken: Option<Decimal>,
}

#[derive(diesel::QueryableByName)]
pub struct RiskScore {
    #[diesel(sql_type = SqlUuid)]
    pub invoice_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub risk_score: i32,
}

/// The latest match run's risk score of a page of invoices, in one query; invoices never
/// matched are left out.
pub async fn risk_scores(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> diesel::QueryResult<Vec<RiskScore>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query("SELECT invoice_id, risk_score FROM match_results WHERE invoice_id = ANY($1)")
        .bind::<Array<SqlUuid>, _>(ids)
        .load(conn)
        .await
}

/// For a page of invoices, in one query; invoices without a payment are left out.
pub async fn paid_amounts(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> diesel::QueryResult<Vec<PaidAmounts>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query(
        "SELECT id, payment_id, payment_amount_paid AS amount_paid, \
                payment_discount_taken AS discount_taken \
         FROM invoices WHERE id = ANY($1) AND payment_id IS NOT NULL",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)
    .await
}
