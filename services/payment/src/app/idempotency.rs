//! `Idempotency-Key` for payment mutations, through the shared `ap_kit::idempotency`: the
//! first successful response is stored per (key, user) and replayed byte for byte; a key
//! reused for a different request is refused; a refusal releases the key so the client may
//! correct and retry.

use ap_kit::idempotency::{self, IdempotencyError, Keyed};
use prost::Message;

use super::{AppError, Caller, PaymentApp};

impl From<IdempotencyError> for AppError {
    fn from(e: IdempotencyError) -> Self {
        match e {
            IdempotencyError::InvalidKey => {
                AppError::invalid("Idempotency-Key", idempotency::INVALID_KEY)
            }
            IdempotencyError::DifferentRequest => {
                AppError::Conflict(idempotency::DIFFERENT_REQUEST.into())
            }
            IdempotencyError::InProgress => AppError::Conflict(idempotency::IN_PROGRESS.into()),
            IdempotencyError::Db(e) => e.into(),
            IdempotencyError::Decode(e) => AppError::Unexpected(e.into()),
        }
    }
}

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
        let hash = idempotency::message_hash(operation, request);
        let keyed = caller.idempotency_key.as_deref().map(|key| Keyed {
            key,
            scope: caller.user_id(),
            operation,
            request_hash: &hash,
        });
        idempotency::run(&self.inner.pool, keyed, work).await
    }
}
