//! Vendor-portal invitations (ADMIN): a random token scoped to one vendor, stored hashed,
//! expiring, revocable, replaced on re-invite; and the exchange of a live portal token for a
//! short-lived vendor access token that the invoice service verifies itself.

use ap_kit::audit::{self, AuditEvent};
use ap_types::Role;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use uuid::Uuid;

use super::{AppError, AuthApp, Caller};
use crate::domain::{self, PORTAL_TOKEN_PREFIX};
use crate::store::portal::{self as store, NewInvite};

/// What an ADMIN gets back once: the token itself is never stored.
pub struct Invite {
    pub token: SecretString,
    pub vendor_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub invite_url: String,
}

/// A verified portal token: the vendor and its short access token.
pub struct PortalSession {
    pub vendor_id: Uuid,
    pub access_token: SecretString,
    pub expires_in: u32,
}

impl AuthApp {
    /// Invites `vendor_id`; a previous live invitation of the vendor stops working. The vendor
    /// id is taken as given (the gateway checks it names a vendor before asking).
    #[tracing::instrument(skip_all, fields(vendor.id = %vendor_id))]
    pub async fn invite_vendor(
        &self,
        caller: &Caller,
        vendor_id: Uuid,
    ) -> Result<Invite, AppError> {
        caller.require(&[Role::Admin])?;
        let (token, hash) = domain::new_portal_token();
        let expires_at = Utc::now()
            + chrono::Duration::from_std(self.inner.portal.invite_ttl)
                .map_err(|e| AppError::Unexpected(e.into()))?;
        let by = caller.principal.user_id.as_uuid();
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let replaced = store::revoke_vendor_invite(conn, vendor_id).await?;
            let row = store::insert_invite(
                conn,
                NewInvite {
                    id: Uuid::now_v7(),
                    vendor_id,
                    token_hash: &hash,
                    created_by: by,
                    expires_at,
                },
            )
            .await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "portal_invite_created",
                    "vendor",
                    Some(vendor_id.to_string()),
                )
                .before(json!({"replaced_invite_id": replaced.map(|r| r.id.to_string())}))
                .after(json!({"invite_id": row.id.to_string(), "expires_at": ap_types::time::instant(row.expires_at)})),
            )
            .await?;
            Ok(())
        })
        .await?;
        tracing::info!("vendor invited to the portal");
        let invite_url = format!(
            "{}/portal#token={}",
            self.inner.public_url.trim_end_matches('/'),
            token.expose_secret()
        );
        Ok(Invite {
            token,
            vendor_id,
            expires_at,
            invite_url,
        })
    }

    /// Revokes the vendor's live invitation; false when it had none.
    #[tracing::instrument(skip_all, fields(vendor.id = %vendor_id))]
    pub async fn revoke_vendor_invite(
        &self,
        caller: &Caller,
        vendor_id: Uuid,
    ) -> Result<bool, AppError> {
        caller.require(&[Role::Admin])?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let Some(row) = store::revoke_vendor_invite(conn, vendor_id).await? else {
                return Ok(false);
            };
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "portal_invite_revoked",
                    "vendor",
                    Some(vendor_id.to_string()),
                )
                .before(json!({"invite_id": row.id.to_string()})),
            )
            .await?;
            Ok(true)
        })
        .await
    }

    /// A live portal token → its vendor and a vendor access token. Anything else (unknown,
    /// revoked, expired, a staff token) is `Unauthenticated`, all alike.
    pub async fn verify_portal_token(
        &self,
        token: &SecretString,
    ) -> Result<PortalSession, AppError> {
        let raw = token.expose_secret();
        if !raw.starts_with(PORTAL_TOKEN_PREFIX) || raw.len() > 200 {
            return Err(AppError::Unauthenticated);
        }
        let hash = domain::refresh_token_hash(raw);
        let mut conn = self.conn().await?;
        let invite = store::find_live_invite(&mut conn, &hash)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let ttl = self.inner.portal.access_ttl;
        let access = self.inner.signer.issue_vendor(invite.vendor_id, ttl)?;
        Ok(PortalSession {
            vendor_id: invite.vendor_id,
            access_token: SecretString::from(access),
            expires_in: u32::try_from(ttl.as_secs()).unwrap_or(u32::MAX),
        })
    }
}
