//! Use-cases of the payment service: authorization, transactions, audit, the calls to the
//! invoice service. The gRPC layer converts and calls these.

pub mod idempotency;
pub mod invoices;
pub mod payments;
pub mod runs;

use std::sync::Arc;

use ap_kit::audit::{Actor, RequestContext};
use ap_kit::db::{DbConn, DbError, DbPool};
use ap_kit::token::{Principal, TokenVerifier};
use ap_types::Role;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::crypto::FileCipher;
use crate::domain::files::Originator;

/// Payments and runs change money: ADMIN only.
pub const ADMIN: &[Role] = &[Role::Admin];
/// Reading payments and runs: ADMIN, and AUDITOR who reads everything.
pub const READ: &[Role] = &[Role::Admin, Role::Auditor];

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("forbidden")]
    Forbidden,
    /// Refused for a reason the caller may read (separation of duties).
    #[error("{0}")]
    ForbiddenBecause(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Precondition(String),
    #[error("{0}")]
    Conflict(String),
    #[error("a dependency is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        use crate::store::constraints as c;
        match e.unique_violation() {
            Some(c::PAYMENTS_ONE_PER_INVOICE) => {
                return AppError::Conflict("The invoice is already paid or being paid.".into());
            }
            Some(c::RUN_ITEMS_ONE_OPEN_RUN) => {
                return AppError::Conflict(
                    "Some of these invoices were just taken by another payment run; try again."
                        .into(),
                );
            }
            _ => {}
        }
        if let DbError::Query(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::CheckViolation,
            info,
        )) = &e
            && info.constraint_name() == Some(c::RUNS_APPROVER_DIFFERS)
        {
            return AppError::ForbiddenBecause(
                "The admin who created a payment run cannot approve it.".into(),
            );
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

/// Who is calling, where from, and the `Idempotency-Key` they sent.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    pub ctx: RequestContext,
    pub idempotency_key: Option<String>,
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

    pub fn actor(&self) -> Actor {
        Actor::User {
            id: self.principal.user_id,
            email: self.principal.email.clone(),
        }
    }
}

/// Shared state of the use-cases.
#[derive(Clone)]
pub struct PaymentApp {
    inner: Arc<Inner>,
}

struct Inner {
    pool: DbPool,
    verifier: TokenVerifier,
    invoices: invoices::InvoiceClient,
    originator: Originator,
    cipher: FileCipher,
    run_interval_days: u32,
}

impl PaymentApp {
    pub fn new(
        pool: DbPool,
        verifier: TokenVerifier,
        invoices: invoices::InvoiceClient,
        originator: Originator,
        cipher: FileCipher,
        run_interval_days: u32,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                verifier,
                invoices,
                originator,
                cipher,
                run_interval_days,
            }),
        }
    }

    pub fn verifier(&self) -> &TokenVerifier {
        &self.inner.verifier
    }

    pub(crate) fn invoices(&self) -> &invoices::InvoiceClient {
        &self.inner.invoices
    }

    pub(crate) fn originator(&self) -> &Originator {
        &self.inner.originator
    }

    pub(crate) fn cipher(&self) -> &FileCipher {
        &self.inner.cipher
    }

    pub(crate) fn run_interval_days(&self) -> u32 {
        self.inner.run_interval_days
    }

    async fn conn(&self) -> Result<DbConn, AppError> {
        Ok(ap_kit::db::conn(&self.inner.pool).await?)
    }
}

/// A keyset page size: default 50, at most 200.
pub fn page_limit(limit: u32) -> i64 {
    i64::from(if limit == 0 { 50 } else { limit.min(200) })
}

pub fn parse_uuid(field: &str, raw: &str) -> Result<Uuid, AppError> {
    raw.parse()
        .map_err(|_| AppError::invalid(field, "must be a UUID"))
}

pub fn optional_uuid(field: &str, raw: &str) -> Result<Option<Uuid>, AppError> {
    if raw.is_empty() {
        Ok(None)
    } else {
        parse_uuid(field, raw).map(Some)
    }
}

/// The order of the payment and run lists: newest first by `(created_at, id)`.
pub const NEWEST_FIRST: &str = "-created_at";

/// The cursor after a row at `(ts, id)` in the newest-first order.
pub fn encode_cursor(ts: DateTime<Utc>, id: Uuid) -> String {
    ap_types::cursor::encode_time_id(NEWEST_FIRST, ts, id)
}

/// Reads an optional newest-first cursor (empty means the first page).
pub fn decode_cursor(raw: &str) -> Result<Option<(DateTime<Utc>, Uuid)>, AppError> {
    ap_types::cursor::decode_time_id(raw, NEWEST_FIRST)
        .map_err(|e| AppError::invalid("cursor", e.to_string()))
}

/// A status filter: one or more values, comma-separated; each must be one of `allowed`.
pub fn status_list(field: &str, raw: &str, allowed: &[&str]) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for v in raw.split(',').map(str::trim).filter(|v| !v.is_empty()) {
        if !allowed.contains(&v) {
            return Err(AppError::invalid(
                field,
                format!("\"{v}\" is not one of: {}", allowed.join(", ")),
            ));
        }
        if !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
    }
    Ok(out)
}

/// Today's date, in UTC.
pub fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}
