//! The outbox relay delivers over real gRPC with retries, keeps the request id of the request
//! that caused the event, and the receiver applies each event once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ap_kit::outbox::{self, OutboxRelay, RelayPolicy, SERVICE_TOKEN};
use ap_kit::token::ServiceTokens;
use ap_proto::common::v1::event_sink_server::{EventSink, EventSinkServer};
use ap_proto::common::v1::{Event, EventAck};
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use tokio::net::TcpListener;
use tonic::{Request, Response, Status};

use crate::{pool, test_db};

#[derive(Clone)]
struct Sink {
    pool: ap_kit::db::DbPool,
    tokens: ServiceTokens,
    failures_left: Arc<Mutex<u32>>,
    seen_request_ids: Arc<Mutex<Vec<String>>>,
}

#[tonic::async_trait]
impl EventSink for Sink {
    async fn deliver(&self, req: Request<Event>) -> Result<Response<EventAck>, Status> {
        let token = req
            .metadata()
            .get(SERVICE_TOKEN)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        self.tokens
            .verify(token, &["kit-test"])
            .map_err(|_| Status::unauthenticated("service token required"))?;
        let rid = req
            .metadata()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned();
        self.seen_request_ids.lock().expect("lock").push(rid);
        {
            let mut left = self.failures_left.lock().expect("lock");
            if *left > 0 {
                *left -= 1;
                return Err(Status::unavailable("not yet"));
            }
        }
        let event = req.into_inner();
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(|_| Status::unavailable("db"))?;
        let fresh = conn
            .transaction::<_, diesel::result::Error, _>(async |conn| {
                let fresh = outbox::mark_processed(conn, &event).await?;
                if fresh {
                    diesel::sql_query(
                        "INSERT INTO widgets (id, name) VALUES (gen_random_uuid(), 'from-event')",
                    )
                    .execute(conn)
                    .await?;
                }
                Ok(fresh)
            })
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        Ok(Response::new(EventAck { duplicate: !fresh }))
    }
}

async fn widget_count(db: &ap_test_support::TestDb) -> i64 {
    db.client()
        .await
        .query_one("SELECT count(*) FROM kit_test.widgets", &[])
        .await
        .expect("count")
        .get(0)
}

/// A credential for the test's own service identity, `kit-test`.
fn kit_test_tokens() -> ServiceTokens {
    let (private, public) = ap_kit::token::generate_ed25519_pem().expect("keys");
    ServiceTokens::new("kit-test", &private, &[("kit-test".to_owned(), public)]).expect("tokens")
}

#[tokio::test(flavor = "multi_thread")]
async fn events_are_retried_until_delivered_and_applied_once() {
    let db = test_db().await;
    let pool = pool(&db);
    let tokens = kit_test_tokens();
    let sink = Sink {
        pool: pool.clone(),
        tokens: tokens.clone(),
        failures_left: Arc::new(Mutex::new(2)),
        seen_request_ids: Arc::default(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(EventSinkServer::new(sink.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );

    // The event is committed with the change, under the request that caused it.
    let mut conn = pool.get().await.expect("conn");
    ap_kit::request_id::scope_request_id("rid-outbox-1".into(), async {
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            outbox::enqueue(conn, "sink", "widget.created", &json!({"name": "w"})).await?;
            Ok(())
        })
        .await
    })
    .await
    .expect("enqueue");

    let channel =
        ap_kit::grpc::channel(&format!("http://{addr}"), Duration::from_secs(5)).expect("channel");
    let policy = RelayPolicy {
        base_backoff: Duration::ZERO,
        ..RelayPolicy::default()
    };
    let relay =
        OutboxRelay::new(pool.clone(), "kit-test", tokens, policy).with_sink("sink", channel);
    let mut delivered = 0;
    for _ in 0..5 {
        delivered += relay.run_once().await.expect("pass");
        if delivered > 0 {
            break;
        }
    }
    assert_eq!(delivered, 1);
    assert_eq!(widget_count(&db).await, 1);
    let row = db
        .client()
        .await
        .query_one(
            "SELECT attempts, delivered_at IS NOT NULL FROM kit_test.outbox",
            &[],
        )
        .await
        .expect("row");
    assert_eq!(row.get::<_, i32>(0), 3, "two failures then a success");
    assert!(row.get::<_, bool>(1));
    assert!(
        sink.seen_request_ids
            .lock()
            .expect("lock")
            .iter()
            .all(|r| r == "rid-outbox-1")
    );

    // A redelivery (e.g. the relay crashed after sending, before recording) changes nothing.
    db.client()
        .await
        .batch_execute("UPDATE kit_test.outbox SET delivered_at = NULL")
        .await
        .expect("reset");
    assert_eq!(relay.run_once().await.expect("pass"), 1);
    assert_eq!(widget_count(&db).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_sink_backs_off_and_records_the_error() {
    let db = test_db().await;
    let pool = pool(&db);
    let tokens = kit_test_tokens();
    let mut conn = pool.get().await.expect("conn");
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        outbox::enqueue(conn, "sink", "widget.created", &json!({})).await?;
        Ok(())
    })
    .await
    .expect("enqueue");
    // Nothing listens on port 9 of loopback.
    let channel =
        ap_kit::grpc::channel("http://127.0.0.1:9", Duration::from_secs(1)).expect("channel");
    let relay = OutboxRelay::new(pool, "kit-test", tokens, RelayPolicy::default())
        .with_sink("sink", channel);
    assert_eq!(relay.run_once().await.expect("pass"), 0);
    // Backed off: an immediate second pass finds nothing due.
    assert_eq!(relay.run_once().await.expect("pass"), 0);
    let row = db
        .client()
        .await
        .query_one(
            "SELECT attempts, last_error IS NOT NULL, next_attempt_at > now() FROM kit_test.outbox",
            &[],
        )
        .await
        .expect("row");
    assert_eq!(row.get::<_, i32>(0), 1);
    assert!(row.get::<_, bool>(1));
    assert!(row.get::<_, bool>(2));
}
