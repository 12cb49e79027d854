//! Transactional outbox: `enqueue` in the caller's transaction, a relay that delivers due
//! events over gRPC with retries and backoff, and the receiver's idempotency record.
//!
//! Each event keeps the request id and `traceparent` of the request that caused it; the relay
//! sends them as metadata, so the asynchronous hop stays on the same trace and log thread.

use std::collections::HashMap;
use std::time::Duration;

use ap_proto::common::v1::Event;
use ap_proto::common::v1::event_sink_client::EventSinkClient;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use tonic::transport::Channel;

use crate::db::DbPool;
use crate::request_id;
use crate::token::ServiceTokens;

/// Metadata key carrying the calling service's token on internal RPCs.
pub const SERVICE_TOKEN: &str = "x-ap-service-token";

/// Stores an event to be delivered to `destination` once the caller's transaction commits.
pub async fn enqueue(
    conn: &mut AsyncPgConnection,
    destination: &str,
    event_type: &str,
    payload: &Value,
) -> QueryResult<uuid::Uuid> {
    let id = uuid::Uuid::now_v7();
    diesel::sql_query(
        "INSERT INTO outbox (id, destination, event_type, payload, request_id, traceparent) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(destination)
    .bind::<Text, _>(event_type)
    .bind::<Jsonb, _>(payload)
    .bind::<Nullable<Text>, _>(request_id::current_request_id())
    .bind::<Nullable<Text>, _>(request_id::current_traceparent())
    .execute(conn)
    .await?;
    Ok(id)
}

/// Records `event` as processed in the receiver's transaction. False when it already was,
/// in which case the caller must skip its effect (a redelivery).
pub async fn mark_processed(conn: &mut AsyncPgConnection, event: &Event) -> QueryResult<bool> {
    let id: uuid::Uuid = event
        .event_id
        .parse()
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let inserted = diesel::sql_query(
        "INSERT INTO processed_events (event_id, event_type, source) VALUES ($1, $2, $3) \
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(&event.event_type)
    .bind::<Text, _>(&event.source)
    .execute(conn)
    .await?;
    Ok(inserted == 1)
}

#[derive(QueryableByName)]
struct PendingEvent {
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
    #[diesel(sql_type = Text)]
    destination: String,
    #[diesel(sql_type = Text)]
    event_type: String,
    #[diesel(sql_type = Jsonb)]
    payload: Value,
    #[diesel(sql_type = Nullable<Text>)]
    request_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    traceparent: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

/// Retry policy of the relay.
#[derive(Clone, Copy, Debug)]
pub struct RelayPolicy {
    pub batch_size: i64,
    pub poll_interval: Duration,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    pub delivery_timeout: Duration,
}

impl Default for RelayPolicy {
    fn default() -> Self {
        Self {
            batch_size: 50,
            poll_interval: Duration::from_millis(500),
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            delivery_timeout: Duration::from_secs(10),
        }
    }
}

/// Delivers a service's outbox to the `EventSink` of each destination service.
pub struct OutboxRelay {
    pool: DbPool,
    source: String,
    sinks: HashMap<String, EventSinkClient<Channel>>,
    tokens: ServiceTokens,
    policy: RelayPolicy,
}

impl OutboxRelay {
    pub fn new(pool: DbPool, source: &str, tokens: ServiceTokens, policy: RelayPolicy) -> Self {
        Self {
            pool,
            source: source.to_owned(),
            sinks: HashMap::new(),
            tokens,
            policy,
        }
    }

    /// Registers where events for `destination` go.
    pub fn with_sink(mut self, destination: &str, channel: Channel) -> Self {
        self.sinks
            .insert(destination.to_owned(), EventSinkClient::new(channel));
        self
    }

    /// Claims due events (skipping rows another replica holds), delivers them, and records
    /// each outcome. Returns how many were delivered.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let mut conn = self.pool.get().await?;
        let delivered = conn
            .transaction::<_, anyhow::Error, _>(async |conn| {
                {
                    let due: Vec<PendingEvent> = diesel::sql_query(
                        "SELECT id, destination, event_type, payload, request_id, traceparent, \
                         created_at, attempts FROM outbox \
                         WHERE delivered_at IS NULL AND next_attempt_at <= now() \
                         ORDER BY next_attempt_at, created_at LIMIT $1 FOR UPDATE SKIP LOCKED",
                    )
                    .bind::<diesel::sql_types::BigInt, _>(self.policy.batch_size)
                    .load(conn)
                    .await?;
                    let mut delivered = 0;
                    for event in due {
                        match self.deliver(&event).await {
                            Ok(()) => {
                                diesel::sql_query(
                                    "UPDATE outbox SET delivered_at = now(), attempts = attempts + 1, \
                                     last_error = NULL WHERE id = $1",
                                )
                                .bind::<SqlUuid, _>(event.id)
                                .execute(conn)
                                .await?;
                                delivered += 1;
                            }
                            Err(e) => {
                                let wait = self.backoff(event.attempts);
                                tracing::warn!(
                                    event.id = %event.id, event.type = %event.event_type,
                                    attempts = event.attempts + 1, retry_in_ms = wait.as_millis() as u64,
                                    request_id = event.request_id.as_deref().unwrap_or("-"),
                                    error = %e, "outbox delivery failed"
                                );
                                diesel::sql_query(
                                    "UPDATE outbox SET attempts = attempts + 1, last_error = $2, \
                                     next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
                                )
                                .bind::<SqlUuid, _>(event.id)
                                .bind::<Text, _>(e.to_string())
                                .bind::<diesel::sql_types::Double, _>(wait.as_secs_f64())
                                .execute(conn)
                                .await?;
                            }
                        }
                    }
                    Ok(delivered)
                }
            })
            .await?;
        Ok(delivered)
    }

    fn backoff(&self, attempts: i32) -> Duration {
        let exp = 2u32.saturating_pow(u32::try_from(attempts.clamp(0, 20)).unwrap_or(20));
        let wait = self
            .policy
            .base_backoff
            .saturating_mul(exp)
            .min(self.policy.max_backoff);
        // Up to 10 % jitter so replicas that failed together do not retry together.
        wait + wait.mul_f64(rand::random::<f64>() * 0.1)
    }

    async fn deliver(&self, event: &PendingEvent) -> anyhow::Result<()> {
        let mut client = self
            .sinks
            .get(&event.destination)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no sink configured for {}", event.destination))?;
        let mut req = tonic::Request::new(Event {
            event_id: event.id.to_string(),
            event_type: event.event_type.clone(),
            payload_json: event.payload.to_string(),
            source: self.source.clone(),
            occurred_at: ap_types::time::instant(event.created_at),
        });
        req.set_timeout(self.policy.delivery_timeout);
        request_id::inject_stored(
            req.metadata_mut(),
            event.request_id.as_deref(),
            event.traceparent.as_deref(),
        );
        let token = self.tokens.issue(&self.source)?;
        req.metadata_mut().insert(SERVICE_TOKEN, token.parse()?);
        client.deliver(req).await?;
        Ok(())
    }

    /// Runs until `shutdown` resolves, polling for due events.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            match self.run_once().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox relay pass failed"),
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.policy.poll_interval) => {}
            }
        }
    }
}

/// The sending service of an event delivered to an `EventSink`: its service token must verify
/// and name one of `allowed`. Anything else is `Unauthenticated`, with the reason logged.
pub fn verify_sender(
    tokens: &ServiceTokens,
    metadata: &tonic::metadata::MetadataMap,
    allowed: &[&str],
) -> Result<String, tonic::Status> {
    let token = metadata
        .get(SERVICE_TOKEN)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| tonic::Status::unauthenticated("Not authenticated."))?;
    tokens.verify(token, allowed).map_err(|e| {
        tracing::info!(reason = %e, "event refused: service token");
        tonic::Status::unauthenticated("Not authenticated.")
    })
}
