//! HTTP middleware of the gateway: access log + metrics per request, error-body
//! normalisation for responses made outside our handlers, and the panic handler.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use crate::error::ApiError;

/// Route template of a request (`/api/v1/admin/users/{id}`), never the raw path, so metric
/// labels stay bounded.
pub fn route_of(req: &Request) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned())
}

/// One access-log line and the request metrics, per request.
pub async fn access_log(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = route_of(&req);
    let response = next.run(req).await;
    let latency = start.elapsed();
    let status = response.status().as_u16();
    tracing::info!(
        http.method = %method, http.route = %route, http.status = status,
        latency_ms = latency.as_secs_f64() * 1000.0, "request served"
    );
    let labels = [
        ("method", method.to_string()),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(latency.as_secs_f64());
    response
}

/// Takes the approval token (a credential) out of the request URI of `/approvals/email/{token}`
/// before the layers inside this one see it — Sentry's request URL and transaction name, any
/// log of the URI. Routing has already captured it as the `{token}` path parameter, which is
/// all the handler reads.
pub async fn redact_link_tokens(mut req: Request, next: Next) -> Response {
    if let std::borrow::Cow::Owned(clean) = ap_kit::telemetry::redact_link_tokens(req.uri().path())
    {
        let path_and_query = match req.uri().query() {
            Some(q) => format!("{clean}?{q}"),
            None => clean,
        };
        let mut parts = req.uri().clone().into_parts();
        if let Ok(pq) = path_and_query.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    next.run(req).await
}

/// Gives every error response the house JSON body, whoever produced it (router 404/405,
/// body-limit 413, extractor rejections), and hides any 5xx body.
pub async fn normalize_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if status.as_u16() < 400 {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let upstream = if status.is_client_error() {
        // Extractor rejections explain what was wrong with the client's own input.
        match body.collect().await {
            Ok(b) => Some(
                String::from_utf8_lossy(&b.to_bytes())
                    .chars()
                    .take(300)
                    .collect::<String>(),
            )
            .filter(|s| !s.trim().is_empty() && !sounds_internal(s)),
            Err(_) => None,
        }
    } else {
        None
    };
    let mut fixed = ApiError::for_status(status, upstream).into_response();
    if let Some(retry) = parts.headers.get(header::RETRY_AFTER) {
        fixed
            .headers_mut()
            .insert(header::RETRY_AFTER, retry.clone());
    }
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        fixed.headers_mut().insert(header::ALLOW, allow.clone());
    }
    fixed
}

/// Framework wording (serde, Rust types, parser positions) that must not reach a client.
fn sounds_internal(text: &str) -> bool {
    const WORDS: [&str; 10] = [
        "serde",
        "invalid type",
        "expected",
        "at line",
        "digit",
        "deserialize",
        "parse",
        "`",
        "::",
        "Error",
    ];
    WORDS.iter().any(|w| text.contains(w))
}

/// A panic anywhere below becomes a clean 500 with the house body; details go to the log
/// (and to Sentry through its panic integration).
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    tracing::error!(panic = %detail, "handler panicked");
    let mut response = ApiError::internal().into_response();
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}
