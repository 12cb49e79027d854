//! `ap-approval`: runs the approval service alone (see `apctl serve all` for everything).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ap_kit::Config::from_env_for(ap_kit::config::Process::Approval)?;
    let _telemetry = ap_kit::telemetry::init("approval", &config)?;
    ap_approval::migrate(config.database_url()).await?;
    let app = ap_approval::Application::build(&config, config.services.approval_listen).await?;
    app.run_until(ap_kit::shutdown::signal()).await
}
