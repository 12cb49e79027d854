//! `ap-auth`: runs the auth service alone (see `apctl serve all` for everything in one process).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ap_kit::Config::from_env_for(ap_kit::config::Process::Auth)?;
    let _telemetry = ap_kit::telemetry::init("auth", &config)?;
    ap_auth::migrate(config.database_url()).await?;
    let app = ap_auth::Application::build(&config, config.services.auth_listen).await?;
    app.run_until(ap_kit::shutdown::signal()).await
}
