//! The Ask-AI service: a question in natural language becomes one SQL query over the
//! `reporting` views, checked by a guard on its syntax tree and run in a read-only
//! transaction as `ap_readonly`. It owns schema `askai` (the question log) and creates the
//! `reporting` schema, so it migrates after every service whose tables the views read.
//! `Application` binds its own listener (port 0 in tests).

pub mod app;
pub mod domain;
pub mod grpc;
pub mod store;

use std::net::SocketAddr;
use std::time::Duration;

use ap_kit::Config;
use ap_kit::db::DbPool;
use ap_kit::grpc::GrpcServer;
use ap_proto::askai::v1::ask_ai_service_server::AskAiServiceServer;
use diesel_migrations::EmbeddedMigrations;
use tokio::net::TcpListener;

pub use app::AskAiApp;

pub const SCHEMA: &str = "askai";
/// The question log and the reporting views. The views read the invoice and payment schemas:
/// run these after those services' migrations (`apctl migrate` does).
pub const MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations");

pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    ap_kit::db::run_migrations(database_url, SCHEMA, MIGRATIONS).await
}

/// The optional LLM client, from `ANTHROPIC_*` settings.
pub fn llm_client(config: &Config) -> anyhow::Result<Option<ap_llm::Client>> {
    let Some(settings) = &config.llm else {
        return Ok(None);
    };
    let mut llm = ap_llm::LlmConfig::new(settings.api_key.clone());
    if let Some(url) = &settings.base_url {
        llm.base_url = url.clone();
    }
    if let Some(model) = &settings.model {
        llm.model = model.clone();
    }
    if let Some(timeout) = settings.timeout {
        llm.timeout = timeout;
    }
    Ok(Some(ap_llm::Client::new(llm).map_err(|e| {
        anyhow::anyhow!("ANTHROPIC_* configuration: {e}")
    })?))
}

/// Builds the use-case layer.
pub fn build_app(config: &Config, pool: DbPool) -> anyhow::Result<AskAiApp> {
    let tokens = config.service_tokens("askai")?;
    Ok(AskAiApp::new(
        pool,
        ap_kit::revocation::access_verifier(config, &tokens)?,
        llm_client(config)?,
        config.askai,
    ))
}

pub struct Application {
    listener: TcpListener,
    server: GrpcServer,
    pool: DbPool,
    health_every: Duration,
}

impl Application {
    pub async fn build(config: &Config, addr: SocketAddr) -> anyhow::Result<Self> {
        let pool = ap_kit::db::connect_pool(
            config.database_url(),
            SCHEMA,
            config.database_max_connections,
        )?;
        let app = build_app(config, pool.clone())?;
        let mut server = GrpcServer::new(config)?;
        server.add_service(AskAiServiceServer::new(grpc::AskAiGrpc::new(app)));
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            server,
            pool,
            health_every: Duration::from_secs(2),
        })
    }

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
            .serve_watching_db::<AskAiServiceServer<grpc::AskAiGrpc>>(
                self.listener,
                self.pool,
                self.health_every,
                shutdown,
                stopping,
            )
            .await
    }
}
