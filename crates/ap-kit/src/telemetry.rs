//! Process telemetry: tracing subscriber (JSON or text), optional OTLP traces, optional Sentry,
//! and the scrubbing of approval-link tokens (credentials in a URL) from what leaves the process.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::borrow::Cow;

use secrecy::ExposeSecret;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{Config, LogFormat};

/// Keeps exporters alive; dropping it flushes pending spans and Sentry events.
pub struct TelemetryGuard {
    tracer: Option<SdkTracerProvider>,
    _sentry: Option<sentry::ClientInitGuard>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(tracer) = self.tracer.take() {
            let _ = tracer.shutdown();
        }
    }
}

/// Default filter: our crates at info, noisy dependencies quieter. `RUST_LOG` overrides.
const DEFAULT_FILTER: &str = "info,h2=warn,hyper=warn,tower=warn,tonic=info,opentelemetry=off,opentelemetry_sdk=off,opentelemetry-otlp=off";

/// Installs the global subscriber. Call once, from `main`, inside the tokio runtime (the
/// OTLP exporter spawns its channel worker there).
pub fn init(service: &'static str, config: &Config) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());

    let sentry = config.sentry_dsn.as_ref().map(|dsn| {
        sentry::init((
            dsn.expose_secret(),
            sentry::ClientOptions::new()
                .maybe_release(sentry::release_name!())
                .traces_sample_rate(config.sentry_traces_sample_rate)
                .environment(format!("{:?}", config.app_env).to_lowercase())
                .send_default_pii(false)
                .before_send(|event| Some(scrub_event(event))),
        ))
    });

    let tracer = match &config.otel_endpoint {
        Some(endpoint) => {
            use opentelemetry_otlp::WithExportConfig;
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint.clone())
                .build()?;
            Some(
                SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(
                        opentelemetry_sdk::Resource::builder()
                            .with_service_name(service)
                            .build(),
                    )
                    .build(),
            )
        }
        None => None,
    };

    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let fmt = match config.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_target(true)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .boxed(),
    };
    let otel = tracer
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer(service)));
    let sentry_layers = sentry.as_ref().map(|_| {
        sentry::integrations::tracing::ErrorLayer::new()
            .and_then(sentry::integrations::tracing::BreadcrumbLayer::new())
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .with(sentry_layers)
        .try_init()?;

    Ok(TelemetryGuard {
        tracer,
        _sentry: sentry,
    })
}

/// The path segment that carries an email approval token (a credential).
const LINK_PREFIX: &str = "/approvals/email/";
const REDACTED: &str = "REDACTED";

/// `text` with every email-approval token (what follows `/approvals/email/` up to the next `/`,
/// `?`, `#`, quote, space or end) replaced by `REDACTED`.
pub fn redact_link_tokens(text: &str) -> Cow<'_, str> {
    if !text.contains(LINK_PREFIX) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(LINK_PREFIX) {
        let start = at + LINK_PREFIX.len();
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '&') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        if end > 0 {
            out.push_str(REDACTED);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn scrub(s: &mut String) {
    if let Cow::Owned(clean) = redact_link_tokens(s) {
        *s = clean;
    }
}

/// A Sentry event with approval-link tokens removed from its URL, names and messages (the
/// gateway already hides them from the request URI; this is the second line).
pub fn scrub_event(
    mut event: sentry::protocol::Event<'static>,
) -> sentry::protocol::Event<'static> {
    if let Some(request) = event.request.as_mut() {
        if let Some(url) = request.url.as_ref()
            && let Cow::Owned(clean) = redact_link_tokens(url.as_str())
        {
            request.url = clean.parse().ok();
        }
        if let Some(q) = request.query_string.as_mut() {
            scrub(q);
        }
    }
    for field in [
        &mut event.transaction,
        &mut event.message,
        &mut event.culprit,
    ] {
        if let Some(s) = field.as_mut() {
            scrub(s);
        }
    }
    if let Some(entry) = event.logentry.as_mut() {
        scrub(&mut entry.message);
    }
    for e in &mut event.exception.values {
        if let Some(v) = e.value.as_mut() {
            scrub(v);
        }
    }
    for b in &mut event.breadcrumbs.values {
        if let Some(m) = b.message.as_mut() {
            scrub(m);
        }
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_link_tokens_are_redacted_wherever_they_appear() {
        let url = "https://ap.example.com/api/v1/approvals/email/eyJhbGciOi.abc-_123?x=1";
        assert_eq!(
            redact_link_tokens(url),
            "https://ap.example.com/api/v1/approvals/email/REDACTED?x=1"
        );
        let text = "Approve: http://h/api/v1/approvals/email/AAA.BBB\nReject: http://h/api/v1/approvals/email/CCC.DDD";
        let clean = redact_link_tokens(text);
        assert!(!clean.contains("AAA") && !clean.contains("CCC"), "{clean}");
        assert_eq!(
            redact_link_tokens("/api/v1/invoices/1"),
            "/api/v1/invoices/1"
        );
    }

    #[test]
    fn a_sentry_event_loses_the_token_from_its_url_and_messages() {
        let token = "eyJ0b2tlbiI6MX0.c2lnbmF0dXJl";
        let event = sentry::protocol::Event {
            request: Some(sentry::protocol::Request {
                url: format!("http://gw/api/v1/approvals/email/{token}")
                    .parse()
                    .ok(),
                ..Default::default()
            }),
            transaction: Some(format!("POST /api/v1/approvals/email/{token}")),
            message: Some(format!("failed at /api/v1/approvals/email/{token}")),
            ..Default::default()
        };
        let clean = scrub_event(event);
        let text = format!("{clean:?}");
        assert!(!text.contains(token), "{text}");
        assert!(text.contains("/approvals/email/REDACTED"), "{text}");
    }
}
