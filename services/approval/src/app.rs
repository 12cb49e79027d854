//! Use-cases of the approval service: authorization, transactions, audit, notifications and
//! mail, the calls to the auth and invoice services. The gRPC layer converts and calls these.

pub mod delegation;
pub mod email;
pub mod events;
pub mod invoices;
pub mod mailer;
pub mod matrix;
pub mod notify;
pub mod sla;
pub mod tasks;

use std::sync::Arc;

use ap_kit::audit::{Actor, RequestContext};
use ap_kit::config::ApprovalSettings;
use ap_kit::db::{DbConn, DbError, DbPool};
use ap_kit::directory::Directory;
use ap_kit::token::{Principal, TokenVerifier};
use ap_types::Role;
use uuid::Uuid;

use crate::domain::token::Signer;

/// Who may decide tasks and read their inbox.
pub const DECIDERS: &[Role] = &[Role::Approver, Role::Admin];
pub const ADMIN: &[Role] = &[Role::Admin];
/// This service's name on its service tokens and outbox events.
pub const SERVICE: &str = "approval";
/// The invoice service's inbox for decisions.
pub const INVOICE_DESTINATION: &str = "invoice";
pub const DECIDED_EVENT: &str = "approval.decided";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("forbidden")]
    Forbidden,
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Refused with a fixed client message; `reason` goes to the log only.
    #[error("{message} ({reason})")]
    Refused {
        message: &'static str,
        reason: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("a dependency is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub const INVALID_APPROVAL: &str = "Invalid approval request.";
pub const INVALID_REJECTION: &str = "Invalid rejection request.";

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub fn refused(message: &'static str, reason: impl Into<String>) -> Self {
        AppError::Refused {
            message,
            reason: reason.into(),
        }
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        use crate::store::constraints as c;
        match e.unique_violation() {
            Some(c::DISTINCT_APPROVERS | c::ONE_APPROVAL_PER_PERSON) => {
                return AppError::refused(INVALID_APPROVAL, tasks::REASON_APPROVED_BEFORE);
            }
            Some(c::ONE_CURRENT_DELEGATION) => {
                return AppError::Conflict(
                    "The delegation changed concurrently; try again.".into(),
                );
            }
            _ => {}
        }
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

/// A signed-in user and where the request came from.
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

    pub fn user_id(&self) -> Uuid {
        self.principal.user_id.as_uuid()
    }

    pub fn is_admin(&self) -> bool {
        self.principal.role == Role::Admin
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
pub struct ApprovalApp {
    inner: Arc<Inner>,
}

struct Inner {
    pool: DbPool,
    verifier: TokenVerifier,
    directory: Directory,
    invoices: invoices::InvoiceClient,
    settings: ApprovalSettings,
    signer: Signer,
    public_url: String,
}

impl ApprovalApp {
    pub fn new(
        pool: DbPool,
        verifier: TokenVerifier,
        directory: Directory,
        invoices: invoices::InvoiceClient,
        settings: ApprovalSettings,
        public_url: &str,
    ) -> Self {
        use secrecy::ExposeSecret;
        let signer = Signer::new(settings.token_secret.expose_secret().as_bytes());
        Self {
            inner: Arc::new(Inner {
                pool,
                verifier,
                directory,
                invoices,
                settings,
                signer,
                public_url: public_url.trim_end_matches('/').to_owned(),
            }),
        }
    }

    pub fn verifier(&self) -> &TokenVerifier {
        &self.inner.verifier
    }

    pub(crate) fn directory(&self) -> &Directory {
        &self.inner.directory
    }

    pub(crate) fn invoices(&self) -> &invoices::InvoiceClient {
        &self.inner.invoices
    }

    pub(crate) fn settings(&self) -> &ApprovalSettings {
        &self.inner.settings
    }

    pub(crate) fn signer(&self) -> &Signer {
        &self.inner.signer
    }

    pub(crate) fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    async fn conn(&self) -> Result<DbConn, AppError> {
        Ok(ap_kit::db::conn(&self.inner.pool).await?)
    }

    /// For the `Idempotency-Key` records, kept beside the data they describe.
    pub fn pool(&self) -> &DbPool {
        &self.inner.pool
    }

    /// Active users of a role from the auth service (never called inside a transaction).
    pub(crate) async fn users_of(
        &self,
        role: &str,
    ) -> Result<Vec<crate::domain::assign::Candidate>, AppError> {
        let users = self
            .directory()
            .active_users(role)
            .await
            .map_err(AppError::Unavailable)?;
        Ok(users
            .into_iter()
            .map(|u| crate::domain::assign::Candidate {
                id: u.id,
                email: u.email,
            })
            .collect())
    }
}

/// A list size: default 50, at most 200.
pub fn page_limit(limit: u32) -> i64 {
    i64::from(if limit == 0 { 50 } else { limit.min(200) })
}

/// The `(key time, id)` of a list's last row: where the next page starts.
pub type Keyset = (chrono::DateTime<chrono::Utc>, Uuid);

/// Notifications and held mail: newest first by `(created_at, id)`.
pub const NEWEST_FIRST: &str = "-created_at";
/// The approval inbox (`pending`, `all_open`): soonest due first by `(due_at, id)`.
pub const SOONEST_DUE: &str = "due_at";
/// The caller's decisions (`decided`): most recently decided first by `(decided_at, id)`.
pub const LATEST_DECIDED: &str = "-decided_at";

/// Reads an optional `(time, id)` cursor made for the order `sort`.
pub fn keyset_after(cursor: &str, sort: &str) -> Result<Option<Keyset>, AppError> {
    ap_types::cursor::decode_time_id(cursor, sort)
        .map_err(|e| AppError::invalid("cursor", e.to_string()))
}

/// Trims a page fetched with one row too many to `limit` rows and returns the cursor of its
/// last row, for the order `sort`, when more rows follow.
pub fn split_page<T>(
    rows: &mut Vec<T>,
    limit: i64,
    sort: &str,
    key: impl Fn(&T) -> Keyset,
) -> Option<String> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| {
            let (t, id) = key(r);
            ap_types::cursor::encode_time_id(sort, t, id)
        })
    } else {
        None
    }
}

pub fn parse_uuid(field: &str, raw: &str) -> Result<Uuid, AppError> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::invalid(field, "must be a UUID"))
}
