//! What every AP process shares: configuration, telemetry, request-id propagation, the
//! standard gRPC server, the database pool and migrations, token verification, the audit
//! log, the transactional outbox and `Idempotency-Key` replay.

pub mod audit;
pub mod config;
pub mod db;
pub mod directory;
pub mod grpc;
pub mod idempotency;
pub mod net;
pub mod outbox;
pub mod request_id;
pub mod revocation;
pub mod shutdown;
pub mod telemetry;
pub mod token;

pub use config::{AppEnv, Config};
