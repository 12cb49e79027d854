//! The approval service: the approval matrix, approval tasks with separation of duties,
//! delegation, safe email approvals, SLA reminders and escalation, in-app notifications and
//! mail. It owns schema `approval`, learns of invoices needing approval from the invoice
//! service's outbox, and sends its decisions back through its own outbox.
//! `Application` binds its own listener (port 0 in tests).

pub mod app;
pub mod domain;
pub mod grpc;
pub mod store;

use std::net::SocketAddr;
use std::time::Duration;

use ap_kit::Config;
use ap_kit::db::DbPool;
use ap_kit::directory::Directory;
use ap_kit::grpc::GrpcServer;
use ap_kit::outbox::{OutboxRelay, RelayPolicy};
use ap_proto::approval::v1::approval_service_server::ApprovalServiceServer;
use ap_proto::common::v1::event_sink_server::EventSinkServer;
use diesel_migrations::EmbeddedMigrations;
use tokio::net::TcpListener;

pub use app::ApprovalApp;

pub const SCHEMA: &str = "approval";
pub const MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations");

pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    ap_kit::db::run_migrations(database_url, SCHEMA, MIGRATIONS).await
}

/// Builds the use-case layer; the auth and invoice services are reached at their URLs.
pub fn build_app(config: &Config, pool: DbPool) -> anyhow::Result<ApprovalApp> {
    let timeout = config.grpc_request_timeout;
    let tokens = config.service_tokens(app::SERVICE)?;
    Ok(ApprovalApp::new(
        pool,
        ap_kit::revocation::access_verifier(config, &tokens)?,
        Directory::new(
            ap_kit::grpc::channel(&config.services.auth_url, timeout)?,
            tokens.clone(),
            app::SERVICE,
        ),
        app::invoices::InvoiceClient::new(
            ap_kit::grpc::channel(&config.services.invoice_url, timeout)?,
            tokens,
        ),
        config.approval.clone(),
        &config.public_url,
    ))
}

pub struct Application {
    listener: TcpListener,
    server: GrpcServer,
    pool: DbPool,
    health_every: Duration,
    app: ApprovalApp,
    relay: OutboxRelay,
    sla_every: Duration,
}

impl Application {
    pub async fn build(config: &Config, addr: SocketAddr) -> anyhow::Result<Self> {
        Self::build_on(config, TcpListener::bind(addr).await?).await
    }

    /// On a listener bound beforehand: the invoice service needs this service's address
    /// before this service can be built with the invoice service's.
    pub async fn build_on(config: &Config, listener: TcpListener) -> anyhow::Result<Self> {
        let pool = ap_kit::db::connect_pool(
            config.database_url(),
            SCHEMA,
            config.database_max_connections,
        )?;
        let app = build_app(config, pool.clone())?;
        let tokens = config.service_tokens(app::SERVICE)?;
        let mut server = GrpcServer::new(config)?;
        server.add_service(ApprovalServiceServer::new(grpc::ApprovalGrpc::new(
            app.clone(),
        )));
        server.add_service(EventSinkServer::new(grpc::ApprovalSink::new(
            app.clone(),
            tokens.clone(),
        )));
        let relay = OutboxRelay::new(
            pool.clone(),
            app::SERVICE,
            tokens,
            RelayPolicy {
                poll_interval: config.outbox_poll,
                ..RelayPolicy::default()
            },
        )
        .with_sink(
            app::INVOICE_DESTINATION,
            ap_kit::grpc::channel(&config.services.invoice_url, config.grpc_request_timeout)?,
        );
        Ok(Self {
            listener,
            server,
            pool,
            health_every: Duration::from_secs(2),
            app,
            relay,
            sla_every: config.approval.sla_interval,
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

    pub fn app(&self) -> &ApprovalApp {
        &self.app
    }

    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stopping, stop) = tokio::sync::watch::channel(false);
        let sla = {
            let app = self.app.clone();
            let (every, stop) = (self.sla_every, stop.clone());
            tokio::spawn(async move { app.run_sla(every, stop).await })
        };
        let mailer = {
            let app = self.app.clone();
            let stop = stop.clone();
            tokio::spawn(async move { app.run_mailer(stop).await })
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
        let result = self
            .server
            .serve_watching_db::<ApprovalServiceServer<grpc::ApprovalGrpc>>(
                self.listener,
                self.pool,
                self.health_every,
                shutdown,
                stopping,
            )
            .await;
        for task in [sla, mailer, relay] {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        result
    }
}
