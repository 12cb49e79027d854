//! Reads the reporting views' columns, types and comments from the system catalogs (as the
//! service's own role, not as `ap_readonly`).

use diesel::QueryableByName;
use diesel::sql_types::{Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::domain::catalog::{Column, View, ViewCatalog};

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    view_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    view_comment: Option<String>,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Nullable<Text>)]
    column_comment: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn load_view_catalog(conn: &mut AsyncPgConnection) -> diesel::QueryResult<ViewCatalog> {
    let rows: Vec<ColumnRow> = diesel::sql_query(
        "SELECT c.relname::text AS view_name, obj_description(c.oid, 'pg_class') AS view_comment, \
         a.attname::text AS column_name, format_type(a.atttypid, a.atttypmod) AS data_type, \
         col_description(c.oid, a.attnum) AS column_comment \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid \
         WHERE n.nspname = 'reporting' AND c.relkind = 'v' AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY c.relname, a.attnum",
    )
    .load(conn)
    .await?;
    let mut views: Vec<View> = Vec::new();
    for row in rows {
        if views.last().is_none_or(|v| v.name != row.view_name) {
            views.push(View {
                name: row.view_name.clone(),
                comment: row.view_comment.clone(),
                columns: Vec::new(),
            });
        }
        if let Some(view) = views.last_mut() {
            view.columns.push(Column {
                name: row.column_name,
                data_type: row.data_type,
                comment: row.column_comment,
            });
        }
    }
    Ok(ViewCatalog::new(views))
}
