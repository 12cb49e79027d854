//! The standard tonic server every service runs (health, reflection outside production,
//! request-id and trace layers, Sentry, panic capture, timeouts, graceful shutdown) and the
//! helpers handlers share: authentication from metadata and safe error statuses.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use ap_types::Role;
use http::{Request, Response};
use tokio::net::TcpListener;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic::transport::Server;
use tower::Service;

use crate::config::Config;
use crate::request_id::{RequestIdScopeLayer, grpc_server_span};
use crate::token::{Principal, TokenVerifier};

/// Builder for a service's gRPC server with the house defaults.
pub struct GrpcServer {
    routes: RoutesBuilder,
    health: tonic_health::server::HealthReporter,
    reflection: bool,
    timeout: Duration,
}

impl GrpcServer {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let (health, health_service) = tonic_health::server::health_reporter();
        let mut routes = RoutesBuilder::default();
        routes.add_service(health_service);
        let reflection = !config.app_env.is_production();
        if reflection {
            routes.add_service(
                tonic_reflection::server::Builder::configure()
                    .register_encoded_file_descriptor_set(ap_proto::FILE_DESCRIPTOR_SET)
                    .build_v1()?,
            );
        }
        Ok(Self {
            routes,
            health,
            reflection,
            timeout: config.grpc_request_timeout,
        })
    }

    /// The reporter behind `grpc.health.v1`, for services to flip on database loss.
    pub fn health(&self) -> tonic_health::server::HealthReporter {
        self.health.clone()
    }

    pub fn add_service<S>(&mut self, svc: S) -> &mut Self
    where
        S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.routes.add_service(svc);
        self
    }

    /// Serves on `listener` until `shutdown` resolves, then drains in-flight RPCs.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = %listener.local_addr()?, reflection = self.reflection, "gRPC server listening");
        // Outermost first: the request id is scoped before anything logs; Sentry's hub wraps
        // the handler so events carry the request's span; panics become `internal` statuses
        // instead of torn-down streams.
        let layers = tower::ServiceBuilder::new()
            .layer(RequestIdScopeLayer)
            .layer(sentry_tower::NewSentryLayer::<Request<Body>>::new_from_top())
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                grpc_panic_response,
            ));
        Server::builder()
            .timeout(self.timeout)
            .trace_fn(grpc_server_span)
            .layer(layers)
            .add_routes(self.routes.routes())
            .serve_with_incoming_shutdown(nodelay(listener), shutdown)
            .await?;
        Ok(())
    }
}

impl GrpcServer {
    /// [`GrpcServer::serve`] while the health of service `S` follows the database (checked
    /// every `every`). `stopping` flips to true when shutdown begins, for background work
    /// (workers, relays) to finish with the server.
    pub async fn serve_watching_db<S: NamedService + 'static>(
        self,
        listener: TcpListener,
        pool: crate::db::DbPool,
        every: Duration,
        shutdown: impl Future<Output = ()> + Send + 'static,
        stopping: tokio::sync::watch::Sender<bool>,
    ) -> anyhow::Result<()> {
        let mut stopped = stopping.subscribe();
        let watcher = tokio::spawn(watch_database_health::<S>(
            pool,
            self.health(),
            every,
            async move {
                let _ = stopped.wait_for(|v| *v).await;
            },
        ));
        let result = self
            .serve(listener, async move {
                shutdown.await;
                let _ = stopping.send(true);
            })
            .await;
        watcher.abort();
        result
    }
}

/// Accepted connections with Nagle's algorithm off. `Server::tcp_nodelay` applies only to the
/// server's own listener, not to an incoming stream; without this, a response's trailers wait
/// for the client's delayed ACK (~40 ms per call, measured through the gateway).
fn nodelay(
    listener: TcpListener,
) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use tokio_stream::StreamExt;
    tokio_stream::wrappers::TcpListenerStream::new(listener).map(|conn| {
        if let Ok(stream) = &conn
            && let Err(e) = stream.set_nodelay(true)
        {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
        conn
    })
}

fn grpc_panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    tracing::error!(panic = %detail, "gRPC handler panicked");
    tonic::Status::internal("internal error").into_http()
}

/// Reads and verifies the caller's access token from `authorization` metadata.
pub fn authenticate<T>(
    verifier: &TokenVerifier,
    req: &tonic::Request<T>,
) -> Result<Principal, tonic::Status> {
    let header = req
        .metadata()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    verifier.verify_bearer(header).map_err(|e| {
        tracing::info!(reason = %e, "request refused: unauthenticated");
        tonic::Status::unauthenticated("Not authenticated.")
    })
}

/// [`authenticate`] plus a role guard.
pub fn authorize<T>(
    verifier: &TokenVerifier,
    req: &tonic::Request<T>,
    allowed: &[Role],
) -> Result<Principal, tonic::Status> {
    let principal = authenticate(verifier, req)?;
    principal.require(allowed).map_err(|e| {
        tracing::info!(user.id = %principal.user_id, reason = %e, "request refused: forbidden");
        tonic::Status::permission_denied("You do not have permission to perform this action.")
    })?;
    Ok(principal)
}

/// Logs an unexpected error with its whole chain once, here at the boundary, and returns the
/// status a client may see.
pub fn internal(err: impl Into<anyhow::Error>) -> tonic::Status {
    let err = err.into();
    tracing::error!(error = ?err, "internal error");
    tonic::Status::internal("internal error")
}

/// A list cursor the client sent back was refused: `invalid_argument` naming `cursor`, with
/// the field error the gateway turns into `errors: [{field: "cursor", ...}]`.
pub fn bad_cursor(err: &ap_types::cursor::CursorError) -> tonic::Status {
    let mut status = tonic::Status::invalid_argument(format!("Invalid input: cursor {err}."));
    let json = serde_json::json!([{"field": "cursor", "message": err.to_string()}]).to_string();
    status.metadata_mut().insert_bin(
        "x-ap-field-errors-bin",
        tonic::metadata::MetadataValue::from_bytes(json.as_bytes()),
    );
    status
}

/// The database is down or unreachable.
pub fn unavailable(err: impl Into<anyhow::Error>) -> tonic::Status {
    let err = err.into();
    tracing::error!(error = ?err, "database unavailable");
    tonic::Status::unavailable("Service temporarily unavailable.")
}

/// Watches the database and flips the service's health between SERVING and NOT_SERVING.
pub async fn watch_database_health<S: NamedService>(
    pool: crate::db::DbPool,
    health: tonic_health::server::HealthReporter,
    every: Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut last = None;
    loop {
        let up = crate::db::ping(&pool).await;
        if last != Some(up) {
            if up {
                health.set_serving::<S>().await;
                tracing::info!(service = S::NAME, "database reachable: serving");
            } else {
                health.set_not_serving::<S>().await;
                tracing::error!(service = S::NAME, "database unreachable: not serving");
            }
            last = Some(up);
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// A lazily connecting channel to another service, with connect and request deadlines.
pub fn channel(url: &str, request_timeout: Duration) -> anyhow::Result<tonic::transport::Channel> {
    Ok(tonic::transport::Endpoint::from_shared(url.to_owned())?
        .connect_timeout(Duration::from_secs(3))
        .timeout(request_timeout)
        .connect_lazy())
}
