//! `ap-invoice`: runs the invoice service alone (see `apctl serve all` for everything together).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ap_kit::Config::from_env_for(ap_kit::config::Process::Invoice)?;
    let _telemetry = ap_kit::telemetry::init("invoice", &config)?;
    ap_invoice::migrate(config.database_url()).await?;
    let app = ap_invoice::Application::build(&config, config.services.invoice_listen).await?;
    app.run_until(ap_kit::shutdown::signal()).await
}
