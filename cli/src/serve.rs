//! `apctl serve` and `apctl migrate`: one service, the gateway, or all of them in one
//! process on loopback ports (still over gRPC), with migrations applied on start.

use std::net::SocketAddr;

use tokio::sync::watch;

use crate::Target;

/// Every service schema, in migration order.
pub const SCHEMAS: &[&str] = &[
    ap_auth::SCHEMA,
    ap_invoice::SCHEMA,
    ap_payment::SCHEMA,
    ap_approval::SCHEMA,
    ap_askai::SCHEMA,
];

pub async fn migrate_all(database_url: &str) -> anyhow::Result<()> {
    ap_kit::db::ensure_database(database_url).await?;
    ap_auth::migrate(database_url).await?;
    ap_invoice::migrate(database_url).await?;
    ap_payment::migrate(database_url).await?;
    ap_approval::migrate(database_url).await?;
    // Last: the askai migrations create the reporting views over the tables above.
    ap_askai::migrate(database_url).await?;
    Ok(())
}

/// A service migrates its own schema on start when it connects as the owner (development,
/// `serve all`, compose). In production it connects as a runtime role (`ap_runtime`,
/// `ap_askai`) that may create nothing: the migrate step (`apctl migrate` with the owner's
/// URL) has run the migrations before the new pods start.
async fn may_migrate(url: &str) -> anyhow::Result<bool> {
    let owner = may_create_schemas(url).await?;
    if !owner {
        tracing::info!("runtime database role: migrations are left to apctl migrate");
    }
    Ok(owner)
}

/// Whether the role of `url` may create schemas (and so run migrations).
async fn may_create_schemas(url: &str) -> anyhow::Result<bool> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        ok: bool,
    }
    let mut conn = AsyncPgConnection::establish(url).await?;
    let row: Row =
        diesel::sql_query("SELECT has_database_privilege(current_database(), 'CREATE') AS ok")
            .get_result(&mut conn)
            .await?;
    Ok(row.ok)
}

/// Outside production, a missing key pair is replaced by an ephemeral one, which is enough
/// for one process (`serve all`, seeding). Separate processes need configured keys.
pub fn with_dev_keys(mut config: ap_kit::Config) -> anyhow::Result<ap_kit::Config> {
    if config.jwt_private_key.is_none()
        && config.jwt_public_key.is_none()
        && !config.app_env.is_production()
    {
        tracing::warn!(
            "JWT_PRIVATE_KEY/JWT_PUBLIC_KEY not set: using an ephemeral key pair for this process"
        );
        let (private, public) = ap_kit::token::generate_ed25519_pem()?;
        config.jwt_private_key = Some(private);
        config.jwt_public_key = Some(public);
    }
    if config.data_encryption_key.is_none() && !config.app_env.is_production() {
        tracing::warn!(
            "DATA_ENCRYPTION_KEY not set: using an ephemeral key; stored bank details will not decrypt after a restart"
        );
        config.data_encryption_key = Some(ap_invoice::crypto::DataCipher::generate_key());
    }
    Ok(config)
}

pub async fn run(target: Target, config: ap_kit::Config) -> anyhow::Result<()> {
    let name = match target {
        Target::Auth => "auth",
        Target::Invoice => "invoice",
        Target::Payment => "payment",
        Target::Approval => "approval",
        Target::Askai => "askai",
        Target::Gateway => "gateway",
        Target::All => "ap",
    };
    let _telemetry = ap_kit::telemetry::init(name, &config)?;
    // The configuration passed its contract: say so, with the mode it runs in.
    tracing::info!(
        process = name,
        app_env = ?config.app_env,
        version = env!("CARGO_PKG_VERSION"),
        pid = std::process::id(),
        "process starting"
    );
    match target {
        Target::Auth => {
            if may_migrate(config.database_url()).await? {
                ap_auth::migrate(config.database_url()).await?;
            }
            let app = ap_auth::Application::build(
                &config.for_service("auth"),
                config.services.auth_listen,
            )
            .await?;
            app.run_until(ap_kit::shutdown::signal()).await
        }
        Target::Invoice => {
            if may_migrate(config.database_url()).await? {
                ap_invoice::migrate(config.database_url()).await?;
            }
            let app = ap_invoice::Application::build(
                &config.for_service("invoice"),
                config.services.invoice_listen,
            )
            .await?;
            app.run_until(ap_kit::shutdown::signal()).await
        }
        Target::Payment => {
            if may_migrate(config.database_url()).await? {
                ap_payment::migrate(config.database_url()).await?;
            }
            let app = ap_payment::Application::build(
                &config.for_service("payment"),
                config.services.payment_listen,
            )
            .await?;
            app.run_until(ap_kit::shutdown::signal()).await
        }
        Target::Approval => {
            if may_migrate(config.database_url()).await? {
                ap_approval::migrate(config.database_url()).await?;
            }
            let app = ap_approval::Application::build(
                &config.for_service("approval"),
                config.services.approval_listen,
            )
            .await?;
            app.run_until(ap_kit::shutdown::signal()).await
        }
        Target::Askai => {
            // Its reporting views read the invoice and payment tables: `apctl migrate` (the
            // migrate Job) runs first; alone, this fails clearly if those tables are missing.
            // In production it connects as the read-only `ap_askai` role.
            if may_migrate(config.database_url()).await? {
                ap_askai::migrate(config.database_url()).await?;
            }
            let app = ap_askai::Application::build(
                &config.for_service("askai"),
                config.services.askai_listen,
            )
            .await?;
            app.run_until(ap_kit::shutdown::signal()).await
        }
        Target::Gateway => {
            let gateway =
                ap_gateway::Gateway::build(&config.for_service("gateway"), config.gateway_addr)
                    .await?;
            gateway.run_until(ap_kit::shutdown::signal()).await
        }
        Target::All => run_all(with_dev_keys(config)?).await,
    }
}

/// Each service is built from its own view of the configuration (`Config::for_service`):
/// only the auth service ever holds the token-signing key, and each service only its own
/// service credential, as if they ran in separate processes.
async fn run_all(mut config: ap_kit::Config) -> anyhow::Result<()> {
    migrate_all(config.database_url()).await?;
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let auth = ap_auth::Application::build(&config.for_service("auth"), loopback).await?;
    config.services.auth_url = format!("http://{}", auth.local_addr());
    // Invoice and approval call each other: the approval listener is bound first.
    let approval_listener = tokio::net::TcpListener::bind(loopback).await?;
    config.services.approval_url = format!("http://{}", approval_listener.local_addr()?);
    let invoice = ap_invoice::Application::build(&config.for_service("invoice"), loopback).await?;
    config.services.invoice_url = format!("http://{}", invoice.local_addr());
    let payment = ap_payment::Application::build(&config.for_service("payment"), loopback).await?;
    config.services.payment_url = format!("http://{}", payment.local_addr());
    let approval =
        ap_approval::Application::build_on(&config.for_service("approval"), approval_listener)
            .await?;
    let askai = ap_askai::Application::build(&config.for_service("askai"), loopback).await?;
    config.services.askai_url = format!("http://{}", askai.local_addr());
    let gateway =
        ap_gateway::Gateway::build(&config.for_service("gateway"), config.gateway_addr).await?;
    tracing::info!(
        gateway = %gateway.local_addr(), auth = %config.services.auth_url, invoice = %config.services.invoice_url,
        payment = %config.services.payment_url, approval = %config.services.approval_url,
        askai = %config.services.askai_url,
        "all services started"
    );

    let (tx, rx) = watch::channel(false);
    let stop = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(auth.run_until(stop(rx.clone())));
    tasks.spawn(invoice.run_until(stop(rx.clone())));
    tasks.spawn(payment.run_until(stop(rx.clone())));
    tasks.spawn(approval.run_until(stop(rx.clone())));
    tasks.spawn(askai.run_until(stop(rx.clone())));
    tasks.spawn(gateway.run_until(stop(rx.clone())));
    tokio::select! {
        () = ap_kit::shutdown::signal() => {}
        Some(done) = tasks.join_next() => {
            // One server ending on its own is a failure of the whole process.
            let _ = tx.send(true);
            done??;
            anyhow::bail!("a server stopped unexpectedly");
        }
    }
    let _ = tx.send(true);
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}
