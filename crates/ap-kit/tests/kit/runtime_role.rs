//! The services' runtime role: full use of their tables, append-and-read only on the audit
//! log, and no way around its triggers (it owns nothing).

use ap_kit::audit::{self, Actor, AuditEvent, RequestContext};
use diesel_async::AsyncConnection;

use crate::{pool, test_db};

#[tokio::test(flavor = "multi_thread")]
async fn the_runtime_role_cannot_alter_the_audit_log() {
    let db = test_db().await;
    let pool = pool(&db);
    let mut conn = pool.get().await.expect("conn");
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        audit::record(
            conn,
            &RequestContext::default(),
            AuditEvent::new(Actor::System("test".into()), "created", "widget", None),
        )
        .await?;
        Ok(())
    })
    .await
    .expect("write");

    let client = db.client().await;
    client
        .batch_execute("SET search_path TO kit_test; SET ROLE ap_runtime;")
        .await
        .expect("become the runtime role");
    // What a service does: append and read the audit log, write its other tables.
    client
        .batch_execute(
            "SELECT count(*) FROM audit_log; \
             INSERT INTO outbox (id, destination, event_type, payload) \
             VALUES (gen_random_uuid(), 'x', 'y', '{}'); \
             UPDATE outbox SET attempts = 1; DELETE FROM outbox;",
        )
        .await
        .expect("ordinary work is allowed");
    let inserted = client
        .execute(
            "INSERT INTO audit_log (seq, id, occurred_at, actor, action, entity_type, prev_hash, hash) \
             VALUES (1000, gen_random_uuid(), now(), 'x', 'x', 'x', 'x', 'x')",
            &[],
        )
        .await
        .expect("INSERT is allowed");
    assert_eq!(inserted, 1);

    // Refused by privileges (not merely by the trigger, which a superuser could switch off).
    for sql in [
        "UPDATE audit_log SET action = 'forged'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = client.execute(sql, &[]).await.expect_err(sql);
        let text = format!("{err:?}");
        assert!(text.contains("permission denied"), "{sql}: {text}");
    }
    for sql in [
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_log_no_truncate ON audit_log",
        "SET session_replication_role = replica",
    ] {
        let err = client.execute(sql, &[]).await.expect_err(sql);
        let text = format!("{err:?}");
        assert!(
            text.contains("must be owner") || text.contains("permission denied"),
            "{sql}: {text}"
        );
    }
}
