//! Matrix rows; soft-deleted, never removed (requests keep a reference to the row used).

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::schema::matrix_rules as m;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = m, check_for_backend(diesel::pg::Pg))]
pub struct MatrixRuleRow {
    pub id: Uuid,
    pub name: String,
    pub amount_over: Option<Decimal>,
    pub amount_up_to: Option<Decimal>,
    pub department: Option<String>,
    pub vendor_category: Option<String>,
    pub levels: serde_json::Value,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Insertable, AsChangeset)]
#[diesel(table_name = m, treat_none_as_null = true)]
pub struct MatrixRuleFields {
    pub name: String,
    pub amount_over: Option<Decimal>,
    pub amount_up_to: Option<Decimal>,
    pub department: Option<String>,
    pub vendor_category: Option<String>,
    pub levels: serde_json::Value,
}

/// Serialises matrix writes, so two overlapping rows cannot be saved side by side.
pub async fn lock_matrix(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('approval.matrix'))")
        .execute(conn)
        .await
        .map(|_| ())
}

pub async fn list_live_rules(conn: &mut AsyncPgConnection) -> QueryResult<Vec<MatrixRuleRow>> {
    m::table
        .filter(m::deleted_at.is_null())
        .order((
            m::department.asc(),
            m::vendor_category.asc(),
            m::amount_over.asc().nulls_first(),
        ))
        .select(MatrixRuleRow::as_select())
        .load(conn)
        .await
}

pub async fn find_rule(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<MatrixRuleRow>> {
    m::table
        .filter(m::id.eq(id))
        .filter(m::deleted_at.is_null())
        .select(MatrixRuleRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn insert_rule(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    created_by: Uuid,
    fields: &MatrixRuleFields,
) -> QueryResult<MatrixRuleRow> {
    diesel::insert_into(m::table)
        .values((m::id.eq(id), m::created_by.eq(created_by), fields.clone()))
        .returning(MatrixRuleRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn update_rule(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    fields: &MatrixRuleFields,
) -> QueryResult<MatrixRuleRow> {
    diesel::update(
        m::table
            .filter(m::id.eq(id))
            .filter(m::deleted_at.is_null()),
    )
    .set((
        fields.clone(),
        m::updated_at.eq(sql::<Timestamptz>("now()")),
    ))
    .returning(MatrixRuleRow::as_returning())
    .get_result(conn)
    .await
}

pub async fn delete_rule(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::update(
        m::table
            .filter(m::id.eq(id))
            .filter(m::deleted_at.is_null()),
    )
    .set(m::deleted_at.eq(sql::<diesel::sql_types::Nullable<Timestamptz>>("now()")))
    .execute(conn)
    .await
}
