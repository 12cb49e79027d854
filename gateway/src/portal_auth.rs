//! Vendor-portal authentication at the edge: a portal token (`apv_…`) is exchanged with the
//! auth service for the vendor it names and a short vendor access token, which is what the
//! invoice service is called with (it verifies it itself). The exchange is cached for at most
//! `PORTAL_VERIFY_CACHE_SECS` (≤ 60 s), so a revoked or replaced token stops working within a
//! minute. Cache keys are SHA-256 digests: no portal token is kept in memory here.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ap_proto::auth::v1 as auth_pb;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::extract::Forward;
use crate::state::AppState;

/// Portal tokens carry this prefix; anything else (a staff JWT) is refused without a lookup.
pub const PORTAL_TOKEN_PREFIX: &str = "apv_";
/// Bound on cached verifications; past it expired entries go, then everything.
const MAX_ENTRIES: usize = 10_000;
/// A cached vendor access token is dropped this long before it expires.
const EXPIRY_MARGIN: Duration = Duration::from_secs(30);

#[derive(Clone)]
struct Verified {
    vendor_id: String,
    access_token: String,
    until: Instant,
}

/// Verified portal tokens, by digest.
pub struct PortalSessions {
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], Verified>>,
}

impl PortalSessions {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl: ttl.min(ap_kit::config::MAX_VERIFY_CACHE),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Verified> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|v| v.until > Instant::now())
            .cloned()
    }

    fn store(&self, key: [u8; 32], v: Verified) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                let now = Instant::now();
                entries.retain(|_, v| v.until > now);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(key, v);
        }
    }
}

/// A vendor verified at the edge, and what to forward to the invoice service on its behalf.
pub struct VendorAuthed {
    pub vendor_id: String,
    pub forward: Forward,
}

impl FromRequestParts<AppState> for VendorAuthed {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut forward = Forward::from_request_parts(parts, state).await?;
        let token = forward
            .authorization
            .as_deref()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| t.starts_with(PORTAL_TOKEN_PREFIX))
            .ok_or_else(|| {
                tracing::info!("portal request refused: no portal token");
                ApiError::unauthenticated()
            })?
            .to_owned();
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let verified = match state.portal.cached(&key) {
            Some(v) => v,
            None => {
                // Only the token goes to the auth service: not the caller's other headers.
                let mut plain = forward.clone();
                plain.authorization = None;
                plain.idempotency_key = None;
                let session = state
                    .auth
                    .clone()
                    .verify_portal_token(plain.request(auth_pb::VerifyPortalTokenRequest { token }))
                    .await
                    .map_err(|s| {
                        if s.code() == tonic::Code::Unauthenticated {
                            tracing::info!(
                                "portal request refused: unknown, revoked or expired token"
                            );
                            ApiError::unauthenticated()
                        } else {
                            ApiError::from(s)
                        }
                    })?
                    .into_inner();
                let lifetime = Duration::from_secs(u64::from(session.expires_in))
                    .saturating_sub(EXPIRY_MARGIN);
                let v = Verified {
                    vendor_id: session.vendor_id,
                    access_token: session.access_token,
                    until: Instant::now() + state.portal.ttl.min(lifetime),
                };
                state.portal.store(key, v.clone());
                v
            }
        };
        forward.authorization = Some(format!("Bearer {}", verified.access_token));
        Ok(VendorAuthed {
            vendor_id: verified.vendor_id,
            forward,
        })
    }
}
