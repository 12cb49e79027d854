//! Fast revocation of staff sessions in every process that verifies access tokens itself.
//!
//! Access tokens are self-contained (EdDSA, 15 minutes), so a logout, a deactivation or a
//! deletion would otherwise be ignored until the token expires. Each verifier keeps a small
//! cache: the sessions it has seen in the last token lifetime, and those the auth service
//! said are no longer live. A poller asks the auth service (`CheckSessions`, with this
//! process's service token) about every session seen, every `REVOCATION_POLL_MS` (at most
//! 15 s, default 10 s). A revoked session is therefore refused everywhere within one poll
//! interval plus one call (5 s deadline): at most 20 s, well within the 60 s promised.
//!
//! When the auth service cannot be reached the cache keeps what it knows and the poller logs
//! and retries: revocations are made by the auth service, so none can be missed for longer
//! than the outage (docs/security.md discusses this choice).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use ap_proto::auth::v1 as pb;
use ap_proto::auth::v1::auth_service_client::AuthServiceClient;
use ap_types::SessionId;
use tonic::transport::Channel;

use crate::Config;
use crate::outbox::SERVICE_TOKEN;
use crate::token::{ServiceTokens, TokenVerifier};

/// Sessions asked about per call.
const BATCH: usize = 1_000;
/// Deadline of one `CheckSessions` call.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// What this process knows about the sessions behind the tokens it verified.
pub struct SessionRevocations {
    /// How long a session stays of interest after its last use: an access token's lifetime.
    horizon: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Session → last time a token of it verified here.
    seen: HashMap<SessionId, Instant>,
    /// Session → when we learnt it is revoked.
    revoked: HashMap<SessionId, Instant>,
}

impl SessionRevocations {
    /// `horizon` is the access-token lifetime (plus leeway): older sessions need no watching,
    /// their tokens have expired.
    pub fn new(horizon: Duration) -> Arc<Self> {
        Arc::new(Self {
            horizon,
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain maps behind: still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// True when `session` is known to be revoked; otherwise remembers it for the next poll.
    pub fn is_revoked(&self, session: SessionId) -> bool {
        let mut state = self.lock();
        if state.revoked.contains_key(&session) {
            return true;
        }
        state.seen.insert(session, Instant::now());
        false
    }

    /// The sessions to ask about: seen within the horizon and not yet known revoked. Older
    /// entries are forgotten here, which bounds the cache by the sessions that were live in
    /// one token lifetime (only tokens signed by the auth service ever get in).
    pub fn watched(&self) -> Vec<SessionId> {
        let horizon = self.horizon;
        let mut state = self.lock();
        state.seen.retain(|_, at| at.elapsed() < horizon);
        state.revoked.retain(|_, at| at.elapsed() < horizon);
        state.seen.keys().copied().collect()
    }

    /// Records sessions the auth service reported as no longer live.
    pub fn mark_revoked(&self, sessions: impl IntoIterator<Item = SessionId>) {
        let now = Instant::now();
        let mut state = self.lock();
        for s in sessions {
            state.seen.remove(&s);
            state.revoked.insert(s, now);
        }
    }
}

/// Asks the auth service about the sessions this process has seen.
#[derive(Clone)]
pub struct SessionChecker {
    client: AuthServiceClient<Channel>,
    tokens: ServiceTokens,
}

impl SessionChecker {
    pub fn new(auth: Channel, tokens: ServiceTokens) -> Self {
        Self {
            client: AuthServiceClient::new(auth),
            tokens,
        }
    }

    /// One pass: every watched session is checked; revoked ones are marked.
    pub async fn check_once(&self, cache: &SessionRevocations) -> anyhow::Result<usize> {
        let watched = cache.watched();
        let mut revoked = 0;
        // Nothing seen, nothing to ask: an idle process does not call the auth service.
        for chunk in watched.chunks(BATCH) {
            let mut req = tonic::Request::new(pb::CheckSessionsRequest {
                session_ids: chunk.iter().map(ToString::to_string).collect(),
            });
            req.set_timeout(CALL_TIMEOUT);
            let token = self.tokens.issue(self.tokens.name())?;
            req.metadata_mut().insert(SERVICE_TOKEN, token.parse()?);
            let dead: Vec<SessionId> = self
                .client
                .clone()
                .check_sessions(req)
                .await
                .map_err(|s| anyhow::anyhow!("auth service: {s}"))?
                .into_inner()
                .revoked_session_ids
                .iter()
                .filter_map(|id| id.parse().ok())
                .collect();
            revoked += dead.len();
            cache.mark_revoked(dead);
        }
        Ok(revoked)
    }

    /// Polls every `every` for as long as `cache` is in use by a verifier; needs a Tokio
    /// runtime (outside one, nothing is spawned and a warning is logged).
    pub fn spawn(self, cache: &Arc<SessionRevocations>, every: Duration) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no runtime: session revocations are not polled");
            return;
        };
        let weak: Weak<SessionRevocations> = Arc::downgrade(cache);
        handle.spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(cache) = weak.upgrade() else { return };
                match self.check_once(&cache).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(sessions = n, "revoked sessions refused from now on"),
                    Err(e) => {
                        tracing::warn!(error = %e, "session revocation check failed; retrying");
                    }
                }
            }
        });
    }
}

/// The access-token verifier of a service: the auth service's public key, plus a revocation
/// cache polled every `config.revocation_poll` with the service's own credential `tokens`.
pub fn access_verifier(config: &Config, tokens: &ServiceTokens) -> anyhow::Result<TokenVerifier> {
    let public = config.jwt_public_key.as_deref().ok_or_else(|| {
        anyhow::anyhow!(
            "JWT_PUBLIC_KEY is required by the {} service",
            tokens.name()
        )
    })?;
    // A token stays valid for its lifetime plus the verifier's leeway: watch that long.
    let cache = SessionRevocations::new(config.access_token_ttl + Duration::from_secs(60));
    let channel = crate::grpc::channel(&config.services.auth_url, CALL_TIMEOUT)?;
    SessionChecker::new(channel, tokens.clone()).spawn(&cache, config.revocation_poll);
    Ok(TokenVerifier::from_pem(public)?.with_revocations(cache))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_marked_revoked_is_refused_and_no_longer_asked_about() {
        let cache = SessionRevocations::new(Duration::from_secs(900));
        let (live, dead) = (SessionId::new(), SessionId::new());
        assert!(!cache.is_revoked(live));
        assert!(!cache.is_revoked(dead));
        let mut watched = cache.watched();
        watched.sort_by_key(ToString::to_string);
        let mut expected = vec![live, dead];
        expected.sort_by_key(ToString::to_string);
        assert_eq!(watched, expected);
        cache.mark_revoked([dead]);
        assert!(cache.is_revoked(dead));
        assert!(!cache.is_revoked(live));
        assert_eq!(cache.watched(), vec![live]);
    }

    #[test]
    fn sessions_older_than_the_horizon_are_forgotten() {
        let cache = SessionRevocations::new(Duration::from_millis(1));
        let session = SessionId::new();
        assert!(!cache.is_revoked(session));
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.watched().is_empty());
    }
}
