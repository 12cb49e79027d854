//! `Idempotency-Key` for creating RPCs, the same in every service: the first successful
//! response is stored (encoded) per (key, caller) in the service's `idempotency_keys` table
//! and replayed; the same key with a different request is refused, as is a second request
//! while the first still runs; a failed request releases its key so the client may correct
//! and retry. Keys are kept [`RETENTION_HOURS`]; afterwards the key is new again.

use std::future::Future;

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
pub use prost::Message;
use sha2::{Digest, Sha256};
use tonic::metadata::MetadataMap;
use uuid::Uuid;

use crate::db::{DbError, DbPool};

/// The gRPC metadata key the gateway forwards the `Idempotency-Key` header in.
pub const METADATA_KEY: &str = "idempotency-key";

/// How long a key is remembered: a retry within this window replays, a later one is new.
pub const RETENTION_HOURS: i64 = 24;

/// An unfinished claim older than this belonged to a process that died: it may be taken over.
const STALE_SECS: i64 = 120;

/// Expired keys deleted per keyed request, so the purge never holds a request up for long.
const PURGE_BATCH: i64 = 100;

const PKEY: &str = "idempotency_keys_pkey";

/// Client-facing texts; the gateway passes them through.
pub const DIFFERENT_REQUEST: &str =
    "This Idempotency-Key was already used for a different request.";
pub const IN_PROGRESS: &str = "A request with this Idempotency-Key is still in progress.";
pub const INVALID_KEY: &str = "must be 1 to 255 visible ASCII characters";

diesel::table! {
    idempotency_keys (key, user_id) {
        key -> Text,
        user_id -> Uuid,
        operation -> Text,
        request_hash -> Text,
        response -> Nullable<Bytea>,
        created_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
    }
}

use idempotency_keys as k;

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error("invalid idempotency key")]
    InvalidKey,
    #[error("idempotency key reused for a different request")]
    DifferentRequest,
    #[error("request with this idempotency key in progress")]
    InProgress,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("stored response does not decode")]
    Decode(#[from] prost::DecodeError),
}

impl From<diesel::result::Error> for IdempotencyError {
    fn from(e: diesel::result::Error) -> Self {
        IdempotencyError::Db(DbError::Query(e))
    }
}

/// Services answer with these codes; the gateway turns both refusals into 409 and an invalid
/// key into 400 naming the header.
impl From<IdempotencyError> for tonic::Status {
    fn from(e: IdempotencyError) -> Self {
        match e {
            IdempotencyError::InvalidKey => {
                let mut status =
                    tonic::Status::invalid_argument(format!("Idempotency-Key: {INVALID_KEY}."));
                let errors =
                    serde_json::json!([{"field": "Idempotency-Key", "message": INVALID_KEY}]);
                status.metadata_mut().insert_bin(
                    "x-ap-field-errors-bin",
                    tonic::metadata::MetadataValue::from_bytes(errors.to_string().as_bytes()),
                );
                status
            }
            IdempotencyError::DifferentRequest => tonic::Status::already_exists(DIFFERENT_REQUEST),
            IdempotencyError::InProgress => tonic::Status::aborted(IN_PROGRESS),
            IdempotencyError::Db(e) if e.is_unavailable() => crate::grpc::unavailable(e),
            IdempotencyError::Db(e) => crate::grpc::internal(e),
            IdempotencyError::Decode(e) => crate::grpc::internal(e),
        }
    }
}

/// 1 to 255 visible ASCII characters (spaces inside allowed, none around).
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 255
        && key.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
        && key.trim() == key
}

/// The key a request carries, if any; a malformed one is refused rather than ignored.
pub fn key_from_metadata(md: &MetadataMap) -> Result<Option<String>, IdempotencyError> {
    match md.get(METADATA_KEY) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .filter(|k| valid_key(k))
            .map(|k| Some(k.to_owned()))
            .ok_or(IdempotencyError::InvalidKey),
    }
}

/// Hashes a request incrementally: the operation first, then each part length-prefixed, so
/// `("ab", "c")` and `("a", "bc")` differ.
pub struct RequestHasher(Sha256);

impl RequestHasher {
    pub fn new(operation: &str) -> Self {
        let mut h = Sha256::new();
        h.update(operation.as_bytes());
        h.update([0]);
        Self(h)
    }

    pub fn part(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
        self
    }

    pub fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

/// The hash of a unary request: its operation and encoded message.
pub fn message_hash<M: Message>(operation: &str, request: &M) -> String {
    // Unprefixed, as the payment service hashed its keys before this module existed, so
    // keys stored then still replay.
    let mut h = Sha256::new();
    h.update(operation.as_bytes());
    h.update([0]);
    h.update(request.encode_to_vec());
    hex::encode(h.finalize())
}

/// One keyed request: who may replay it and what it was.
#[derive(Clone, Debug)]
pub struct Keyed<'a> {
    pub key: &'a str,
    /// The caller the key belongs to: a user id, or a vendor id on portal calls.
    pub scope: Uuid,
    pub operation: &'a str,
    pub request_hash: &'a str,
}

/// Runs `work` at most once per key: without a key it simply runs; with one, the stored
/// response of an earlier identical request is decoded and returned instead.
pub async fn run<Resp, E, Fut>(
    pool: &DbPool,
    keyed: Option<Keyed<'_>>,
    work: impl FnOnce() -> Fut,
) -> Result<Resp, E>
where
    Resp: Message + Default,
    E: From<IdempotencyError>,
    Fut: Future<Output = Result<Resp, E>>,
{
    let Some(keyed) = keyed else {
        return work().await;
    };
    if !valid_key(keyed.key) {
        return Err(IdempotencyError::InvalidKey.into());
    }
    if let Some(replay) = claim(pool, &keyed).await? {
        tracing::info!(operation = keyed.operation, "idempotent replay");
        return Ok(Resp::decode(replay.as_slice()).map_err(IdempotencyError::from)?);
    }
    let result = work().await;
    let mut conn = crate::db::conn(pool)
        .await
        .map_err(IdempotencyError::from)?;
    let stored = match &result {
        Ok(resp) => complete(&mut conn, keyed.key, keyed.scope, &resp.encode_to_vec()).await,
        Err(_) => release(&mut conn, keyed.key, keyed.scope).await,
    };
    stored.map_err(IdempotencyError::from)?;
    result
}

/// Claims the key (`None`: go ahead) or returns the stored response of an identical request.
async fn claim(pool: &DbPool, keyed: &Keyed<'_>) -> Result<Option<Vec<u8>>, IdempotencyError> {
    let mut conn = crate::db::conn(pool).await?;
    let conn = &mut *conn;
    purge_expired(conn, keyed.key, keyed.scope).await?;
    let inserted = diesel::insert_into(k::table)
        .values((
            k::key.eq(keyed.key),
            k::user_id.eq(keyed.scope),
            k::operation.eq(keyed.operation),
            k::request_hash.eq(keyed.request_hash),
        ))
        .execute(conn)
        .await
        .map_err(DbError::Query);
    match inserted {
        Ok(_) => return Ok(None),
        Err(e) if e.unique_violation() == Some(PKEY) => {}
        Err(e) => return Err(e.into()),
    }
    let existing: Option<(String, String, Option<Vec<u8>>)> = k::table
        .find((keyed.key, keyed.scope))
        .select((k::operation, k::request_hash, k::response))
        .first(conn)
        .await
        .optional()?;
    // Released between our insert and this read: the client retries into a fresh claim.
    let Some((operation, hash, response)) = existing else {
        return Err(IdempotencyError::InProgress);
    };
    if operation != keyed.operation || hash != keyed.request_hash {
        return Err(IdempotencyError::DifferentRequest);
    }
    match response {
        Some(bytes) => Ok(Some(bytes)),
        None if reclaim_stale(conn, keyed.key, keyed.scope).await? => Ok(None),
        None => Err(IdempotencyError::InProgress),
    }
}

/// Forgets this caller's key once past retention, and a batch of other expired keys.
async fn purge_expired(conn: &mut AsyncPgConnection, key: &str, scope: Uuid) -> QueryResult<()> {
    let cutoff = Utc::now() - chrono::Duration::hours(RETENTION_HOURS);
    diesel::delete(k::table.find((key, scope)).filter(k::created_at.lt(cutoff)))
        .execute(conn)
        .await?;
    let batch = k::table
        .filter(k::created_at.lt(cutoff))
        .select((k::key, k::user_id))
        .order(k::created_at)
        .limit(PURGE_BATCH)
        .load::<(String, Uuid)>(conn)
        .await?;
    for (key, user) in batch {
        diesel::delete(k::table.find((key, user)).filter(k::created_at.lt(cutoff)))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Takes over a claim whose request never finished (its process died).
async fn reclaim_stale(conn: &mut AsyncPgConnection, key: &str, scope: Uuid) -> QueryResult<bool> {
    let cutoff = Utc::now() - chrono::Duration::seconds(STALE_SECS);
    diesel::update(
        k::table
            .find((key, scope))
            .filter(k::response.is_null())
            .filter(k::created_at.lt(cutoff)),
    )
    .set(k::created_at.eq(Utc::now()))
    .execute(conn)
    .await
    .map(|n| n == 1)
}

async fn complete(
    conn: &mut AsyncPgConnection,
    key: &str,
    scope: Uuid,
    response: &[u8],
) -> QueryResult<usize> {
    diesel::update(k::table.find((key, scope)).filter(k::response.is_null()))
        .set((k::response.eq(response), k::completed_at.eq(Utc::now())))
        .execute(conn)
        .await
}

/// Releases an unfinished claim after a refusal, so the same key can be used again.
async fn release(conn: &mut AsyncPgConnection, key: &str, scope: Uuid) -> QueryResult<usize> {
    diesel::delete(k::table.find((key, scope)).filter(k::response.is_null()))
        .execute(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert!(valid_key("a"));
        assert!(valid_key("pay INV-7 2026-01-02"));
        assert!(valid_key(&"k".repeat(255)));
        assert!(!valid_key(""));
        assert!(!valid_key(&"k".repeat(256)));
        assert!(!valid_key(" padded "));
        assert!(!valid_key("tab\there"));
        assert!(!valid_key("naïve"));
    }

    #[test]
    fn a_missing_key_is_none_and_a_bad_one_is_refused() {
        let mut md = MetadataMap::new();
        assert!(matches!(key_from_metadata(&md), Ok(None)));
        md.insert(METADATA_KEY, "k-1".parse().expect("ascii"));
        assert_eq!(
            key_from_metadata(&md).ok().flatten().as_deref(),
            Some("k-1")
        );
        md.insert(METADATA_KEY, " k-1".parse().expect("ascii"));
        assert!(matches!(
            key_from_metadata(&md),
            Err(IdempotencyError::InvalidKey)
        ));
    }

    #[test]
    fn request_hashes_separate_operations_and_part_boundaries() {
        let h = |op: &str, parts: &[&[u8]]| {
            let mut h = RequestHasher::new(op);
            for p in parts {
                h.part(p);
            }
            h.finish()
        };
        assert_eq!(h("a", &[b"xy"]), h("a", &[b"xy"]));
        assert_ne!(h("a", &[b"xy"]), h("b", &[b"xy"]));
        assert_ne!(h("a", &[b"x", b"y"]), h("a", &[b"xy"]));
        assert_ne!(h("a", &[b"xy"]), h("a", &[b"xz"]));
    }

    #[test]
    fn refusals_map_to_conflict_codes_and_a_bad_key_to_invalid_argument() {
        let s = tonic::Status::from(IdempotencyError::DifferentRequest);
        assert_eq!(s.code(), tonic::Code::AlreadyExists);
        assert_eq!(s.message(), DIFFERENT_REQUEST);
        let s = tonic::Status::from(IdempotencyError::InProgress);
        assert_eq!(s.code(), tonic::Code::Aborted);
        let s = tonic::Status::from(IdempotencyError::InvalidKey);
        assert_eq!(s.code(), tonic::Code::InvalidArgument);
        assert!(s.metadata().get_bin("x-ap-field-errors-bin").is_some());
    }
}
