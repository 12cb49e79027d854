//! diesel-async queries of the auth schema. Functions take the caller's connection so the
//! app layer owns transactions; diesel errors stop at the app layer's mapping.

pub mod portal;
pub mod schema;

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use schema::{login_failures, refresh_tokens, users};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUserRow<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub name: Option<String>,
    pub role: Option<String>,
    pub is_active: Option<bool>,
    pub password_hash: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub const USERS_EMAIL_LIVE: &str = "users_email_live";

pub async fn insert_user(
    conn: &mut AsyncPgConnection,
    row: NewUserRow<'_>,
) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(row)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

/// A live (not deleted) user by normalised email.
pub async fn find_user_by_email(
    conn: &mut AsyncPgConnection,
    email: &str,
) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .filter(users::deleted_at.is_null())
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// A live user by id; `for_update` locks the row for a read-check-write.
pub async fn find_user(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    for_update: bool,
) -> QueryResult<Option<UserRow>> {
    let query = users::table
        .filter(users::id.eq(id))
        .filter(users::deleted_at.is_null())
        .select(UserRow::as_select());
    if for_update {
        query.for_update().first(conn).await.optional()
    } else {
        query.first(conn).await.optional()
    }
}

/// Users by id or by email, deleted ones included (for naming people in history).
pub async fn lookup_users(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
    emails: &[String],
) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::id.eq_any(ids).or(users::email.eq_any(emails)))
        .select(UserRow::as_select())
        .load(conn)
        .await
}

/// Live users, newest first, after the `(created_at, id)` keyset `after`, at most `limit`.
pub async fn list_users(
    conn: &mut AsyncPgConnection,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
    role: Option<&str>,
    is_active: Option<bool>,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table
        .filter(users::deleted_at.is_null())
        .select(UserRow::as_select())
        .order((users::created_at.desc(), users::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            users::created_at
                .lt(at)
                .or(users::created_at.eq(at).and(users::id.lt(id))),
        );
    }
    if let Some(role) = role {
        query = query.filter(users::role.eq(role.to_owned()));
    }
    if let Some(active) = is_active {
        query = query.filter(users::is_active.eq(active));
    }
    query.load(conn).await
}

pub async fn update_user(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: UserChanges,
) -> QueryResult<UserRow> {
    diesel::update(users::table.filter(users::id.eq(id)))
        .set(changes)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn soft_delete_user(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<UserRow> {
    let now = Utc::now();
    diesel::update(users::table.filter(users::id.eq(id)))
        .set((
            users::deleted_at.eq(now),
            users::is_active.eq(false),
            users::updated_at.eq(now),
        ))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

/// The lock on an email address for logins from `client_block`, if one is in force now.
pub async fn find_active_lock(
    conn: &mut AsyncPgConnection,
    email_key: &str,
    client_block: &str,
) -> QueryResult<Option<DateTime<Utc>>> {
    login_failures::table
        .filter(login_failures::email_key.eq(email_key))
        .filter(login_failures::client_block.eq(client_block))
        .filter(login_failures::locked_until.gt(diesel::dsl::sql::<Nullable<Timestamptz>>("now()")))
        .select(login_failures::locked_until.assume_not_null())
        .first(conn)
        .await
        .optional()
}

#[derive(QueryableByName)]
pub struct FailureCount {
    #[diesel(sql_type = Integer)]
    pub failures: i32,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub locked_until: Option<DateTime<Utc>>,
}

/// Counts one failed login of `email_key` from `client_block` atomically (a window older than
/// `window` restarts at 1) and sets the lock when the count reaches `max_failures`.
pub async fn record_login_failure(
    conn: &mut AsyncPgConnection,
    (email_key, client_block): (&str, &str),
    window: Duration,
    max_failures: u32,
    lockout: Duration,
) -> QueryResult<FailureCount> {
    let count: FailureCount = diesel::sql_query(
        "INSERT INTO login_failures AS f (email_key, client_block, failures, window_started_at) \
         VALUES ($1, $3, 1, now()) \
         ON CONFLICT (email_key, client_block) DO UPDATE SET \
           failures = CASE WHEN f.window_started_at < now() - make_interval(secs => $2) \
                           OR f.locked_until IS NOT NULL AND f.locked_until <= now() \
                      THEN 1 ELSE f.failures + 1 END, \
           window_started_at = CASE WHEN f.window_started_at < now() - make_interval(secs => $2) \
                           OR f.locked_until IS NOT NULL AND f.locked_until <= now() \
                      THEN now() ELSE f.window_started_at END, \
           locked_until = CASE WHEN f.locked_until IS NOT NULL AND f.locked_until <= now() \
                      THEN NULL ELSE f.locked_until END \
         RETURNING failures, locked_until",
    )
    .bind::<Text, _>(email_key)
    .bind::<Integer, _>(secs_i32(window))
    .bind::<Text, _>(client_block)
    .get_result::<FailureCount>(conn)
    .await?;
    if u32::try_from(count.failures).unwrap_or(0) < max_failures {
        return Ok(count);
    }
    diesel::sql_query(
        "UPDATE login_failures SET locked_until = now() + make_interval(secs => $2) \
         WHERE email_key = $1 AND client_block = $3 RETURNING failures, locked_until",
    )
    .bind::<Text, _>(email_key)
    .bind::<Integer, _>(secs_i32(lockout))
    .bind::<Text, _>(client_block)
    .get_result(conn)
    .await
}

fn secs_i32(d: Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
}

pub async fn clear_login_failures(
    conn: &mut AsyncPgConnection,
    email_key: &str,
    client_block: &str,
) -> QueryResult<usize> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::email_key.eq(email_key))
            .filter(login_failures::client_block.eq(client_block)),
    )
    .execute(conn)
    .await
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
pub struct RefreshTokenRow {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub token_hash: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshTokenRow<'a> {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub token_hash: &'a str,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_refresh_token(
    conn: &mut AsyncPgConnection,
    row: NewRefreshTokenRow<'_>,
) -> QueryResult<usize> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)
        .await
}

/// The token with this hash, locked, so two concurrent refreshes cannot both rotate it.
pub async fn find_refresh_token_for_update(
    conn: &mut AsyncPgConnection,
    token_hash: &str,
) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshTokenRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn mark_refresh_token_rotated(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::id.eq(id)))
        .set(refresh_tokens::rotated_at.eq(Utc::now()))
        .execute(conn)
        .await
}

/// Revokes every live token of one session.
pub async fn revoke_family(
    conn: &mut AsyncPgConnection,
    family_id: Uuid,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set((
        refresh_tokens::revoked_at.eq(Utc::now()),
        refresh_tokens::revoked_reason.eq(reason),
    ))
    .execute(conn)
    .await
}

/// Revokes every live token of every session of a user.
pub async fn revoke_user_sessions(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set((
        refresh_tokens::revoked_at.eq(Utc::now()),
        refresh_tokens::revoked_reason.eq(reason),
    ))
    .execute(conn)
    .await
}

/// The sessions among `ids` that are live: a refresh token of theirs is not revoked and their
/// user is active and not deleted.
pub async fn live_sessions(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<Uuid>> {
    refresh_tokens::table
        .inner_join(users::table)
        .filter(refresh_tokens::family_id.eq_any(ids))
        .filter(refresh_tokens::revoked_at.is_null())
        .filter(users::is_active.eq(true))
        .filter(users::deleted_at.is_null())
        .select(refresh_tokens::family_id)
        .distinct()
        .load(conn)
        .await
}
