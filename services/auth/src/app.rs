//! Use-cases of the auth service: transactions, authorization, audit. The gRPC layer calls
//! these and converts; nothing here knows about tonic beyond the error conversion.

mod portal;
mod sessions;
mod users;

use std::sync::Arc;

use ap_kit::audit::RequestContext;
use ap_kit::config::{LockoutPolicy, PortalSettings};
use ap_kit::db::{DbError, DbPool};
use ap_kit::token::{ServiceTokens, TokenSigner, TokenVerifier};
use ap_types::Role;

use crate::domain::PolicyError;

/// The order of the user list (and the sort its cursors carry): newest first.
pub const NEWEST_FIRST: &str = "-created_at";

/// Everything a use-case may fail with, as business outcomes.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("account temporarily locked")]
    Locked,
    #[error("invalid or expired refresh token")]
    InvalidRefreshToken,
    #[error("not authenticated")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    #[error("user not found")]
    NotFound,
    #[error("email already in use")]
    DuplicateEmail,
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("an administrator cannot deactivate, delete or demote their own account")]
    SelfModification,
    #[error("database unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        if e.unique_violation() == Some(crate::store::USERS_EMAIL_LIVE) {
            return AppError::DuplicateEmail;
        }
        if e.is_unavailable() {
            return AppError::Unavailable(e.into());
        }
        AppError::Unexpected(e.into())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        DbError::Query(e).into()
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Unexpected(e.into())
    }
}

/// Shared state of the service's use-cases.
#[derive(Clone)]
pub struct AuthApp {
    inner: Arc<Inner>,
}

struct Inner {
    pool: DbPool,
    signer: TokenSigner,
    verifier: TokenVerifier,
    lockout: LockoutPolicy,
    refresh_ttl: std::time::Duration,
    service_tokens: ServiceTokens,
    portal: PortalSettings,
    public_url: String,
}

/// What the auth app needs for the vendor portal.
pub struct PortalParts {
    pub settings: PortalSettings,
    /// Where invitation links point (`PUBLIC_URL`).
    pub public_url: String,
}

impl AuthApp {
    pub fn new(
        pool: DbPool,
        signer: TokenSigner,
        verifier: TokenVerifier,
        lockout: LockoutPolicy,
        refresh_ttl: std::time::Duration,
        service_tokens: ServiceTokens,
        portal: PortalParts,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                signer,
                verifier,
                lockout,
                refresh_ttl,
                service_tokens,
                portal: portal.settings,
                public_url: portal.public_url,
            }),
        }
    }

    pub fn verifier(&self) -> &TokenVerifier {
        &self.inner.verifier
    }

    pub fn service_tokens(&self) -> &ServiceTokens {
        &self.inner.service_tokens
    }

    async fn conn(&self) -> Result<ap_kit::db::DbConn, AppError> {
        Ok(ap_kit::db::conn(&self.inner.pool).await?)
    }

    /// For the `Idempotency-Key` records, kept beside the data they describe.
    pub fn pool(&self) -> &DbPool {
        &self.inner.pool
    }
}

/// Who asks, and from where: the input of every authenticated use-case.
pub struct Caller {
    pub principal: ap_kit::token::Principal,
    pub ctx: RequestContext,
}

impl Caller {
    fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        self.principal
            .require(roles)
            .map_err(|_| AppError::Forbidden)
    }

    fn actor(&self) -> ap_kit::audit::Actor {
        ap_kit::audit::Actor::User {
            id: self.principal.user_id,
            email: self.principal.email.clone(),
        }
    }
}

pub use portal::{Invite, PortalSession};
pub use sessions::Tokens;
pub use users::{NewUser, UserPatch, UserView};
