//! `ap-askai`: runs the Ask-AI service alone (see `apctl serve all` for everything together).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ap_kit::Config::from_env_for(ap_kit::config::Process::Askai)?;
    let _telemetry = ap_kit::telemetry::init("askai", &config)?;
    ap_askai::migrate(config.database_url()).await?;
    let app = ap_askai::Application::build(&config, config.services.askai_listen).await?;
    app.run_until(ap_kit::shutdown::signal()).await
}
