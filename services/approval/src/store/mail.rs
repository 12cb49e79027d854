//! The mail outbox: queued in the transaction that caused the mail, sent by the mailer (or held
//! when sending is disabled, for its recipient to read). Bodies never reach the logs.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::mail_outbox as m;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = m, check_for_backend(diesel::pg::Pg))]
pub struct MailRow {
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The platform user the mail is for; `None` for anyone else (a vendor).
    pub to_user_id: Option<Uuid>,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = m)]
pub struct NewMail {
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub status: String,
    pub to_user_id: Option<Uuid>,
}

pub async fn insert_mail(conn: &mut AsyncPgConnection, new: &[NewMail]) -> QueryResult<usize> {
    diesel::insert_into(m::table)
        .values(new.to_vec())
        .execute(conn)
        .await
}

/// Held mail, newest first: only `user`'s own, or everyone's when `everyone` (the caller then
/// decides what of the others' it may show).
pub async fn list_held(
    conn: &mut AsyncPgConnection,
    user: Uuid,
    everyone: bool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<MailRow>> {
    let mut q = m::table
        .filter(m::status.eq("held"))
        .order((m::created_at.desc(), m::id.desc()))
        .limit(limit)
        .select(MailRow::as_select())
        .into_boxed();
    if !everyone {
        q = q.filter(m::to_user_id.eq(user));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            m::created_at
                .lt(at)
                .or(m::created_at.eq(at).and(m::id.lt(id))),
        );
    }
    q.load(conn).await
}

/// Due mail to send, locked, skipping what another replica is sending.
pub async fn claim_pending(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<MailRow>> {
    m::table
        .filter(m::status.eq("pending"))
        .filter(m::next_attempt_at.le(sql::<Timestamptz>("now()")))
        .order(m::next_attempt_at.asc())
        .limit(limit)
        .select(MailRow::as_select())
        .for_update()
        .skip_locked()
        .load(conn)
        .await
}

pub async fn mark_sent(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::update(m::table.filter(m::id.eq(id)))
        .set((
            m::status.eq("sent"),
            m::sent_at.eq(sql::<diesel::sql_types::Nullable<Timestamptz>>("now()")),
            m::attempts.eq(m::attempts + 1),
            m::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .await
}

/// Schedules another attempt, or gives up (`failed`) after `max_attempts`.
pub async fn mark_failed_attempt(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    error: &str,
    retry_in_secs: f64,
    max_attempts: i32,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2, \
         status = CASE WHEN attempts + 1 >= $4 THEN 'failed' ELSE 'pending' END, \
         next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<diesel::sql_types::Text, _>(error)
    .bind::<diesel::sql_types::Double, _>(retry_in_secs)
    .bind::<diesel::sql_types::Integer, _>(max_attempts)
    .execute(conn)
    .await
}
