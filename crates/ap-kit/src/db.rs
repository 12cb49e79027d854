//! PostgreSQL access shared by every service: a diesel-async + deadpool pool whose
//! connections live in the service's own schema, and the embedded-migration runner.

use std::time::Duration;

use diesel::ConnectionError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use futures::FutureExt;

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

/// The kit's own tables (audit log, outbox, processed events), created in every service schema.
pub const KIT_MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations");

/// How long a request waits for a connection or for a new one to open before failing
/// fast with `Unavailable` instead of hanging while the database is down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Errors of the persistence layer that every store shares.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Query(#[from] DieselError),
}

impl From<PoolError> for DbError {
    fn from(e: PoolError) -> Self {
        DbError::Unavailable(anyhow::anyhow!("{e}"))
    }
}

impl DbError {
    /// True when the database could not be reached (rather than refusing a statement).
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Unavailable(_) => true,
            DbError::Query(e) => is_connection_error(e),
        }
    }

    /// The name of the violated unique constraint, if this is a unique violation.
    pub fn unique_violation(&self) -> Option<&str> {
        match self {
            DbError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                info,
            )) => info.constraint_name(),
            _ => None,
        }
    }
}

pub fn is_connection_error(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | DieselError::BrokenTransactionManager
    ) || matches!(e, DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
        if info.message().contains("connection") || info.message().contains("terminating"))
}

/// A schema name we are willing to put into SQL and a search path: lowercase identifier.
fn checked_schema(schema: &str) -> anyhow::Result<&str> {
    anyhow::ensure!(
        !schema.is_empty()
            && schema.len() <= 63
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "invalid schema name {schema:?}"
    );
    Ok(schema)
}

/// `url` with `search_path` set to `schema`, so unqualified names (audit_log, outbox) resolve
/// to the service's own tables.
pub fn url_with_schema(url: &str, schema: &str) -> anyhow::Result<String> {
    let schema = checked_schema(schema)?;
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{url}{sep}options=-c%20search_path%3D{schema}%2Cpublic"
    ))
}

/// Builds the pool. Connections open lazily, so a service starts even while the
/// database is down and reports it through its health check.
pub fn connect_pool(url: &str, schema: &str, max_size: usize) -> anyhow::Result<DbPool> {
    let url = url_with_schema(url, schema)?;
    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(|url| {
        let url = url.to_owned();
        async move {
            tokio::time::timeout(CONNECT_TIMEOUT, AsyncPgConnection::establish(&url))
                .await
                .unwrap_or_else(|_| Err(ConnectionError::BadConnection("connect timed out".into())))
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::new_with_config(url, config);
    Ok(Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(CONNECT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .runtime(deadpool::Runtime::Tokio1)
        .build()?)
}

/// A connection from the pool, or `Unavailable`.
pub async fn conn(pool: &DbPool) -> Result<DbConn, DbError> {
    Ok(pool.get().await?)
}

/// True when a trivial query succeeds within the connect timeout.
pub async fn ping(pool: &DbPool) -> bool {
    let Ok(mut conn) = pool.get().await else {
        return false;
    };
    let query = diesel::sql_query("SELECT 1").execute(&mut conn);
    matches!(
        tokio::time::timeout(CONNECT_TIMEOUT, query).await,
        Ok(Ok(_))
    )
}

/// Creates `schema` if needed and applies the kit's and then the service's pending
/// migrations inside it. Needs a multi-threaded runtime (the harness blocks in place).
pub async fn run_migrations(
    url: &str,
    schema: &str,
    service: EmbeddedMigrations,
) -> anyhow::Result<()> {
    let schema = checked_schema(schema)?;
    let mut conn = AsyncPgConnection::establish(url).await?;
    diesel::sql_query(format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&mut conn)
        .await?;
    // Migrations of two processes starting together must not interleave.
    diesel::sql_query(format!(
        "SELECT pg_advisory_lock(hashtext('ap-migrate-{schema}'))"
    ))
    .execute(&mut conn)
    .await?;
    diesel::sql_query(format!("SET search_path TO {schema}, public"))
        .execute(&mut conn)
        .await?;
    let mut harness = AsyncMigrationHarness::new(conn);
    let result = match harness.run_pending_migrations(KIT_MIGRATIONS) {
        Ok(_) => harness.run_pending_migrations(service).map(|_| ()),
        Err(e) => Err(e),
    }
    .map_err(|e| anyhow::anyhow!("migrating schema {schema}: {e}"));
    let mut conn = harness.into_inner();
    diesel::sql_query(format!(
        "SELECT pg_advisory_unlock(hashtext('ap-migrate-{schema}'))"
    ))
    .execute(&mut conn)
    .await?;
    result
}

/// Creates the database `url` names when it does not exist yet (development and CI; in
/// production the database is provisioned beforehand and this only checks).
pub async fn ensure_database(url: &str) -> anyhow::Result<()> {
    let config: tokio_postgres::Config = url.parse()?;
    let name = config
        .get_dbname()
        .ok_or_else(|| anyhow::anyhow!("DATABASE_URL names no database"))?
        .to_owned();
    anyhow::ensure!(
        name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        "database name {name:?} must be a plain identifier"
    );
    let mut admin = config.clone();
    admin.dbname("postgres");
    let (client, connection) = admin.connect(tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await?
        .is_some();
    if !exists {
        // A concurrent creator may win the race; that is as good as creating it ourselves.
        if let Err(e) =
            tokio_postgres::Client::execute(&client, &format!("CREATE DATABASE {name}"), &[]).await
            && e.code() != Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE)
        {
            return Err(e.into());
        }
        tracing::info!(database = %name, "database created");
    }
    drop(client);
    driver.abort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_checked_before_reaching_sql() {
        assert!(url_with_schema("postgres://h/db", "auth").is_ok());
        assert!(url_with_schema("postgres://h/db", "auth; drop").is_err());
        assert!(url_with_schema("postgres://h/db", "").is_err());
    }

    #[test]
    fn search_path_is_appended_to_any_url() {
        assert_eq!(
            url_with_schema("postgres://h/db", "auth").expect("valid"),
            "postgres://h/db?options=-c%20search_path%3Dauth%2Cpublic"
        );
        assert!(
            url_with_schema("postgres://h/db?sslmode=disable", "auth")
                .expect("valid")
                .contains("disable&options=")
        );
    }
}
