//! `ap-payment`: runs the payment service alone (see `apctl serve all` for everything together).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ap_kit::Config::from_env_for(ap_kit::config::Process::Payment)?;
    let _telemetry = ap_kit::telemetry::init("payment", &config)?;
    ap_payment::migrate(config.database_url()).await?;
    let app = ap_payment::Application::build(&config, config.services.payment_listen).await?;
    app.run_until(ap_kit::shutdown::signal()).await
}
