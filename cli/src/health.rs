//! `apctl health --grpc HOST:PORT [--service NAME]`: the standard gRPC health check, for
//! container health checks where no grpc_health_probe binary is installed.

use std::process::ExitCode;
use std::time::Duration;

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

pub async fn probe(addr: &str, service: &str) -> anyhow::Result<ExitCode> {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(3));
    let channel = endpoint.connect().await?;
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await?
        .into_inner()
        .status;
    let serving = status == ServingStatus::Serving as i32;
    let name = ServingStatus::try_from(status).map_or("UNKNOWN", |s| s.as_str_name());
    println!("{addr} {service}: {name}");
    Ok(if serving {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
