//! Payment claims: a payment run's hold on the invoices it is about to pay. The candidates
//! are read under `FOR UPDATE` (the vendors' current accounts under `FOR SHARE`) so the checks
//! and the claim happen against rows nobody else can change meanwhile.
//! The claim columns are read and written only here, in SQL (see the note in `schema.rs`).

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, Integer, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

/// An invoice as the claim checks it.
#[derive(Clone, Debug, QueryableByName)]
pub struct ClaimCandidate {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub currency: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub vendor_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub amount_due: Option<Decimal>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub payment_claim_run_id: Option<Uuid>,
    /// What the decision approved (`approved_at` set), for invoices approved since it is recorded.
    #[diesel(sql_type = Nullable<Numeric>)]
    pub approved_amount: Option<Decimal>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub approved_bank_account_id: Option<Uuid>,
    /// Active vendor disputes (`VENDOR_DISPUTE` open, in progress or escalated).
    #[diesel(sql_type = Integer)]
    pub disputes: i32,
    /// Other open, in-progress or escalated exceptions of severity high or critical.
    #[diesel(sql_type = Integer)]
    pub blocking: i32,
}

/// Locks the live invoices among `ids` in id order (the order every batch of this service
/// locks in, so concurrent batches cannot deadlock).
pub async fn lock_candidates(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> diesel::QueryResult<Vec<ClaimCandidate>> {
    diesel::sql_query(
        "SELECT i.id, i.status, i.currency::text AS currency, i.vendor_id, i.amount_due, \
         i.payment_claim_run_id, i.approved_amount, i.approved_bank_account_id, \
         (SELECT count(*) FROM exceptions e WHERE e.invoice_id = i.id \
            AND e.status IN ('open', 'in_progress', 'escalated') \
            AND e.code = 'VENDOR_DISPUTE')::int AS disputes, \
         (SELECT count(*) FROM exceptions e WHERE e.invoice_id = i.id \
            AND e.status IN ('open', 'in_progress', 'escalated') \
            AND e.code <> 'VENDOR_DISPUTE' AND e.severity IN ('high', 'critical'))::int AS blocking \
         FROM invoices i WHERE i.id = ANY($1) AND i.deleted_at IS NULL ORDER BY i.id FOR UPDATE",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)
    .await
}

#[derive(Clone, Debug, QueryableByName)]
pub struct CurrentAccount {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub vendor_id: Uuid,
    #[diesel(sql_type = Text)]
    pub status: String,
}

/// The vendors' current accounts, share-locked: a change or verification of one waits for
/// the claim to commit.
pub async fn lock_current_accounts(
    conn: &mut AsyncPgConnection,
    vendor_ids: &[Uuid],
) -> diesel::QueryResult<Vec<CurrentAccount>> {
    diesel::sql_query(
        "SELECT id, vendor_id, status FROM vendor_bank_accounts \
         WHERE vendor_id = ANY($1) AND is_current ORDER BY id FOR SHARE",
    )
    .bind::<Array<SqlUuid>, _>(vendor_ids)
    .load(conn)
    .await
}

/// Claims `ids` (locked and checked) for the run.
pub async fn set_claims(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
    run_id: Uuid,
    run_reference: &str,
) -> diesel::QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::sql_query(
        "UPDATE invoices SET payment_claim_run_id = $2, payment_claimed_at = now(), \
         payment_claim_run_reference = $3, updated_at = now() WHERE id = ANY($1)",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<SqlUuid, _>(run_id)
    .bind::<Text, _>(run_reference)
    .execute(conn)
    .await
}

#[derive(Clone, Debug, QueryableByName)]
pub struct Released {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
}

/// Drops the run's claims on `ids` (every claim of the run when `ids` is `None`); returns the
/// invoices released.
pub async fn release_claims(
    conn: &mut AsyncPgConnection,
    run_id: Uuid,
    ids: Option<&[Uuid]>,
) -> diesel::QueryResult<Vec<Uuid>> {
    let rows: Vec<Released> = diesel::sql_query(
        "UPDATE invoices SET payment_claim_run_id = NULL, payment_claimed_at = NULL, \
         payment_claim_run_reference = NULL, updated_at = now() \
         WHERE payment_claim_run_id = $1 AND ($2::uuid[] IS NULL OR id = ANY($2)) RETURNING id",
    )
    .bind::<SqlUuid, _>(run_id)
    .bind::<Nullable<Array<SqlUuid>>, _>(ids)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

#[derive(Clone, Debug, QueryableByName)]
struct ClaimColumns {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    run_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    run_reference: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    claimed_at: Option<DateTime<Utc>>,
}

/// The select list that reads an invoice's claim as [`ClaimColumns`].
const CLAIM_COLUMNS: &str = "SELECT payment_claim_run_id AS run_id, \
     payment_claim_run_reference AS run_reference, payment_claimed_at AS claimed_at FROM invoices";

impl ClaimColumns {
    /// The claim these columns hold, if any (a run id and a claim time).
    fn into_claim(self) -> Option<Claim> {
        Some(Claim {
            run_id: self.run_id?,
            run_reference: self.run_reference,
            claimed_at: self.claimed_at?,
        })
    }
}

/// A run's claim on an invoice.
#[derive(Clone, Debug)]
pub struct Claim {
    pub run_id: Uuid,
    pub run_reference: Option<String>,
    pub claimed_at: DateTime<Utc>,
}

/// The claim on one invoice, if any. Locks the invoice either way, so no claim can start
/// before the caller's change commits.
pub async fn find_claim_for_update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> diesel::QueryResult<Option<Claim>> {
    use diesel::OptionalExtension;
    let row: Option<ClaimColumns> =
        diesel::sql_query(format!("{CLAIM_COLUMNS} WHERE id = $1 FOR UPDATE"))
            .bind::<SqlUuid, _>(id)
            .get_result(conn)
            .await
            .optional()?;
    Ok(row.and_then(ClaimColumns::into_claim))
}

/// A claim on any live invoice of the vendor, if there is one.
pub async fn find_vendor_claim(
    conn: &mut AsyncPgConnection,
    vendor_id: Uuid,
) -> diesel::QueryResult<Option<Claim>> {
    use diesel::OptionalExtension;
    let row: Option<ClaimColumns> = diesel::sql_query(format!(
        "{CLAIM_COLUMNS} \
         WHERE vendor_id = $1 AND payment_claim_run_id IS NOT NULL AND deleted_at IS NULL LIMIT 1"
    ))
    .bind::<SqlUuid, _>(vendor_id)
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.and_then(ClaimColumns::into_claim))
}
