//! Login with lockout, refresh-token rotation with reuse detection, logout, me.

use ap_kit::audit::{self, Actor, AuditEvent, RequestContext};
use ap_types::{Role, SessionId, UserId};
use chrono::Utc;
use diesel_async::AsyncConnection;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use uuid::Uuid;

use super::{AppError, AuthApp, Caller, UserView};
use crate::domain::{self, Email};
use crate::store::{self, NewRefreshTokenRow, UserRow};

/// A new access + refresh token pair.
pub struct Tokens {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    pub expires_in: u32,
}

enum RefreshOutcome {
    Rotated(Tokens),
    Refused { reuse: bool },
}

impl AuthApp {
    /// Password login. Unknown email, wrong password and inactive account fail identically;
    /// every failure counts towards the lock of that email, existing or not, from the
    /// caller's address block only: a stranger's failures never lock the real user out.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        email: &str,
        password: SecretString,
        ctx: &RequestContext,
    ) -> Result<Tokens, AppError> {
        let key = Email::login_key(email);
        if key.is_empty() || password.expose_secret().is_empty() {
            return Err(AppError::InvalidCredentials);
        }
        let block = client_block(ctx);
        let mut conn = self.conn().await?;
        if store::find_active_lock(&mut conn, &key, &block)
            .await?
            .is_some()
        {
            tracing::info!("login refused: locked");
            return Err(AppError::Locked);
        }
        let user = store::find_user_by_email(&mut conn, &key).await?;
        let stored_hash = user.as_ref().map_or_else(
            || domain::dummy_hash().to_owned(),
            |u| u.password_hash.clone(),
        );
        // Hashing takes tens of milliseconds of CPU: keep it off the async workers.
        let matches =
            tokio::task::spawn_blocking(move || domain::verify_password(&password, &stored_hash))
                .await??;
        let user = match user {
            Some(u) if matches && u.is_active => u,
            other => {
                return self
                    .fail_login(&mut conn, (&key, &block), other.as_ref(), ctx)
                    .await;
            }
        };

        let tokens = conn
            .transaction::<_, AppError, _>(async |conn| {
                store::clear_login_failures(conn, &key, &block).await?;
                let session = SessionId::new();
                let tokens = self.issue_tokens(conn, &user, session).await?;
                audit::record(
                    conn,
                    ctx,
                    AuditEvent::new(
                        actor_of(&user),
                        "user_login",
                        "user",
                        Some(user.id.to_string()),
                    )
                    .after(json!({"session_id": session.to_string()})),
                )
                .await?;
                Ok(tokens)
            })
            .await?;
        tracing::info!(user.id = %user.id, "login succeeded");
        Ok(tokens)
    }

    async fn fail_login(
        &self,
        conn: &mut diesel_async::AsyncPgConnection,
        (key, block): (&str, &str),
        user: Option<&UserRow>,
        ctx: &RequestContext,
    ) -> Result<Tokens, AppError> {
        let policy = self.inner.lockout;
        let reason = match user {
            None => "unknown_email",
            Some(u) if !u.is_active => "inactive",
            Some(_) => "wrong_password",
        };
        let locked = conn
            .transaction::<_, AppError, _>(async |conn| {
                let count = store::record_login_failure(
                    conn,
                    (key, block),
                    policy.window,
                    policy.max_failures,
                    policy.lockout,
                )
                .await?;
                let actor = user.map_or_else(
                    || Actor::Anonymous {
                        claimed: key.to_owned(),
                    },
                    actor_of,
                );
                let entity_id = user.map(|u| u.id.to_string());
                audit::record(
                    conn,
                    ctx,
                    AuditEvent::new(actor.clone(), "login_failed", "user", entity_id.clone())
                        .after(json!({"email": key, "reason": reason, "failures": count.failures})),
                )
                .await?;
                if let Some(until) = count.locked_until {
                    audit::record(
                        conn,
                        ctx,
                        AuditEvent::new(actor, "account_locked", "user", entity_id).after(json!({
                            "email": key,
                            "locked_until": ap_types::time::instant(until),
                            "client_block": block,
                        })),
                    )
                    .await?;
                    return Ok(true);
                }
                Ok(false)
            })
            .await?;
        tracing::info!(reason, locked, "login failed");
        Err(AppError::InvalidCredentials)
    }

    async fn issue_tokens(
        &self,
        conn: &mut diesel_async::AsyncPgConnection,
        user: &UserRow,
        session: SessionId,
    ) -> Result<Tokens, AppError> {
        let role: Role = user
            .role
            .parse()
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")))?;
        let (refresh_token, token_hash) = domain::new_refresh_token();
        let ttl =
            chrono::Duration::from_std(self.inner.refresh_ttl).map_err(anyhow::Error::from)?;
        store::insert_refresh_token(
            conn,
            NewRefreshTokenRow {
                id: Uuid::now_v7(),
                family_id: session.as_uuid(),
                user_id: user.id,
                token_hash: &token_hash,
                expires_at: Utc::now() + ttl,
            },
        )
        .await?;
        let access =
            self.inner
                .signer
                .issue(UserId::from_uuid(user.id), role, &user.email, session)?;
        Ok(Tokens {
            access_token: SecretString::from(access),
            refresh_token,
            expires_in: u32::try_from(self.inner.signer.ttl().as_secs()).unwrap_or(u32::MAX),
        })
    }

    /// Rotates a refresh token. Presenting one that was already rotated or revoked is taken
    /// as theft: the whole session is revoked (and that revocation is committed).
    #[tracing::instrument(skip_all)]
    pub async fn refresh(
        &self,
        token: SecretString,
        ctx: &RequestContext,
    ) -> Result<Tokens, AppError> {
        let hash = domain::refresh_token_hash(token.expose_secret());
        let mut conn = self.conn().await?;
        let outcome = conn
            .transaction::<_, AppError, _>(async |conn| {
                let Some(row) = store::find_refresh_token_for_update(conn, &hash).await? else {
                    return Ok(RefreshOutcome::Refused { reuse: false });
                };
                if row.rotated_at.is_some() || row.revoked_at.is_some() {
                    let revoked = store::revoke_family(conn, row.family_id, "refresh_token_reuse").await?;
                    audit::record(
                        conn,
                        ctx,
                        AuditEvent::new(
                            Actor::System("auth".into()),
                            "refresh_token_reuse",
                            "user",
                            Some(row.user_id.to_string()),
                        )
                        .after(json!({"session_id": row.family_id.to_string(), "tokens_revoked": revoked})),
                    )
                    .await?;
                    return Ok(RefreshOutcome::Refused { reuse: true });
                }
                if row.expires_at <= Utc::now() {
                    return Ok(RefreshOutcome::Refused { reuse: false });
                }
                let user = match store::find_user(conn, row.user_id, false).await? {
                    Some(u) if u.is_active => u,
                    _ => {
                        store::revoke_family(conn, row.family_id, "user_inactive").await?;
                        return Ok(RefreshOutcome::Refused { reuse: false });
                    }
                };
                store::mark_refresh_token_rotated(conn, row.id).await?;
                let tokens = self.issue_tokens(conn, &user, SessionId::from_uuid(row.family_id)).await?;
                audit::record(
                    conn,
                    ctx,
                    AuditEvent::new(actor_of(&user), "token_refreshed", "user", Some(user.id.to_string()))
                        .after(json!({"session_id": row.family_id.to_string()})),
                )
                .await?;
                Ok(RefreshOutcome::Rotated(tokens))
            })
            .await?;
        match outcome {
            RefreshOutcome::Rotated(tokens) => Ok(tokens),
            RefreshOutcome::Refused { reuse } => {
                tracing::info!(reuse, "refresh refused");
                Err(AppError::InvalidRefreshToken)
            }
        }
    }

    /// Revokes the caller's session (and, when given, the session of that refresh token if it
    /// belongs to the caller).
    #[tracing::instrument(skip_all, fields(user.id = %caller.principal.user_id))]
    pub async fn logout(
        &self,
        caller: &Caller,
        refresh_token: Option<SecretString>,
    ) -> Result<(), AppError> {
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let mut revoked = store::revoke_family(conn, caller.principal.session_id.as_uuid(), "logout").await?;
            if let Some(token) = &refresh_token {
                let hash = domain::refresh_token_hash(token.expose_secret());
                if let Some(row) = store::find_refresh_token_for_update(conn, &hash).await?
                    && row.user_id == caller.principal.user_id.as_uuid()
                {
                    revoked += store::revoke_family(conn, row.family_id, "logout").await?;
                }
            }
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(caller.actor(), "user_logout", "user", Some(caller.principal.user_id.to_string()))
                    .after(json!({"session_id": caller.principal.session_id.to_string(), "tokens_revoked": revoked})),
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// The caller's own account; a deleted or deactivated user is no longer authenticated.
    pub async fn me(&self, caller: &Caller) -> Result<UserView, AppError> {
        let mut conn = self.conn().await?;
        match store::find_user(&mut conn, caller.principal.user_id.as_uuid(), false).await? {
            Some(u) if u.is_active => Ok(UserView::from(u)),
            _ => Err(AppError::Unauthenticated),
        }
    }
}

impl AuthApp {
    /// The sessions among `ids` that are no longer live (logged out, revoked, user
    /// deactivated or deleted), for the other services' revocation caches.
    #[tracing::instrument(skip_all, fields(count = ids.len()))]
    pub async fn revoked_sessions(&self, ids: &[Uuid]) -> Result<Vec<Uuid>, AppError> {
        if ids.len() > 5_000 {
            return Err(AppError::Invalid("At most 5000 sessions per call.".into()));
        }
        let mut conn = self.conn().await?;
        let live: std::collections::HashSet<Uuid> = store::live_sessions(&mut conn, ids)
            .await?
            .into_iter()
            .collect();
        Ok(ids
            .iter()
            .copied()
            .filter(|id| !live.contains(id))
            .collect())
    }

    /// The auth service checks its own database on every authenticated call: a token of a
    /// session that is no longer live is refused at once.
    pub async fn require_live_session(
        &self,
        principal: &ap_kit::token::Principal,
    ) -> Result<(), AppError> {
        let id = principal.session_id.as_uuid();
        let mut conn = self.conn().await?;
        if store::live_sessions(&mut conn, &[id]).await?.contains(&id) {
            Ok(())
        } else {
            tracing::info!(user.id = %principal.user_id, "request refused: session revoked");
            Err(AppError::Unauthenticated)
        }
    }
}

/// The address block the caller's failures count under (see `ap_kit::net`); empty when the
/// gateway named no client address.
fn client_block(ctx: &RequestContext) -> String {
    ctx.client_ip
        .as_deref()
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
        .map(|ip| ap_kit::net::address_block(ip).to_string())
        .unwrap_or_default()
}

pub(super) fn actor_of(user: &UserRow) -> Actor {
    Actor::User {
        id: UserId::from_uuid(user.id),
        email: user.email.clone(),
    }
}
