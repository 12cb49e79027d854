//! Administration of users (ADMIN only): create, list, read, update, soft delete.
//! Deactivation, deletion and role changes end the user's sessions.

use ap_kit::audit::{self, AuditEvent};
use ap_types::Role;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

use super::{AppError, AuthApp, Caller};
use crate::domain::{self, Email};
use crate::store::{self, NewUserRow, UserChanges, UserRow};

/// A user as shown to clients: never the password hash.
#[derive(Clone, Debug)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            is_active: u.is_active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

impl UserView {
    fn audit_json(&self) -> serde_json::Value {
        json!({"email": self.email, "name": self.name, "role": self.role, "is_active": self.is_active})
    }
}

pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password: SecretString,
    pub role: String,
}

#[derive(Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role: Option<String>,
    pub is_active: Option<bool>,
    pub password: Option<SecretString>,
}

fn parse_role(raw: &str) -> Result<Role, AppError> {
    raw.parse::<Role>().map_err(|_| {
        AppError::Invalid(format!(
            "role must be one of {}",
            Role::ALL.map(Role::as_str).join(", ")
        ))
    })
}

async fn hash_off_executor(password: SecretString) -> Result<String, AppError> {
    Ok(tokio::task::spawn_blocking(move || domain::hash_password(&password)).await??)
}

impl AuthApp {
    /// Creates a user without a caller (seeding, `apctl user create`).
    pub async fn create_user_unchecked(
        &self,
        new: NewUser,
        ctx: &ap_kit::audit::RequestContext,
    ) -> Result<UserView, AppError> {
        self.insert_user(new, ap_kit::audit::Actor::System("apctl".into()), ctx)
            .await
    }

    #[tracing::instrument(skip_all, fields(user.id = %caller.principal.user_id))]
    pub async fn create_user(&self, caller: &Caller, new: NewUser) -> Result<UserView, AppError> {
        caller.require(&[Role::Admin])?;
        self.insert_user(new, caller.actor(), &caller.ctx).await
    }

    async fn insert_user(
        &self,
        new: NewUser,
        actor: ap_kit::audit::Actor,
        ctx: &ap_kit::audit::RequestContext,
    ) -> Result<UserView, AppError> {
        let email = Email::parse(&new.email)?;
        let name = domain::check_name(&new.name)?;
        let role = parse_role(&new.role)?;
        domain::check_password(&new.password)?;
        let hash = hash_off_executor(new.password).await?;
        let mut conn = self.conn().await?;
        let view = conn
            .transaction::<_, AppError, _>(async |conn| {
                let row = store::insert_user(
                    conn,
                    NewUserRow {
                        id: Uuid::now_v7(),
                        email: email.as_str(),
                        name: &name,
                        role: role.as_str(),
                        password_hash: &hash,
                    },
                )
                .await?;
                let view = UserView::from(row);
                audit::record(
                    conn,
                    ctx,
                    AuditEvent::new(actor, "user_created", "user", Some(view.id.to_string()))
                        .after(view.audit_json()),
                )
                .await?;
                Ok(view)
            })
            .await?;
        Ok(view)
    }

    pub async fn list_users(
        &self,
        caller: &Caller,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u32,
        role: Option<String>,
        is_active: Option<bool>,
    ) -> Result<(Vec<UserView>, Option<(DateTime<Utc>, Uuid)>), AppError> {
        caller.require(&[Role::Admin])?;
        if let Some(r) = &role {
            parse_role(r)?;
        }
        let limit = i64::from(limit.clamp(1, 200));
        let mut conn = self.conn().await?;
        let mut rows =
            store::list_users(&mut conn, after, limit + 1, role.as_deref(), is_active).await?;
        let next = if rows.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
            rows.pop();
            rows.last().map(|r| (r.created_at, r.id))
        } else {
            None
        };
        Ok((rows.into_iter().map(UserView::from).collect(), next))
    }

    /// Active users of `role` for another service's routing (the caller was authenticated by
    /// its service token). Bounded: routing never needs more than the first 1,000.
    /// Active users of `role`, or of every role when `role` is empty.
    pub async fn active_users(&self, role: &str) -> Result<Vec<UserView>, AppError> {
        let role = if role.is_empty() {
            None
        } else {
            parse_role(role)?;
            Some(role)
        };
        let mut conn = self.conn().await?;
        let rows = store::list_users(&mut conn, None, 1000, role, Some(true)).await?;
        Ok(rows.into_iter().map(UserView::from).collect())
    }

    /// Any staff caller: the users given by id or email, deleted ones included (their email
    /// and name still name them in history). Unknown ones are left out.
    pub async fn lookup_users(
        &self,
        caller: &Caller,
        ids: &[Uuid],
        emails: &[String],
    ) -> Result<Vec<UserView>, AppError> {
        caller.require(Role::STAFF)?;
        if ids.len() > 500 || emails.len() > 500 {
            return Err(AppError::Invalid(
                "At most 500 ids and 500 emails per call.".into(),
            ));
        }
        if ids.is_empty() && emails.is_empty() {
            return Ok(Vec::new());
        }
        let emails: Vec<String> = emails.iter().map(|e| e.trim().to_lowercase()).collect();
        let mut conn = self.conn().await?;
        let rows = store::lookup_users(&mut conn, ids, &emails).await?;
        Ok(rows.into_iter().map(UserView::from).collect())
    }

    pub async fn get_user(&self, caller: &Caller, id: Uuid) -> Result<UserView, AppError> {
        caller.require(&[Role::Admin])?;
        let mut conn = self.conn().await?;
        store::find_user(&mut conn, id, false)
            .await?
            .map(UserView::from)
            .ok_or(AppError::NotFound)
    }

    #[tracing::instrument(skip_all, fields(user.id = %caller.principal.user_id, target.id = %id))]
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: Uuid,
        patch: UserPatch,
    ) -> Result<UserView, AppError> {
        caller.require(&[Role::Admin])?;
        let name = patch.name.as_deref().map(domain::check_name).transpose()?;
        let role = patch.role.as_deref().map(parse_role).transpose()?;
        let is_self = id == caller.principal.user_id.as_uuid();
        if is_self && (patch.is_active == Some(false) || role.is_some_and(|r| r != Role::Admin)) {
            return Err(AppError::SelfModification);
        }
        let password_hash = match patch.password {
            Some(p) => {
                domain::check_password(&p)?;
                Some(hash_off_executor(p).await?)
            }
            None => None,
        };
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let before = store::find_user(conn, id, true)
                .await?
                .ok_or(AppError::NotFound)?;
            let before_view = UserView::from(before.clone());
            let password_changed = password_hash.is_some();
            let after = store::update_user(
                conn,
                id,
                UserChanges {
                    name,
                    role: role.map(|r| r.as_str().to_owned()),
                    is_active: patch.is_active,
                    password_hash,
                    updated_at: Some(Utc::now()),
                },
            )
            .await?;
            let after_view = UserView::from(after);
            let role_changed = before_view.role != after_view.role;
            let deactivated = before_view.is_active && !after_view.is_active;
            if role_changed || deactivated || password_changed {
                store::revoke_user_sessions(
                    conn,
                    id,
                    if deactivated {
                        "user_deactivated"
                    } else {
                        "user_changed"
                    },
                )
                .await?;
            }
            let entity = Some(id.to_string());
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(caller.actor(), "user_updated", "user", entity.clone())
                    .before(before_view.audit_json())
                    .after(json!({
                        "email": after_view.email, "name": after_view.name, "role": after_view.role,
                        "is_active": after_view.is_active, "password_changed": password_changed,
                    })),
            )
            .await?;
            if role_changed {
                audit::record(
                    conn,
                    &caller.ctx,
                    AuditEvent::new(caller.actor(), "role_changed", "user", entity.clone())
                        .before(json!({"role": before_view.role}))
                        .after(json!({"role": after_view.role})),
                )
                .await?;
            }
            if deactivated {
                audit::record(
                    conn,
                    &caller.ctx,
                    AuditEvent::new(caller.actor(), "user_deactivated", "user", entity)
                        .after(json!({"is_active": false})),
                )
                .await?;
            }
            Ok(after_view)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(user.id = %caller.principal.user_id, target.id = %id))]
    pub async fn delete_user(&self, caller: &Caller, id: Uuid) -> Result<(), AppError> {
        caller.require(&[Role::Admin])?;
        if id == caller.principal.user_id.as_uuid() {
            return Err(AppError::SelfModification);
        }
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let before = store::find_user(conn, id, true)
                .await?
                .ok_or(AppError::NotFound)?;
            store::soft_delete_user(conn, id).await?;
            store::revoke_user_sessions(conn, id, "user_deleted").await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(caller.actor(), "user_deleted", "user", Some(id.to_string()))
                    .before(UserView::from(before).audit_json()),
            )
            .await?;
            Ok(())
        })
        .await
    }
}

impl AuthApp {
    /// The id of a live user by email, for trusted in-process callers (seeding, tooling).
    pub async fn find_user_id(&self, email: &str) -> Result<Option<Uuid>, AppError> {
        let mut conn = self.conn().await?;
        Ok(
            store::find_user_by_email(&mut conn, &Email::login_key(email))
                .await?
                .map(|u| u.id),
        )
    }
}
