//! Use-cases of the Ask-AI service: authorization, the question pipeline (question check,
//! model, guard, read-only execution, answer), the question log and its audit rows. The gRPC
//! layer converts and calls these.

pub mod ask;
pub mod model;

use std::sync::Arc;

use ap_kit::audit::{Actor, RequestContext};
use ap_kit::config::AskAiSettings;
use ap_kit::db::{DbError, DbPool};
use ap_kit::token::{Principal, TokenVerifier};
use ap_types::Role;

/// Who may ask: analysts, admins and auditors (who read everything anyway).
pub const ASK: &[Role] = &[Role::ApAnalyst, Role::Admin, Role::Auditor];

/// Outcomes a client may see. The messages are the client's; reasons stay in the log.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("forbidden")]
    Forbidden,
    /// A question refused before any model call; the message is for the client.
    #[error("{0}")]
    InvalidQuestion(&'static str),
    #[error("no model is configured")]
    NotConfigured,
    #[error("the model cannot answer this question from the reporting views")]
    Unanswerable,
    /// The guard refused the model's SQL.
    #[error("generated SQL refused")]
    Refused,
    #[error("query timed out")]
    Timeout,
    #[error("query failed")]
    QueryFailed,
    #[error("the model is unavailable")]
    ModelUnavailable(#[source] anyhow::Error),
    #[error("a dependency is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            AppError::Unavailable(e.into())
        } else {
            AppError::Unexpected(e.into())
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        DbError::Query(e).into()
    }
}

/// Who is calling and from where.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    pub ctx: RequestContext,
}

impl Caller {
    pub fn require(&self, roles: &[Role]) -> Result<&Principal, AppError> {
        if roles.contains(&self.principal.role) {
            Ok(&self.principal)
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::User {
            id: self.principal.user_id,
            email: self.principal.email.clone(),
        }
    }
}

/// Shared state of the use-cases.
#[derive(Clone)]
pub struct AskAiApp {
    inner: Arc<Inner>,
}

struct Inner {
    pool: DbPool,
    verifier: TokenVerifier,
    llm: Option<ap_llm::Client>,
    settings: AskAiSettings,
}

impl AskAiApp {
    pub fn new(
        pool: DbPool,
        verifier: TokenVerifier,
        llm: Option<ap_llm::Client>,
        settings: AskAiSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                verifier,
                llm,
                settings,
            }),
        }
    }

    pub fn verifier(&self) -> &TokenVerifier {
        &self.inner.verifier
    }

    pub(crate) fn pool(&self) -> &DbPool {
        &self.inner.pool
    }

    pub(crate) fn llm(&self) -> Option<&ap_llm::Client> {
        self.inner.llm.as_ref()
    }

    pub(crate) fn settings(&self) -> &AskAiSettings {
        &self.inner.settings
    }
}
