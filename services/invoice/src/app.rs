//! Use-cases of the invoice service: authorization, transactions, audit, cross-checks. The
//! gRPC layer converts and calls these.

pub mod approvals;
pub mod claims;
pub mod directory;
pub mod exceptions;
pub mod extraction;
pub mod imports;
pub mod intake;
pub mod invoices;
pub mod matching;
pub mod messages;
pub mod orders;
pub mod payables;
pub mod portal;
pub mod reapproval;
pub mod vendors;

use std::sync::Arc;

use ap_kit::audit::{Actor, RequestContext};
use ap_kit::db::{DbConn, DbError, DbPool};
use ap_kit::token::{Principal, ServiceTokens, TokenVerifier, VendorTokenVerifier};
use ap_types::Role;
use uuid::Uuid;

use crate::crypto::DataCipher;
use crate::domain::sniff::SniffError;
use crate::domain::status::InvalidTransition;
use crate::domain::values::FieldError;
use crate::storage::Storage;

/// Every role that may read invoices, vendors and orders.
pub const STAFF: &[Role] = Role::STAFF;
/// Vendors, POs, receipts, CSV imports, bank details.
pub const MASTER_WRITE: &[Role] = &[Role::ApAnalyst, Role::Admin];
pub const UPLOAD: &[Role] = &[Role::ApClerk, Role::ApAnalyst, Role::Admin];
pub const CORRECT: &[Role] = &[Role::ApAnalyst, Role::Admin];
pub const CANCEL: &[Role] = &[Role::Admin];
/// Services allowed to call the internal RPCs with a service token.
pub const INTERNAL_CALLERS: &[&str] = &["approval", "payment", "askai"];

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("forbidden")]
    Forbidden,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Precondition(String),
    #[error("{0}")]
    Conflict(String),
    #[error("document already uploaded as invoice {0}")]
    DuplicateDocument(Uuid),
    #[error("the invoice was changed concurrently")]
    StaleVersion,
    #[error(transparent)]
    InvalidTransition(#[from] InvalidTransition),
    #[error("file larger than {0} bytes")]
    TooLarge(u64),
    /// A live vendor already has this (normalised) tax id.
    #[error("vendor {0} has this tax id")]
    DuplicateVendor(Uuid),
    #[error(transparent)]
    Unsupported(#[from] SniffError),
    #[error("upload interrupted")]
    Interrupted,
    #[error("database unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(vec![e])
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        use crate::store::constraints as c;
        match e.unique_violation() {
            Some(c::VENDORS_TAX_ID_LIVE) => {
                return AppError::Conflict("A vendor with this tax id already exists.".into());
            }
            Some(c::VENDOR_ALIASES_UNIQUE) => {
                return AppError::Conflict("This alias already belongs to a vendor.".into());
            }
            Some(c::PURCHASE_ORDERS_PO_NUMBER) => {
                return AppError::Conflict(
                    "A purchase order with this number already exists.".into(),
                );
            }
            Some(c::GOODS_RECEIPTS_NUMBER) => {
                return AppError::Conflict(
                    "A goods receipt with this number already exists.".into(),
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

/// Who is calling: a staff user (access token), another service (service token) or a vendor
/// (vendor access token, portal RPCs and uploads only).
#[derive(Clone, Debug)]
pub enum Identity {
    User(Principal),
    Service(String),
    Vendor(Uuid),
}

#[derive(Clone, Debug)]
pub struct Caller {
    pub identity: Identity,
    pub ctx: RequestContext,
}

impl Caller {
    /// A staff user holding one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<&Principal, AppError> {
        match &self.identity {
            Identity::User(p) if roles.contains(&p.role) => Ok(p),
            _ => Err(AppError::Forbidden),
        }
    }

    /// A staff user with one of `roles`, or an internal service.
    pub fn require_internal_or(&self, roles: &[Role]) -> Result<(), AppError> {
        match &self.identity {
            Identity::Service(_) => Ok(()),
            Identity::User(p) if roles.contains(&p.role) => Ok(()),
            Identity::User(_) | Identity::Vendor(_) => Err(AppError::Forbidden),
        }
    }

    /// Another service only (its own service token): status changes and payment records are
    /// never accepted from a user token, whatever the role (docs/security.md).
    pub fn require_internal(&self) -> Result<&str, AppError> {
        match &self.identity {
            Identity::Service(name) => Ok(name),
            Identity::User(_) | Identity::Vendor(_) => Err(AppError::Forbidden),
        }
    }

    /// The vendor behind a portal call.
    pub fn require_vendor(&self) -> Result<Uuid, AppError> {
        match &self.identity {
            Identity::Vendor(v) => Ok(*v),
            _ => Err(AppError::Forbidden),
        }
    }

    pub fn actor(&self) -> Actor {
        match &self.identity {
            Identity::User(p) => Actor::User {
                id: p.user_id,
                email: p.email.clone(),
            },
            Identity::Service(name) => Actor::System(name.clone()),
            Identity::Vendor(v) => Actor::Vendor(*v),
        }
    }
}

/// Shared state of the use-cases.
#[derive(Clone)]
pub struct InvoiceApp {
    inner: Arc<Inner>,
}

struct Inner {
    pool: DbPool,
    cipher: DataCipher,
    storage: Storage,
    verifier: TokenVerifier,
    vendor_verifier: VendorTokenVerifier,
    service_tokens: ServiceTokens,
    upload_max_bytes: u64,
    llm: Option<ap_llm::Client>,
    policy: matching::MatchPolicy,
    directory: Option<directory::Directory>,
}

/// What the invoice app is built from besides its pool and keys.
pub struct Parts {
    pub upload_max_bytes: u64,
    pub llm: Option<ap_llm::Client>,
    pub policy: matching::MatchPolicy,
    /// The auth service, for routing exceptions; None runs without routing (exceptions stay
    /// unassigned until a router with access runs).
    pub directory: Option<directory::Directory>,
}

impl InvoiceApp {
    pub fn new(
        pool: DbPool,
        cipher: DataCipher,
        storage: Storage,
        (verifier, vendor_verifier): (TokenVerifier, VendorTokenVerifier),
        service_tokens: ServiceTokens,
        parts: Parts,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                cipher,
                storage,
                verifier,
                vendor_verifier,
                service_tokens,
                upload_max_bytes: parts.upload_max_bytes,
                llm: parts.llm,
                policy: parts.policy,
                directory: parts.directory,
            }),
        }
    }

    pub(crate) fn match_policy(&self) -> matching::MatchPolicy {
        self.inner.policy.clone()
    }

    pub(crate) fn directory(&self) -> Option<&directory::Directory> {
        self.inner.directory.as_ref()
    }

    /// The LLM that cross-checks text and OCR extractions, when one is configured.
    pub(crate) fn llm(&self) -> Option<&ap_llm::Client> {
        self.inner.llm.as_ref()
    }

    pub fn verifier(&self) -> &TokenVerifier {
        &self.inner.verifier
    }

    pub fn vendor_verifier(&self) -> &VendorTokenVerifier {
        &self.inner.vendor_verifier
    }

    pub fn service_tokens(&self) -> &ServiceTokens {
        &self.inner.service_tokens
    }

    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    pub(crate) fn cipher(&self) -> &DataCipher {
        &self.inner.cipher
    }

    pub(crate) fn upload_max_bytes(&self) -> u64 {
        self.inner.upload_max_bytes
    }

    async fn conn(&self) -> Result<DbConn, AppError> {
        Ok(ap_kit::db::conn(&self.inner.pool).await?)
    }

    /// For the `Idempotency-Key` records, kept beside the data they describe.
    pub fn pool(&self) -> &DbPool {
        &self.inner.pool
    }
}

/// A keyset page request: the cursor is opaque to clients.
pub fn page_limit(limit: u32) -> i64 {
    i64::from(if limit == 0 { 50 } else { limit.min(200) })
}

/// A page request as it arrives: `limit` 0 means the default, `cursor` empty the first page.
pub type PageIn = ap_proto::common::v1::PageRequest;

/// The `(created_at, id)` of a list's last row: where the next page starts.
pub type Keyset = (chrono::DateTime<chrono::Utc>, Uuid);

/// The default order of the lists: newest first by `(created_at, id)`.
pub const NEWEST_FIRST: &str = "-created_at";
/// The order of threads and timelines (comments, messages, audit): oldest first.
pub const OLDEST_FIRST: &str = "created_at";

impl From<ap_types::cursor::CursorError> for AppError {
    fn from(e: ap_types::cursor::CursorError) -> Self {
        AppError::invalid("cursor", e.to_string())
    }
}

/// A status filter: one or more values, comma-separated (the gateway joins a repeated query
/// parameter the same way). Every value must be one of `allowed`; empty means no filter.
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

/// Reads an optional `(created_at, id)` cursor made for the order `sort`.
pub fn keyset_after(cursor: &str, sort: &str) -> Result<Option<Keyset>, AppError> {
    Ok(ap_types::cursor::decode_time_id(cursor, sort)?)
}

/// Trims a page fetched with one row too many to `limit` rows and returns the cursor of its
/// last row when more rows follow.
pub fn split_page<T>(
    rows: &mut Vec<T>,
    limit: i64,
    cursor: impl Fn(&T) -> String,
) -> Option<String> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(cursor)
    } else {
        None
    }
}

pub fn parse_uuid(field: &str, raw: &str) -> Result<Uuid, AppError> {
    raw.parse()
        .map_err(|_| AppError::invalid(field, "must be a UUID"))
}

/// An optional UUID (empty string means absent).
pub fn optional_uuid(field: &str, raw: &str) -> Result<Option<Uuid>, AppError> {
    if raw.is_empty() {
        Ok(None)
    } else {
        parse_uuid(field, raw).map(Some)
    }
}
