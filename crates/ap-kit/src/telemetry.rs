//! Process telemetry: tracing subscriber (JSON or text), optional OTLP traces, optional Sentry.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
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
                .send_default_pii(false),
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
