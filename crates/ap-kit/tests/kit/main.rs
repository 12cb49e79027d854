//! Integration tests of the kit against a real PostgreSQL: migrations per schema, the
//! hash-chained audit log and the outbox relay over real gRPC.

mod audit_chain;
mod idempotency;
mod outbox_relay;
mod runtime_role;

use ap_test_support::TestDb;
use diesel_migrations::EmbeddedMigrations;

pub const SCHEMA: &str = "kit_test";
pub const MIGRATIONS: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("tests/fixtures/migrations");

pub async fn test_db() -> TestDb {
    TestDb::new("kit", |url| async move {
        ap_kit::db::run_migrations(&url, SCHEMA, MIGRATIONS).await
    })
    .await
}

pub fn pool(db: &TestDb) -> ap_kit::db::DbPool {
    ap_kit::db::connect_pool(db.url(), SCHEMA, 8).expect("pool")
}
