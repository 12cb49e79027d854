//! `ap-gateway`: runs the REST gateway alone (see `apctl serve all` for everything together).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ap_kit::Config::from_env()?;
    let _telemetry = ap_kit::telemetry::init("gateway", &config)?;
    let gateway = ap_gateway::Gateway::build(&config, config.gateway_addr).await?;
    gateway.run_until(ap_kit::shutdown::signal()).await
}
