//! In-app notifications, each readable only by its user.

use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::notifications as n;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = n, check_for_backend(diesel::pg::Pg))]
pub struct NotificationRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub invoice_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = n)]
pub struct NewNotification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub invoice_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
}

pub async fn insert_notifications(
    conn: &mut AsyncPgConnection,
    new: &[NewNotification],
) -> QueryResult<usize> {
    diesel::insert_into(n::table)
        .values(new.to_vec())
        .execute(conn)
        .await
}

pub async fn list_notifications(
    conn: &mut AsyncPgConnection,
    user: Uuid,
    unread_only: bool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    let mut q = n::table
        .filter(n::user_id.eq(user))
        .order((n::created_at.desc(), n::id.desc()))
        .limit(limit)
        .select(NotificationRow::as_select())
        .into_boxed();
    if unread_only {
        q = q.filter(n::read_at.is_null());
    }
    if let Some((at, id)) = after {
        q = q.filter(
            n::created_at
                .lt(at)
                .or(n::created_at.eq(at).and(n::id.lt(id))),
        );
    }
    q.load(conn).await
}

pub async fn count_unread(conn: &mut AsyncPgConnection, user: Uuid) -> QueryResult<i64> {
    n::table
        .filter(n::user_id.eq(user))
        .filter(n::read_at.is_null())
        .select(count_star())
        .first(conn)
        .await
}

/// Marks the user's own notification read (the first time); `None` when it is not theirs.
pub async fn mark_read(
    conn: &mut AsyncPgConnection,
    user: Uuid,
    id: Uuid,
) -> QueryResult<Option<NotificationRow>> {
    diesel::update(n::table.filter(n::id.eq(id)).filter(n::user_id.eq(user)))
        .set(
            n::read_at.eq(sql::<diesel::sql_types::Nullable<Timestamptz>>(
                "coalesce(read_at, now())",
            )),
        )
        .returning(NotificationRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}
