//! The audit writer: one append-only, hash-chained `audit_log` per service schema, written in
//! the caller's transaction, and the verifier that walks a chain and finds the first broken row.

use ap_types::UserId;
use chrono::{DateTime, SubsecRound, Utc};
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Hash standing before the first row of every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where a request came from, as the gateway saw it; recorded with every audit row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl RequestContext {
    /// Reads the context the gateway put into gRPC metadata.
    pub fn from_metadata(md: &tonic::metadata::MetadataMap) -> Self {
        let get = |k: &str| {
            md.get(k)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect::<String>())
        };
        Self {
            request_id: get(crate::request_id::REQUEST_ID)
                .filter(|id| crate::request_id::is_sane_request_id(id)),
            client_ip: get(crate::request_id::CLIENT_IP),
            user_agent: get(crate::request_id::CLIENT_USER_AGENT),
        }
    }
}

/// Who did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User {
        id: UserId,
        email: String,
    },
    /// Someone not (yet) authenticated, e.g. a failed login for an email address.
    Anonymous {
        claimed: String,
    },
    /// A service or job acting for no user.
    System(String),
    /// A vendor acting through the portal with its vendor token.
    Vendor(uuid::Uuid),
}

impl Actor {
    fn id(&self) -> Option<uuid::Uuid> {
        match self {
            Actor::User { id, .. } => Some(id.as_uuid()),
            _ => None,
        }
    }

    fn label(&self) -> String {
        match self {
            Actor::User { email, .. } => email.clone(),
            Actor::Anonymous { claimed } => format!("anonymous:{claimed}"),
            Actor::System(name) => format!("system:{name}"),
            Actor::Vendor(id) => format!("vendor:{id}"),
        }
    }
}

/// One state change to record.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub actor: Actor,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl AuditEvent {
    pub fn new(actor: Actor, action: &str, entity_type: &str, entity_id: Option<String>) -> Self {
        Self {
            actor,
            action: action.to_owned(),
            entity_type: entity_type.to_owned(),
            entity_id,
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, v: Value) -> Self {
        self.before = Some(v);
        self
    }

    pub fn after(mut self, v: Value) -> Self {
        self.after = Some(v);
        self
    }
}

#[derive(QueryableByName)]
struct ChainHead {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    hash: String,
}

/// A stored audit row, as read back for verification and timelines.
#[derive(Clone, Debug, QueryableByName, serde::Serialize)]
pub struct AuditRow {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = SqlUuid)]
    pub id: uuid::Uuid,
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub actor_id: Option<uuid::Uuid>,
    #[diesel(sql_type = Text)]
    pub actor: String,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Text)]
    pub entity_type: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub entity_id: Option<String>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub before_data: Option<Value>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub after_data: Option<Value>,
    #[diesel(sql_type = Nullable<Text>)]
    pub request_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub client_ip: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub user_agent: Option<String>,
    #[diesel(sql_type = Text)]
    pub prev_hash: String,
    #[diesel(sql_type = Text)]
    pub hash: String,
}

impl AuditRow {
    /// SHA-256 over the canonical JSON of every field but `hash`, chained by `prev_hash`.
    pub fn compute_hash(&self) -> String {
        let doc = serde_json::json!({
            "seq": self.seq,
            "id": self.id.to_string(),
            "occurred_at": ap_types::time::instant(self.occurred_at),
            "actor_id": self.actor_id.map(|u| u.to_string()),
            "actor": self.actor,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "before": self.before_data,
            "after": self.after_data,
            "request_id": self.request_id,
            "client_ip": self.client_ip,
            "user_agent": self.user_agent,
            "prev_hash": self.prev_hash,
        });
        let mut canonical = String::new();
        write_canonical(&doc, &mut canonical);
        hex::encode(Sha256::digest(canonical.as_bytes()))
    }
}

/// JSON with object keys sorted at every level, so the hash does not depend on how a map
/// happened to be ordered (PostgreSQL's jsonb reorders keys).
fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Appends one row to the current schema's audit log. Must run inside the caller's
/// transaction: the advisory lock that serialises the chain is held until it commits.
pub async fn record(
    conn: &mut AsyncPgConnection,
    ctx: &RequestContext,
    event: AuditEvent,
) -> QueryResult<AuditRow> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('ap-audit-' || current_schema()))")
        .execute(conn)
        .await?;
    let head: Option<ChainHead> =
        diesel::sql_query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .get_result(conn)
            .await
            .map(Some)
            .or_else(|e| {
                if e == diesel::NotFound {
                    Ok(None)
                } else {
                    Err(e)
                }
            })?;
    let (prev_seq, prev_hash) = head.map_or((0, GENESIS_HASH.to_owned()), |h| (h.seq, h.hash));
    let mut row = AuditRow {
        seq: prev_seq + 1,
        id: uuid::Uuid::now_v7(),
        occurred_at: Utc::now().trunc_subsecs(6),
        actor_id: event.actor.id(),
        actor: event.actor.label(),
        action: event.action,
        entity_type: event.entity_type,
        entity_id: event.entity_id,
        before_data: event.before,
        after_data: event.after,
        request_id: ctx.request_id.clone(),
        client_ip: ctx.client_ip.clone(),
        user_agent: ctx.user_agent.clone(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = row.compute_hash();
    diesel::sql_query(
        "INSERT INTO audit_log (seq, id, occurred_at, actor_id, actor, action, entity_type, \
         entity_id, before_data, after_data, request_id, client_ip, user_agent, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind::<BigInt, _>(row.seq)
    .bind::<SqlUuid, _>(row.id)
    .bind::<Timestamptz, _>(row.occurred_at)
    .bind::<Nullable<SqlUuid>, _>(row.actor_id)
    .bind::<Text, _>(&row.actor)
    .bind::<Text, _>(&row.action)
    .bind::<Text, _>(&row.entity_type)
    .bind::<Nullable<Text>, _>(&row.entity_id)
    .bind::<Nullable<Jsonb>, _>(&row.before_data)
    .bind::<Nullable<Jsonb>, _>(&row.after_data)
    .bind::<Nullable<Text>, _>(&row.request_id)
    .bind::<Nullable<Text>, _>(&row.client_ip)
    .bind::<Nullable<Text>, _>(&row.user_agent)
    .bind::<Text, _>(&row.prev_hash)
    .bind::<Text, _>(&row.hash)
    .execute(conn)
    .await?;
    Ok(row)
}

/// Appends many rows to the current schema's audit log in one statement (a batch of
/// invoices paid by one run), chained exactly as [`record`] chains them. Must run inside the
/// caller's transaction, like [`record`].
pub async fn record_many(
    conn: &mut AsyncPgConnection,
    ctx: &RequestContext,
    events: Vec<AuditEvent>,
) -> QueryResult<usize> {
    use diesel::sql_types::Array;
    if events.is_empty() {
        return Ok(0);
    }
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('ap-audit-' || current_schema()))")
        .execute(conn)
        .await?;
    let head: Option<ChainHead> =
        diesel::sql_query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .get_result(conn)
            .await
            .map(Some)
            .or_else(|e| {
                if e == diesel::NotFound {
                    Ok(None)
                } else {
                    Err(e)
                }
            })?;
    let (mut seq, mut prev_hash) = head.map_or((0, GENESIS_HASH.to_owned()), |h| (h.seq, h.hash));
    let occurred_at = Utc::now().trunc_subsecs(6);
    let n = events.len();
    let mut cols = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for event in events {
        seq += 1;
        let mut row = AuditRow {
            seq,
            id: uuid::Uuid::now_v7(),
            occurred_at,
            actor_id: event.actor.id(),
            actor: event.actor.label(),
            action: event.action,
            entity_type: event.entity_type,
            entity_id: event.entity_id,
            before_data: event.before,
            after_data: event.after,
            request_id: ctx.request_id.clone(),
            client_ip: ctx.client_ip.clone(),
            user_agent: ctx.user_agent.clone(),
            prev_hash: prev_hash.clone(),
            hash: String::new(),
        };
        row.hash = row.compute_hash();
        prev_hash = row.hash.clone();
        cols.0.push(row.seq);
        cols.1.push(row.id);
        cols.2.push(row.actor_id);
        cols.3.push(row.actor);
        cols.4.push(row.action);
        cols.5.push(row.entity_type);
        cols.6.push(row.entity_id);
        cols.7.push(row.before_data);
        cols.8.push(row.after_data);
        cols.9.push(row.prev_hash);
        cols.10.push(row.hash);
    }
    diesel::sql_query(
        "INSERT INTO audit_log (seq, id, occurred_at, actor_id, actor, action, entity_type, \
         entity_id, before_data, after_data, request_id, client_ip, user_agent, prev_hash, hash) \
         SELECT u.seq, u.id, $3, u.actor_id, u.actor, u.action, u.entity_type, u.entity_id, \
         u.before_data, u.after_data, $10, $11, $12, u.prev_hash, u.hash \
         FROM UNNEST($1, $2, $4, $5, $6, $7, $8, $9, $13, $14, $15) \
         AS u(seq, id, actor_id, actor, action, entity_type, entity_id, before_data, after_data, prev_hash, hash) \
         ORDER BY u.seq",
    )
    .bind::<Array<BigInt>, _>(cols.0)
    .bind::<Array<SqlUuid>, _>(cols.1)
    .bind::<Timestamptz, _>(occurred_at)
    .bind::<Array<Nullable<SqlUuid>>, _>(cols.2)
    .bind::<Array<Text>, _>(cols.3)
    .bind::<Array<Text>, _>(cols.4)
    .bind::<Array<Text>, _>(cols.5)
    .bind::<Array<Nullable<Text>>, _>(cols.6)
    .bind::<Array<Nullable<Jsonb>>, _>(cols.7)
    .bind::<Nullable<Text>, _>(&ctx.request_id)
    .bind::<Nullable<Text>, _>(&ctx.client_ip)
    .bind::<Nullable<Text>, _>(&ctx.user_agent)
    .bind::<Array<Nullable<Jsonb>>, _>(cols.8)
    .bind::<Array<Text>, _>(cols.9)
    .bind::<Array<Text>, _>(cols.10)
    .execute(conn)
    .await
}

/// The audit rows of one entity, oldest first.
pub async fn timeline(
    conn: &mut AsyncPgConnection,
    entity_type: &str,
    entity_id: &str,
) -> QueryResult<Vec<AuditRow>> {
    diesel::sql_query(
        "SELECT * FROM audit_log WHERE entity_type = $1 AND entity_id = $2 ORDER BY occurred_at, seq",
    )
    .bind::<Text, _>(entity_type)
    .bind::<Text, _>(entity_id)
    .load(conn)
    .await
}

/// The order of an entity's timeline as its cursors name it: oldest first by
/// `(occurred_at, id)`. Every service orders the same way, so a gateway can merge the pages of
/// several services and cut them with one cursor.
pub const TIMELINE_ORDER: &str = "occurred_at";

/// A page of an entity's audit rows, oldest first by `(occurred_at, id)`, strictly after the
/// keyset `after`; `limit` rows at most.
pub async fn timeline_page(
    conn: &mut AsyncPgConnection,
    entity_type: &str,
    entity_id: &str,
    after: Option<(DateTime<Utc>, uuid::Uuid)>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    diesel::sql_query(
        "SELECT * FROM audit_log WHERE entity_type = $1 AND entity_id = $2 \
         AND ($3::timestamptz IS NULL OR (occurred_at, id) > ($3, $4)) \
         ORDER BY occurred_at, id LIMIT $5",
    )
    .bind::<Text, _>(entity_type)
    .bind::<Text, _>(entity_id)
    .bind::<Nullable<Timestamptz>, _>(after.map(|a| a.0))
    .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.1))
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// One page of an entity's timeline for a list RPC: `cursor` as the client sent it (empty
/// for the first page), `limit` 0 meaning 50; returns the rows and the next cursor.
pub async fn timeline_rpc_page(
    conn: &mut AsyncPgConnection,
    entity_type: &str,
    entity_id: &str,
    cursor: &str,
    limit: u32,
) -> Result<(Vec<AuditRow>, Option<String>), TimelinePageError> {
    let after = ap_types::cursor::decode_time_id(cursor, TIMELINE_ORDER)?;
    let limit = i64::from(if limit == 0 { 50 } else { limit.min(200) });
    let mut rows = timeline_page(conn, entity_type, entity_id, after, limit + 1).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        rows.last()
            .map(|r| ap_types::cursor::encode_time_id(TIMELINE_ORDER, r.occurred_at, r.id))
    } else {
        None
    };
    Ok((rows, next))
}

#[derive(Debug, thiserror::Error)]
pub enum TimelinePageError {
    #[error("cursor {0}")]
    Cursor(#[from] ap_types::cursor::CursorError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// The first row at which a chain stops being intact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenLink {
    pub seq: i64,
    pub id: uuid::Uuid,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub rows_checked: u64,
    pub first_broken: Option<BrokenLink>,
}

/// Walks the current schema's chain in order, in pages, and reports the first row whose
/// sequence, link or hash does not hold.
pub async fn verify_chain(conn: &mut AsyncPgConnection) -> QueryResult<ChainReport> {
    const PAGE: i64 = 1000;
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut checked = 0;
    loop {
        let rows: Vec<AuditRow> =
            diesel::sql_query("SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2")
                .bind::<BigInt, _>(expected_seq)
                .bind::<BigInt, _>(PAGE)
                .load(conn)
                .await?;
        let n = rows.len();
        for row in rows {
            let broken = |reason: String| BrokenLink {
                seq: row.seq,
                id: row.id,
                reason,
            };
            let problem = if row.seq != expected_seq {
                Some(format!(
                    "expected row {expected_seq}, found row {} (rows missing)",
                    row.seq
                ))
            } else if row.prev_hash != prev_hash {
                Some("previous-hash link does not match the row before".to_owned())
            } else if row.compute_hash() != row.hash {
                Some("row content does not match its hash (altered)".to_owned())
            } else {
                None
            };
            if let Some(reason) = problem {
                return Ok(ChainReport {
                    rows_checked: checked,
                    first_broken: Some(broken(reason)),
                });
            }
            checked += 1;
            expected_seq += 1;
            prev_hash = row.hash;
        }
        if n < usize::try_from(PAGE).unwrap_or(usize::MAX) {
            return Ok(ChainReport {
                rows_checked: checked,
                first_broken: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = serde_json::json!({"b": 1, "a": {"d": [1, {"z": 0, "y": 1}], "c": null}});
        let mut out = String::new();
        write_canonical(&v, &mut out);
        assert_eq!(out, r#"{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}"#);
    }
}
