//! The payment service: single payments recorded exactly once, payment runs (preview, four-eyes
//! approval, execution, cancellation) and their NACHA / pain.001 bank files. It owns schema
//! `payment` and reaches invoices only through the invoice service's gRPC API.
//! `Application` binds its own listener (port 0 in tests).

pub mod app;
pub mod crypto;
pub mod domain;
pub mod grpc;
pub mod store;

use std::net::SocketAddr;
use std::time::Duration;

use ap_kit::Config;
use ap_kit::db::DbPool;
use ap_kit::grpc::GrpcServer;
use ap_proto::payment::v1::payment_service_server::PaymentServiceServer;
use diesel_migrations::EmbeddedMigrations;
use tokio::net::TcpListener;

pub use app::PaymentApp;

pub const SCHEMA: &str = "payment";
pub const MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations");

/// Bank files of large runs exceed tonic's 4 MiB default.
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    ap_kit::db::run_migrations(database_url, SCHEMA, MIGRATIONS).await
}

/// Builds the use-case layer; the invoice service is reached at `config.services.invoice_url`.
pub fn build_app(config: &Config, pool: DbPool) -> anyhow::Result<PaymentApp> {
    let key = config
        .data_encryption_key
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("DATA_ENCRYPTION_KEY is required by the payment service"))?;
    let channel = ap_kit::grpc::channel(&config.services.invoice_url, config.grpc_request_timeout)?;
    let tokens = config.service_tokens("payment")?;
    Ok(PaymentApp::new(
        pool,
        ap_kit::revocation::access_verifier(config, &tokens)?,
        app::invoices::InvoiceClient::new(channel, tokens),
        domain::files::Originator::from_settings(&config.payment)?,
        crypto::FileCipher::from_base64(key)?,
        config.payment.run_interval_days,
    ))
}

pub struct Application {
    listener: TcpListener,
    server: GrpcServer,
    pool: DbPool,
    health_every: Duration,
    app: PaymentApp,
    settle_every: Duration,
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
            PaymentServiceServer::new(grpc::PaymentGrpc::new(app.clone()))
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
        );
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            server,
            pool,
            health_every: Duration::from_secs(2),
            app,
            settle_every: config.payment.settle_interval,
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
        let app = self.app.clone();
        let every = self.settle_every;
        let settler = tokio::spawn(async move { app.run_settler(every, stop).await });
        let result = self
            .server
            .serve_watching_db::<PaymentServiceServer<grpc::PaymentGrpc>>(
                self.listener,
                self.pool,
                self.health_every,
                shutdown,
                stopping,
            )
            .await;
        let _ = tokio::time::timeout(Duration::from_secs(10), settler).await;
        result
    }
}
