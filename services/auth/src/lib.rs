//! The auth service: users and roles, password login with lockout, short-lived access tokens
//! and rotating refresh tokens. `Application` binds its own listener (port 0 in tests).

pub mod app;
pub mod domain;
pub mod grpc;
pub mod store;

use std::net::SocketAddr;
use std::time::Duration;

use ap_kit::Config;
use ap_kit::db::DbPool;
use ap_kit::grpc::GrpcServer;
use ap_kit::token::{TokenSigner, TokenVerifier};
use ap_proto::auth::v1::auth_service_server::AuthServiceServer;
use diesel_migrations::EmbeddedMigrations;
use tokio::net::TcpListener;

pub use app::AuthApp;

/// The schema this service owns.
pub const SCHEMA: &str = "auth";
pub const MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations");

/// Applies this service's migrations (and the kit's) in its schema.
pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    ap_kit::db::run_migrations(database_url, SCHEMA, MIGRATIONS).await
}

/// Builds the use-case layer from configuration.
pub fn build_app(config: &Config, pool: DbPool) -> anyhow::Result<AuthApp> {
    let private = config
        .jwt_private_key
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("JWT_PRIVATE_KEY is required by the auth service"))?;
    let public = config
        .jwt_public_key
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("JWT_PUBLIC_KEY is required by the auth service"))?;
    Ok(AuthApp::new(
        pool,
        TokenSigner::from_pem(private, config.access_token_ttl)?,
        TokenVerifier::from_pem(public)?,
        config.lockout,
        config.refresh_token_ttl,
        config.service_tokens("auth")?,
        app::PortalParts {
            settings: config.portal,
            public_url: config.public_url.clone(),
        },
    ))
}

/// The running service: a bound listener and everything needed to serve it.
pub struct Application {
    listener: TcpListener,
    server: GrpcServer,
    pool: DbPool,
    health_every: Duration,
}

impl Application {
    /// Connects the pool (lazily) and binds `addr`.
    pub async fn build(config: &Config, addr: SocketAddr) -> anyhow::Result<Self> {
        let pool = ap_kit::db::connect_pool(
            config.database_url(),
            SCHEMA,
            config.database_max_connections,
        )?;
        let app = build_app(config, pool.clone())?;
        let mut server = GrpcServer::new(config)?;
        server.add_service(AuthServiceServer::new(grpc::AuthGrpc::new(app)));
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            server,
            pool,
            health_every: Duration::from_secs(2),
        })
    }

    /// How often the database is pinged for the health status (tests shorten it).
    pub fn with_health_interval(mut self, every: Duration) -> Self {
        self.health_every = every;
        self
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stopping, _) = tokio::sync::watch::channel(false);
        self.server
            .serve_watching_db::<AuthServiceServer<grpc::AuthGrpc>>(
                self.listener,
                self.pool,
                self.health_every,
                shutdown,
                stopping,
            )
            .await
    }
}
