//! The question log (`askai.questions`).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::questions;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = questions)]
pub struct NewQuestionRow<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub user_email: &'a str,
    pub question: &'a str,
    pub sql: Option<&'a str>,
    pub outcome: &'a str,
    pub reason: Option<&'a str>,
    pub duration_ms: i32,
    pub row_count: Option<i32>,
    pub truncated: bool,
}

#[tracing::instrument(skip_all, fields(question.id = %row.id))]
pub async fn insert_question(
    conn: &mut AsyncPgConnection,
    row: &NewQuestionRow<'_>,
) -> QueryResult<()> {
    diesel::insert_into(questions::table)
        .values(row)
        .execute(conn)
        .await
        .map(|_| ())
}
