//! `Idempotency-Key` for mutations: the first successful response is stored per (key, user)
//! and replayed byte for byte; a key reused for a different request is refused; a refusal
//! releases the key so the client may correct and retry.

use ap_kit::db::DbError;
use prost::Message;
use sha2::{Digest, Sha256};

use super::{AppError, Caller, PaymentApp};
use crate::store::constraints::IDEMPOTENCY_KEYS_PKEY;
use crate::store::idempotency as store;

/// An unfinished claim older than this belonged to a process that died: it may be taken over
/// (the work itself is exactly-once by database constraints, so redoing it is safe).
const STALE_SECS: i64 = 120;

impl PaymentApp {
    /// Runs `work` at most once per `Idempotency-Key` of the caller.
    pub async fn idempotent<Req, Resp, Fut>(
        &self,
        caller: &Caller,
        operation: &str,
        request: &Req,
        work: impl FnOnce() -> Fut,
    ) -> Result<Resp, AppError>
    where
        Req: Message,
        Resp: Message + Default,
        Fut: Future<Output = Result<Resp, AppError>>,
    {
        let Some(key) = caller.idempotency_key.clone() else {
            return work().await;
        };
        if key.is_empty() || key.len() > 255 || !key.is_ascii() {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "must be 1 to 255 ASCII characters",
            ));
        }
        let user = caller.user_id();
        let mut hasher = Sha256::new();
        hasher.update(operation.as_bytes());
        hasher.update([0]);
        hasher.update(request.encode_to_vec());
        let hash = hex::encode(hasher.finalize());
        let mut conn = self.conn().await?;
        match store::claim(&mut conn, &key, user, operation, &hash)
            .await
            .map_err(DbError::Query)
        {
            Ok(()) => {}
            Err(e) if e.unique_violation() == Some(IDEMPOTENCY_KEYS_PKEY) => {
                let existing = store::find(&mut conn, &key, user)
                    .await?
                    .ok_or_else(|| AppError::Conflict("Idempotency-Key conflict; retry.".into()))?;
                if existing.operation != operation || existing.request_hash != hash {
                    return Err(AppError::Conflict(
                        "This Idempotency-Key was already used for a different request.".into(),
                    ));
                }
                match existing.response {
                    Some(bytes) => {
                        tracing::info!(operation, "idempotent replay");
                        return Resp::decode(bytes.as_slice())
                            .map_err(|e| AppError::Unexpected(e.into()));
                    }
                    None if store::reclaim_stale(&mut conn, &key, user, STALE_SECS).await? => {}
                    None => {
                        return Err(AppError::Conflict(
                            "A request with this Idempotency-Key is still in progress.".into(),
                        ));
                    }
                }
            }
            Err(e) => return Err(e.into()),
        }
        drop(conn);
        let result = work().await;
        let mut conn = self.conn().await?;
        match &result {
            Ok(resp) => {
                store::complete(&mut conn, &key, user, &resp.encode_to_vec()).await?;
            }
            Err(_) => {
                store::release(&mut conn, &key, user).await?;
            }
        }
        result
    }
}
