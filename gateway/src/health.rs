//! Operational endpoints: `/health` (every backend's gRPC health, which reflects its
//! database), `/health/live`, and Prometheus `/metrics`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::state::{AppState, Backend};

async fn check(backend: &Backend, timeout: std::time::Duration) -> &'static str {
    let mut client = HealthClient::new(backend.channel.clone());
    let req = HealthCheckRequest {
        service: backend.grpc_service.to_owned(),
    };
    match tokio::time::timeout(timeout, client.check(req)).await {
        Ok(Ok(resp)) if resp.get_ref().status == ServingStatus::Serving as i32 => "ok",
        Ok(Ok(_)) => "not_serving",
        Ok(Err(e)) => {
            tracing::warn!(backend = backend.name, error = %e, "health check failed");
            "unreachable"
        }
        Err(_) => "timeout",
    }
}

/// 200 when every backend serves (each one's health includes its database), 503 otherwise.
#[utoipa::path(get, path = "/health", operation_id = "getHealth",
    extensions(("x-roles" = json!([]))), tag = "operations",
    responses((status = 200, description = "All dependencies up"), (status = 503, description = "Degraded")))]
pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let checks = futures::future::join_all(
        state
            .backends
            .iter()
            .map(|b| async move { (b.name, check(b, state.health_timeout).await) }),
    )
    .await;
    let healthy = checks.iter().all(|(_, s)| *s == "ok");
    let services: BTreeMap<&str, &str> = checks.into_iter().collect();
    let body = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "services": services,
    });
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

#[utoipa::path(get, path = "/health/live", operation_id = "getLiveness",
    extensions(("x-roles" = json!([]))), tag = "operations", responses((status = 200)))]
pub async fn live() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// The process-wide Prometheus recorder (installed once; every server in the process shares it).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
        }
        handle
    })
}

#[utoipa::path(get, path = "/metrics", operation_id = "getMetrics",
    extensions(("x-roles" = json!([]))), tag = "operations", responses((status = 200, body = String, content_type = "text/plain", description = "Prometheus text exposition format.")))]
pub async fn metrics() -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        prometheus().render(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn recorded_metrics_are_rendered() {
        let handle = super::prometheus();
        metrics::counter!("probe_total", "route" => "/x").increment(2);
        let text = handle.render();
        assert!(text.contains("probe_total{route=\"/x\"} 2"), "{text:?}");
    }
}
