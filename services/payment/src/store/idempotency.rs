//! `Idempotency-Key` records: claimed before the work, completed with the encoded response.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::idempotency_keys as k;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = k, check_for_backend(diesel::pg::Pg))]
pub struct IdempotencyRow {
    pub key: String,
    pub user_id: Uuid,
    pub operation: String,
    pub request_hash: String,
    pub response: Option<Vec<u8>>,
    pub created_at: chrono::DateTime<Utc>,
    pub completed_at: Option<chrono::DateTime<Utc>>,
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    key: &str,
    user: Uuid,
) -> QueryResult<Option<IdempotencyRow>> {
    k::table
        .find((key, user))
        .select(IdempotencyRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Claims `key` for `user`; a unique violation means someone already did.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    key: &str,
    user: Uuid,
    operation: &str,
    request_hash: &str,
) -> QueryResult<()> {
    diesel::insert_into(k::table)
        .values((
            k::key.eq(key),
            k::user_id.eq(user),
            k::operation.eq(operation),
            k::request_hash.eq(request_hash),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Takes over a claim whose request never finished (its process died) after `stale_secs`.
pub async fn reclaim_stale(
    conn: &mut AsyncPgConnection,
    key: &str,
    user: Uuid,
    stale_secs: i64,
) -> QueryResult<bool> {
    let cutoff = Utc::now() - chrono::Duration::seconds(stale_secs);
    diesel::update(
        k::table
            .find((key, user))
            .filter(k::response.is_null())
            .filter(k::created_at.lt(cutoff)),
    )
    .set(k::created_at.eq(Utc::now()))
    .execute(conn)
    .await
    .map(|n| n == 1)
}

pub async fn complete(
    conn: &mut AsyncPgConnection,
    key: &str,
    user: Uuid,
    response: &[u8],
) -> QueryResult<usize> {
    diesel::update(k::table.find((key, user)).filter(k::response.is_null()))
        .set((k::response.eq(response), k::completed_at.eq(Utc::now())))
        .execute(conn)
        .await
}

/// Releases an unfinished claim after a refusal, so the same key can be used again.
pub async fn release(conn: &mut AsyncPgConnection, key: &str, user: Uuid) -> QueryResult<usize> {
    diesel::delete(k::table.find((key, user)).filter(k::response.is_null()))
        .execute(conn)
        .await
}
