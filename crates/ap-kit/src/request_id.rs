//! Request-id and W3C trace-context propagation across every hop.
//!
//! The gateway accepts or makes an `x-request-id`; a task-local carries it through the
//! handler, and the client interceptor copies it (and `traceparent`) into the metadata of
//! every outbound gRPC call. Servers read both back into the per-RPC span, so one id is on
//! every log line of every process that served the request.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::HeaderMap;
use opentelemetry::propagation::{Extractor, Injector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

pub const REQUEST_ID: &str = "x-request-id";
pub const TRACEPARENT: &str = "traceparent";
/// Client address as the gateway resolved it (after trusted-proxy handling).
pub const CLIENT_IP: &str = "x-ap-client-ip";
/// The end user's user agent, forwarded by the gateway.
pub const CLIENT_USER_AGENT: &str = "x-ap-user-agent";

tokio::task_local! {
    static CURRENT_REQUEST_ID: String;
}

/// The request id of the task serving the current request, if any.
pub fn current_request_id() -> Option<String> {
    CURRENT_REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `fut` with `id` as the current request id (used by the outbox relay, jobs and tests).
pub async fn scope_request_id<F: Future>(id: String, fut: F) -> F::Output {
    CURRENT_REQUEST_ID.scope(id, fut).await
}

/// Spawns `fut` on the runtime carrying the current request id and tracing span, so the RPCs
/// it makes and the lines it logs stay on the request that started it.
pub fn spawn_in_request<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let id = current_request_id();
    let span = tracing::Span::current();
    tokio::spawn(tracing::Instrument::instrument(
        async move {
            match id {
                Some(id) => CURRENT_REQUEST_ID.scope(id, fut).await,
                None => fut.await,
            }
        },
        span,
    ))
}

/// A request id we accept from outside: 1–128 characters of `[A-Za-z0-9._-]`.
pub fn is_sane_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The sane request id in these headers, if there is one.
pub fn request_id_of(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_sane_request_id(id))
}

pub fn new_request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Tower layer for HTTP and gRPC servers: makes sure a sane request id is in the headers
/// (replacing an insane one) and scopes it for the task serving the request.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestIdScopeLayer;

impl<S> tower::Layer<S> for RequestIdScopeLayer {
    type Service = RequestIdScope<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestIdScope { inner }
    }
}

#[derive(Clone, Debug)]
pub struct RequestIdScope<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for RequestIdScope<S>
where
    S: tower::Service<http::Request<B>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        let id = match request_id_of(req.headers()) {
            Some(id) => id.to_owned(),
            None => {
                let id = new_request_id();
                if let Ok(value) = http::HeaderValue::from_str(&id) {
                    req.headers_mut().insert(REQUEST_ID, value);
                }
                id
            }
        };
        Box::pin(CURRENT_REQUEST_ID.scope(id, self.inner.call(req)))
    }
}

struct MetadataInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Writes the current request id and the current span's W3C trace context into `metadata`.
pub fn inject_context(metadata: &mut tonic::metadata::MetadataMap) {
    if let Some(id) = current_request_id()
        && let Ok(value) = tonic::metadata::MetadataValue::try_from(id.as_str())
    {
        metadata.insert(REQUEST_ID, value);
    }
    let cx = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(&cx, &mut MetadataInjector(metadata));
    });
}

/// Writes a stored request id and trace parent (from an outbox row) into `metadata`.
pub fn inject_stored(
    metadata: &mut tonic::metadata::MetadataMap,
    request_id: Option<&str>,
    traceparent: Option<&str>,
) {
    for (key, value) in [(REQUEST_ID, request_id), (TRACEPARENT, traceparent)] {
        if let Some(value) = value
            && let Ok(value) = tonic::metadata::MetadataValue::try_from(value)
        {
            metadata.insert(key, value);
        }
    }
}

/// The current span's `traceparent`, for storing with an outbox event.
pub fn current_traceparent() -> Option<String> {
    let cx = tracing::Span::current().context();
    let mut carrier = std::collections::HashMap::new();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut carrier));
    carrier.remove(TRACEPARENT)
}

/// tonic client interceptor: forwards request id and trace context on every call.
pub fn propagate(mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
    inject_context(req.metadata_mut());
    Ok(req)
}

/// tonic `Server::trace_fn`: one span per RPC carrying the request id, parented on the
/// caller's trace when a `traceparent` arrived.
pub fn grpc_server_span(req: &http::Request<()>) -> tracing::Span {
    let rid = request_id_of(req.headers()).unwrap_or("-");
    let span = tracing::info_span!("grpc", request_id = %rid, rpc = %req.uri().path());
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&HeaderExtractor(req.headers()))
    });
    // An absent or malformed parent just starts a new trace.
    let _ = span.set_parent(parent);
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_short_and_plain() {
        assert!(is_sane_request_id("abc-123_X.y"));
        assert!(!is_sane_request_id(""));
        assert!(!is_sane_request_id("has space"));
        assert!(!is_sane_request_id("newline\n"));
        assert!(!is_sane_request_id(&"a".repeat(129)));
        assert!(is_sane_request_id(&"a".repeat(128)));
    }

    #[tokio::test]
    async fn the_interceptor_forwards_the_scoped_request_id() {
        let req = scope_request_id("rid-42".into(), async {
            propagate(tonic::Request::new(())).expect("interceptor never fails")
        })
        .await;
        assert_eq!(
            req.metadata().get(REQUEST_ID).and_then(|v| v.to_str().ok()),
            Some("rid-42")
        );
    }
}
