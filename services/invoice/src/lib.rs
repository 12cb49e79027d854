//! The invoice service: vendors, purchase orders, goods receipts, invoice intake, storage,
//! listing and corrections. `Application` binds its own listener (port 0 in tests).

pub mod app;
pub mod crypto;
pub mod domain;
pub mod grpc;
pub mod storage;
pub mod store;

use std::net::SocketAddr;
use std::time::Duration;

use ap_kit::Config;
use ap_kit::db::DbPool;
use ap_kit::grpc::GrpcServer;
use ap_proto::invoice::v1::invoice_service_server::InvoiceServiceServer;
use diesel_migrations::EmbeddedMigrations;
use tokio::net::TcpListener;

pub use app::InvoiceApp;

pub const SCHEMA: &str = "invoice";
pub const MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations");

/// Largest gRPC message: upload and import chunks stay well below it.
const MAX_MESSAGE: usize = 4 * 1024 * 1024;

pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    ap_kit::db::run_migrations(database_url, SCHEMA, MIGRATIONS).await
}

pub fn build_app(config: &Config, pool: DbPool) -> anyhow::Result<InvoiceApp> {
    let public = config
        .jwt_public_key
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("JWT_PUBLIC_KEY is required by the invoice service"))?;
    let key = config
        .data_encryption_key
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("DATA_ENCRYPTION_KEY is required by the invoice service"))?;
    let tokens = config.service_tokens("invoice")?;
    Ok(InvoiceApp::new(
        pool,
        crypto::DataCipher::from_base64(key)?,
        storage::Storage::from_url(&config.storage_url)?,
        (
            ap_kit::revocation::access_verifier(config, &tokens)?,
            ap_kit::token::VendorTokenVerifier::from_pem(public)?,
        ),
        tokens.clone(),
        app::Parts {
            upload_max_bytes: config.upload_max_bytes,
            llm: llm_client(config)?,
            policy: app::matching::MatchPolicy::from_config(&config.matching)?,
            directory: Some(app::directory::Directory::new(
                ap_kit::grpc::channel(&config.services.auth_url, config.grpc_request_timeout)?,
                tokens,
            )),
        },
    ))
}

/// The optional LLM client, from `ANTHROPIC_*` settings.
fn llm_client(config: &Config) -> anyhow::Result<Option<ap_llm::Client>> {
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

pub struct Application {
    listener: TcpListener,
    server: GrpcServer,
    pool: DbPool,
    health_every: Duration,
    app: InvoiceApp,
    workers: app::extraction::WorkerConfig,
    routing_every: Duration,
    relay: ap_kit::outbox::OutboxRelay,
}

/// The worker settings of a configuration.
pub fn worker_config(config: &Config) -> app::extraction::WorkerConfig {
    let e = config.extraction;
    app::extraction::WorkerConfig {
        workers: e.workers,
        poll: e.poll,
        lease: e.lease,
        max_attempts: i32::try_from(e.max_attempts).unwrap_or(i32::MAX),
        ..app::extraction::WorkerConfig::default()
    }
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
        server.add_service(
            InvoiceServiceServer::new(grpc::InvoiceGrpc::new(app.clone()))
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
        );
        server.add_service(
            ap_proto::common::v1::event_sink_server::EventSinkServer::new(grpc::InvoiceSink::new(
                app.clone(),
            )),
        );
        // Approval requests and withdrawals go to the approval service's inbox.
        let relay = ap_kit::outbox::OutboxRelay::new(
            pool.clone(),
            "invoice",
            config.service_tokens("invoice")?,
            ap_kit::outbox::RelayPolicy {
                poll_interval: config.outbox_poll,
                ..ap_kit::outbox::RelayPolicy::default()
            },
        )
        .with_sink(
            app::matching::APPROVAL_DESTINATION,
            ap_kit::grpc::channel(&config.services.approval_url, config.grpc_request_timeout)?,
        );
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            server,
            pool,
            health_every: Duration::from_secs(2),
            app,
            workers: worker_config(config),
            routing_every: config.matching.routing_interval,
            relay,
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
        let (stopping, stop) = tokio::sync::watch::channel(false);
        let router = {
            let app = self.app.clone();
            let every = self.routing_every;
            let stop = stop.clone();
            tokio::spawn(async move { app.run_router(every, stop).await })
        };
        let relay = {
            let mut stop = stop.clone();
            let relay = self.relay;
            tokio::spawn(async move {
                relay
                    .run(async move {
                        let _ = stop.wait_for(|s| *s).await;
                    })
                    .await;
            })
        };
        let workers = (self.workers.workers > 0).then(|| {
            let app = self.app.clone();
            let config = self.workers;
            tokio::spawn(async move { app.run_extraction_workers(config, stop).await })
        });
        let result = self
            .server
            .serve_watching_db::<InvoiceServiceServer<grpc::InvoiceGrpc>>(
                self.listener,
                self.pool,
                self.health_every,
                shutdown,
                stopping,
            )
            .await;
        router.abort();
        let _ = tokio::time::timeout(Duration::from_secs(10), relay).await;
        if let Some(workers) = workers {
            // In-flight jobs finish their transaction; an interrupted one is reclaimed later.
            let _ = tokio::time::timeout(Duration::from_secs(10), workers).await;
        }
        result
    }
}
