//! The audit log: written in the caller's transaction, append-only, chained, verifiable.

use ap_kit::audit::{self, Actor, AuditEvent, RequestContext};
use diesel_async::AsyncConnection;
use serde_json::json;

use crate::{pool, test_db};

fn event(n: usize) -> AuditEvent {
    AuditEvent::new(
        Actor::System("test".into()),
        "widget_changed",
        "widget",
        Some(format!("w-{n}")),
    )
    .before(json!({"n": n, "nested": {"b": 1, "a": [1, 2]}}))
    .after(json!({"n": n + 1, "price": "10.50"}))
}

fn ctx() -> RequestContext {
    RequestContext {
        request_id: Some("rid-audit".into()),
        client_ip: Some("192.0.2.7".into()),
        user_agent: Some("tests".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_produce_one_intact_chain() {
    let db = test_db().await;
    let pool = pool(&db);
    let mut tasks = Vec::new();
    for n in 0..40 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = pool.get().await.expect("conn");
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                audit::record(conn, &ctx(), event(n)).await?;
                Ok(())
            })
            .await
            .expect("write");
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let mut conn = pool.get().await.expect("conn");
    let report = audit::verify_chain(&mut conn).await.expect("verify");
    assert_eq!(report.rows_checked, 40);
    assert_eq!(report.first_broken, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rolled_back_transaction_leaves_no_audit_row() {
    let db = test_db().await;
    let pool = pool(&db);
    let mut conn = pool.get().await.expect("conn");
    let _ = conn
        .transaction::<(), diesel::result::Error, _>(async |conn| {
            audit::record(conn, &ctx(), event(1)).await?;
            Err(diesel::result::Error::RollbackTransaction)
        })
        .await;
    let rows = audit::timeline(&mut conn, "widget", "w-1")
        .await
        .expect("timeline");
    assert!(rows.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_and_deletes_are_refused_by_the_trigger() {
    let db = test_db().await;
    let pool = pool(&db);
    let mut conn = pool.get().await.expect("conn");
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        audit::record(conn, &ctx(), event(1)).await?;
        Ok(())
    })
    .await
    .expect("write");
    let client = db.client().await;
    for sql in [
        "UPDATE kit_test.audit_log SET action = 'forged'",
        "DELETE FROM kit_test.audit_log",
        "TRUNCATE kit_test.audit_log",
    ] {
        let err = client.execute(sql, &[]).await.expect_err(sql);
        assert!(
            err.to_string().contains("append-only") || format!("{err:?}").contains("append-only"),
            "{sql}: {err:?}"
        );
    }
    let rows = audit::timeline(&mut conn, "widget", "w-1")
        .await
        .expect("timeline");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].request_id.as_deref(), Some("rid-audit"));
    assert_eq!(rows[0].client_ip.as_deref(), Some("192.0.2.7"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_row_altered_behind_the_triggers_back_is_reported() {
    let db = test_db().await;
    let pool = pool(&db);
    let mut conn = pool.get().await.expect("conn");
    for n in 0..5 {
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            audit::record(conn, &ctx(), event(n)).await?;
            Ok(())
        })
        .await
        .expect("write");
    }
    // A superuser can switch triggers off; the hash chain still catches the change.
    let client = db.client().await;
    client
        .batch_execute(
            "SET session_replication_role = replica; \
             UPDATE kit_test.audit_log SET after_data = '{\"n\": 999}' WHERE seq = 3;",
        )
        .await
        .expect("tamper");
    let report = audit::verify_chain(&mut conn).await.expect("verify");
    let broken = report.first_broken.expect("broken");
    assert_eq!(broken.seq, 3);
    assert_eq!(report.rows_checked, 2);
    assert!(broken.reason.contains("altered"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_row_is_reported_as_a_gap() {
    let db = test_db().await;
    let pool = pool(&db);
    let mut conn = pool.get().await.expect("conn");
    for n in 0..4 {
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            audit::record(conn, &ctx(), event(n)).await?;
            Ok(())
        })
        .await
        .expect("write");
    }
    let client = db.client().await;
    client
        .batch_execute(
            "SET session_replication_role = replica; DELETE FROM kit_test.audit_log WHERE seq = 2;",
        )
        .await
        .expect("tamper");
    let report = audit::verify_chain(&mut conn).await.expect("verify");
    assert_eq!(report.first_broken.expect("broken").seq, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bulk_rows_interleaved_with_single_writers_keep_one_intact_chain() {
    let db = test_db().await;
    let pool = pool(&db);
    let mut tasks = Vec::new();
    for n in 0..6 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = pool.get().await.expect("conn");
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                if n % 2 == 0 {
                    audit::record_many(
                        conn,
                        &ctx(),
                        (0..250).map(|i| event(n * 1000 + i)).collect(),
                    )
                    .await?;
                } else {
                    audit::record(conn, &ctx(), event(n)).await?;
                }
                Ok(())
            })
            .await
            .expect("write");
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let mut conn = pool.get().await.expect("conn");
    assert_eq!(
        audit::record_many(&mut conn, &ctx(), Vec::new())
            .await
            .expect("empty"),
        0
    );
    let report = audit::verify_chain(&mut conn).await.expect("verify");
    assert_eq!(report.rows_checked, 3 * 250 + 3);
    assert_eq!(report.first_broken, None);
    let rows = audit::timeline(&mut conn, "widget", "w-2007")
        .await
        .expect("timeline");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].request_id.as_deref(), Some("rid-audit"));
    assert_eq!(
        rows[0].after_data,
        Some(json!({"n": 2008, "price": "10.50"}))
    );
}
