//! Runs a guarded query: a `READ ONLY` transaction, `SET LOCAL ROLE ap_readonly` (which can
//! read the reporting views and nothing else), `search_path` limited to `reporting`, a
//! statement timeout, bounded memory (`work_mem`, `hash_mem_multiplier = 1`, no parallel
//! workers to multiply it) and the guard's row cap. Each row comes back as PostgreSQL's own
//! JSON rendering of its cells, so any column type can be returned without knowing it.

use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::domain::rows::RawCell;

/// The role every generated query runs as.
pub const READONLY_ROLE: &str = "ap_readonly";

#[derive(QueryableByName)]
struct CellsRow {
    #[diesel(sql_type = Text)]
    cells: String,
}

/// Column names (from the first row) and the cells of every row.
#[derive(Debug, Default)]
pub struct RawRows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<RawCell>>,
}

/// True when PostgreSQL cancelled the statement for running past `statement_timeout`.
pub fn is_statement_timeout(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(_, info)
        if info.message().contains("statement timeout"))
}

/// What one generated statement may use.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub timeout: Duration,
    pub work_mem_kb: u32,
}

/// Runs `wrapped` (the guard's output, row limit included) read-only as `ap_readonly`.
#[tracing::instrument(skip_all, fields(timeout_ms = limits.timeout.as_millis()))]
pub async fn run_read_only(
    conn: &mut AsyncPgConnection,
    wrapped: &str,
    limits: Limits,
) -> diesel::QueryResult<RawRows> {
    let timeout_ms = limits.timeout.as_millis().max(1);
    let work_mem_kb = limits.work_mem_kb.max(64);
    let sql = format!(
        "SELECT COALESCE((SELECT json_agg(json_build_array(e.key, json_typeof(e.value), \
         e.value #>> '{{}}')) FROM json_each(row_to_json(ap_q)) AS e), '[]')::text AS cells \
         FROM ({wrapped}) AS ap_q"
    );
    let rows: Vec<CellsRow> = conn
        .build_transaction()
        .read_only()
        .run(async |conn| {
            diesel::sql_query(format!("SET LOCAL statement_timeout = {timeout_ms}"))
                .execute(conn)
                .await?;
            // Settings any role may change for itself; set before giving the role up.
            for setting in [
                format!("SET LOCAL work_mem = '{work_mem_kb}kB'"),
                "SET LOCAL hash_mem_multiplier = 1".to_owned(),
                "SET LOCAL max_parallel_workers_per_gather = 0".to_owned(),
            ] {
                diesel::sql_query(setting).execute(conn).await?;
            }
            diesel::sql_query(format!("SET LOCAL ROLE {READONLY_ROLE}"))
                .execute(conn)
                .await?;
            diesel::sql_query("SET LOCAL search_path = reporting")
                .execute(conn)
                .await?;
            diesel::sql_query(sql.as_str()).load::<CellsRow>(conn).await
        })
        .await?;
    let mut out = RawRows::default();
    for row in rows {
        let cells: Vec<(String, String, Option<String>)> = serde_json::from_str(&row.cells)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        if out.columns.is_empty() && out.rows.is_empty() {
            out.columns = cells.iter().map(|(name, _, _)| name.clone()).collect();
        }
        out.rows.push(
            cells
                .into_iter()
                .map(|(_, kind, text)| RawCell { kind, text })
                .collect(),
        );
    }
    Ok(out)
}
