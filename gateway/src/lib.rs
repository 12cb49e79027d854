//! The REST gateway: axum routes over the services' gRPC APIs, with request ids, rate
//! limits, security headers, a single error format, OpenAPI and Prometheus metrics.

pub mod client_ip;
pub mod error;
pub mod extract;
pub mod health;
pub mod middleware;
pub mod openapi;
pub mod portal_auth;
pub mod rate_limit;
pub mod routes;
pub mod state;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ap_kit::Config;
use ap_proto::approval::v1::approval_service_client::ApprovalServiceClient;
use ap_proto::askai::v1::ask_ai_service_client::AskAiServiceClient;
use ap_proto::auth::v1::auth_service_client::AuthServiceClient;
use ap_proto::invoice::v1::invoice_service_client::InvoiceServiceClient;
use ap_proto::payment::v1::payment_service_client::PaymentServiceClient;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, Request, header};
use axum::routing::{delete, get, post, put};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::PropagateRequestIdLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

pub use state::AppState;
use state::{Backend, intercepted};

/// Largest JSON/form body the API accepts (uploads get their own limit on their routes).
const BODY_LIMIT: usize = 1024 * 1024;
/// Multipart framing around an upload at the size limit.
const MULTIPART_OVERHEAD: usize = 64 * 1024;
/// A CSV import of at most 10,000 rows.
const IMPORT_BODY_LIMIT: usize = 10 * 1024 * 1024;

/// Builds the state from configuration; channels connect lazily.
pub fn build_state(config: &Config) -> anyhow::Result<AppState> {
    let auth_channel =
        ap_kit::grpc::channel(&config.services.auth_url, config.grpc_request_timeout)?;
    let invoice_channel =
        ap_kit::grpc::channel(&config.services.invoice_url, config.grpc_request_timeout)?;
    let payment_channel =
        ap_kit::grpc::channel(&config.services.payment_url, config.grpc_request_timeout)?;
    let approval_channel =
        ap_kit::grpc::channel(&config.services.approval_url, config.grpc_request_timeout)?;
    let askai_channel =
        ap_kit::grpc::channel(&config.services.askai_url, config.grpc_request_timeout)?;
    // Record metrics from the first request on.
    health::prometheus();
    Ok(AppState {
        auth: AuthServiceClient::new(intercepted(auth_channel.clone())),
        invoice: InvoiceServiceClient::new(intercepted(invoice_channel.clone()))
            .max_decoding_message_size(8 * 1024 * 1024)
            .max_encoding_message_size(8 * 1024 * 1024),
        // Bank files of large runs come back in one message.
        payment: PaymentServiceClient::new(intercepted(payment_channel.clone()))
            .max_decoding_message_size(64 * 1024 * 1024),
        approval: ApprovalServiceClient::new(intercepted(approval_channel.clone())),
        // Up to 1,000 rows of any width come back in one message.
        askai: AskAiServiceClient::new(intercepted(askai_channel.clone()))
            .max_decoding_message_size(32 * 1024 * 1024),
        // The gateway refuses revoked sessions itself too, before any service is called.
        verifier: ap_kit::revocation::access_verifier(config, &config.service_tokens("gateway")?)?,
        backends: vec![
            Backend {
                name: "auth",
                grpc_service: "ap.auth.v1.AuthService",
                channel: auth_channel,
            },
            Backend {
                name: "invoice",
                grpc_service: "ap.invoice.v1.InvoiceService",
                channel: invoice_channel,
            },
            Backend {
                name: "payment",
                grpc_service: "ap.payment.v1.PaymentService",
                channel: payment_channel,
            },
            Backend {
                name: "approval",
                grpc_service: "ap.approval.v1.ApprovalService",
                channel: approval_channel,
            },
            Backend {
                name: "askai",
                grpc_service: "ap.askai.v1.AskAiService",
                channel: askai_channel,
            },
        ],
        login_limiter: rate_limit::Limiter::per_minute(
            "login",
            config.rate_limits.login_per_minute,
        ),
        upload_limiter: rate_limit::Limiter::per_minute(
            "upload",
            config.rate_limits.upload_per_minute,
        ),
        askai_limiter: rate_limit::Limiter::per_minute(
            "askai",
            config.rate_limits.askai_per_minute,
        ),
        upload_max_bytes: config.upload_max_bytes,
        general_limiter: rate_limit::Limiter::per_minute(
            "general",
            config.rate_limits.general_per_minute,
        ),
        health_timeout: Duration::from_secs(2),
        portal: Arc::new(portal_auth::PortalSessions::new(config.portal.verify_cache)),
    })
}

/// Every route, without the cross-cutting layers.
pub fn routes(state: &AppState, api_docs: bool) -> Router {
    let login_limited = Router::new()
        .route("/auth/token", post(routes::auth::token))
        .route("/auth/login", post(routes::auth::login))
        .route_layer(axum::middleware::from_fn_with_state(
            state.login_limiter.clone(),
            rate_limit::enforce,
        ));
    let upload_body = usize::try_from(state.upload_max_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(MULTIPART_OVERHEAD);
    let upload = Router::new()
        .route("/invoices/upload", post(routes::invoices::upload))
        .layer(DefaultBodyLimit::max(upload_body))
        .layer(RequestBodyLimitLayer::new(upload_body))
        .route_layer(axum::middleware::from_fn_with_state(
            state.upload_limiter.clone(),
            rate_limit::enforce,
        ));
    let portal_upload = Router::new()
        .route("/portal/invoices/upload", post(routes::portal::upload))
        .layer(DefaultBodyLimit::max(upload_body))
        .layer(RequestBodyLimitLayer::new(upload_body))
        .route_layer(axum::middleware::from_fn_with_state(
            state.upload_limiter.clone(),
            rate_limit::enforce,
        ));
    // Each question costs model calls and a database query: its own, tighter budget.
    let askai = Router::new()
        .route("/ask-ai", post(routes::askai::ask))
        .route_layer(axum::middleware::from_fn_with_state(
            state.askai_limiter.clone(),
            rate_limit::enforce,
        ));
    let imports = Router::new()
        .route("/import/vendors", post(routes::imports::vendors))
        .route(
            "/import/purchase-orders",
            post(routes::imports::purchase_orders),
        )
        .route(
            "/import/goods-receipts",
            post(routes::imports::goods_receipts),
        )
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(IMPORT_BODY_LIMIT));
    let api = Router::new()
        .merge(login_limited)
        .route("/auth/refresh", post(routes::auth::refresh))
        .route("/auth/logout", post(routes::auth::logout))
        .route("/auth/me", get(routes::auth::me))
        .route("/users/me", get(routes::auth::me))
        .route(
            "/admin/users",
            get(routes::users::list).post(routes::users::create),
        )
        .route(
            "/admin/users/{id}",
            get(routes::users::get)
                .patch(routes::users::update)
                .delete(routes::users::delete),
        )
        .route(
            "/vendors",
            get(routes::vendors::list).post(routes::vendors::create),
        )
        .route(
            "/vendors/{id}",
            get(routes::vendors::get)
                .patch(routes::vendors::update)
                .delete(routes::vendors::delete),
        )
        .route(
            "/vendors/{id}/bank-account",
            put(routes::vendors::set_bank_account),
        )
        .route(
            "/vendors/{id}/bank-account/verify",
            post(routes::vendors::verify_bank_account),
        )
        .route(
            "/purchase-orders",
            get(routes::orders::list_pos).post(routes::orders::create_po),
        )
        .route("/purchase-orders/{id}", get(routes::orders::get_po))
        .route(
            "/goods-receipts",
            get(routes::orders::list_receipts).post(routes::orders::create_receipt),
        )
        .route("/goods-receipts/{id}", get(routes::orders::get_receipt))
        .route("/invoices", get(routes::invoices::list))
        .route(
            "/invoices/{id}",
            get(routes::invoices::get).patch(routes::invoices::patch),
        )
        .route("/invoices/{id}/document", get(routes::invoices::document))
        .route("/invoices/{id}/audit", get(routes::invoices::audit))
        .route("/invoices/{id}/cancel", post(routes::invoices::cancel))
        .route("/invoices/{id}/extract", post(routes::invoices::extract))
        .route(
            "/invoices/{id}/match",
            get(routes::matching::get_match).post(routes::matching::rematch),
        )
        .route("/matching/stats", get(routes::matching::stats))
        .route(
            "/matching/rule-sets",
            get(routes::matching::list_rule_sets).post(routes::matching::create_draft),
        )
        .route(
            "/matching/rule-sets/{version}",
            get(routes::matching::get_rule_set)
                .put(routes::matching::update_draft)
                .delete(routes::matching::discard_draft),
        )
        .route(
            "/matching/rule-sets/{version}/publish",
            post(routes::matching::publish),
        )
        .route("/exceptions", get(routes::exceptions::list))
        .route(
            "/exceptions/{id}",
            get(routes::exceptions::get).patch(routes::exceptions::update),
        )
        .route(
            "/invoices/{id}/messages",
            get(routes::invoices::messages).post(routes::invoices::post_message),
        )
        .merge(portal_routes())
        .route(
            "/exceptions/{id}/comments",
            get(routes::exceptions::comments).post(routes::exceptions::add_comment),
        )
        .merge(payment_routes())
        .merge(approval_routes())
        .merge(askai)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .merge(upload)
        .merge(portal_upload)
        .merge(imports)
        .route_layer(axum::middleware::from_fn_with_state(
            state.general_limiter.clone(),
            rate_limit::enforce,
        ));
    let mut router = Router::new()
        .nest("/api/v1", api)
        .route("/health", get(health::health))
        .route("/health/live", get(health::live))
        .route("/metrics", get(health::metrics));
    if api_docs {
        router = router.merge(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs")
                .url("/api/openapi.json", openapi::ApiDoc::openapi()),
        );
    }
    router.with_state(state.clone())
}

/// `/portal/*`: invitations (ADMIN, staff token) and the vendor's own routes (portal token).
fn portal_routes() -> Router<AppState> {
    use routes::portal as p;
    Router::new()
        .route("/portal/auth/invite", post(p::invite))
        .route("/portal/auth/invite/{vendor_id}", delete(p::revoke))
        .route("/portal/invoices", get(p::list))
        .route("/portal/invoices/{id}", get(p::get))
        .route("/portal/invoices/{id}/dispute", post(p::dispute))
        .route(
            "/portal/invoices/{id}/messages",
            get(p::messages).post(p::post_message),
        )
}

/// `/approvals*`, `/approval-matrix*`, delegations, notifications and the held mail.
fn approval_routes() -> Router<AppState> {
    use routes::approvals as a;
    Router::new()
        .route("/approvals", get(a::list))
        .route("/approvals/{id}", get(a::get))
        .route("/approvals/{id}/approve", post(a::approve))
        .route("/approvals/{id}/reject", post(a::reject))
        .route("/approvals/{id}/reassign", post(a::reassign))
        .route(
            "/approvals/email/{token}",
            get(a::email_page).post(a::email_decide),
        )
        .route("/approval-matrix", get(a::list_matrix).post(a::create_rule))
        .route(
            "/approval-matrix/{id}",
            get(a::get_rule).put(a::update_rule).delete(a::delete_rule),
        )
        .route(
            "/users/{id}/delegation",
            get(a::get_delegation)
                .put(a::set_delegation)
                .delete(a::end_delegation),
        )
        .route("/notifications", get(a::notifications))
        .route("/notifications/{id}/read", post(a::read_notification))
        .route("/admin/mail-outbox", get(a::mail_outbox))
}

/// `POST /invoices/{id}/payment`, `/payments*` and `/payment-runs*`.
fn payment_routes() -> Router<AppState> {
    Router::new()
        .route("/invoices/{id}/payment", post(routes::payments::record))
        .route("/payments", get(routes::payments::list_payments))
        .route("/payments/{id}", get(routes::payments::get_payment))
        .route(
            "/payment-runs",
            get(routes::payments::list_runs).post(routes::payments::create_run),
        )
        .route("/payment-runs/{id}", get(routes::payments::get_run))
        .route(
            "/payment-runs/{id}/approve",
            post(routes::payments::approve_run),
        )
        .route(
            "/payment-runs/{id}/execute",
            post(routes::payments::execute_run),
        )
        .route(
            "/payment-runs/{id}/cancel",
            post(routes::payments::cancel_run),
        )
        .route("/payment-runs/{id}/file", get(routes::payments::run_file))
}

/// The cross-cutting layers, outermost first (ServiceBuilder order):
/// 1. request id — scoped before anything logs, so every line and error body carries it;
/// 2. propagate it, and the security headers, onto every response, including ones made by
///    inner layers (a panic's 500, a 404, a 413);
/// 3. the approval token taken out of `/approvals/email/{token}` URIs (routing already read
///    it), then the Sentry hub + HTTP transaction per request;
/// 4. the `http` span with request id and route, parent of every log line below;
/// 5. client address (trusted-proxy aware), needed by the rate limiters and services;
/// 6. access log + metrics, which see the final status;
/// 7. error-body normalisation, then panic capture, so a panic's 500 is also normalised;
/// 8. CORS. Body limits sit on the route groups (JSON, upload, CSV) in `routes`.
///
/// Whatever no route answers goes to the web app in `WEB_DIR` (`web`), under the same layers.
pub fn with_layers(router: Router, config: &Config) -> Router {
    let router = router.fallback_service(web::router(&config.web_dir));
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(
            config
                .cors_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok()),
        ))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([HeaderName::from_static("x-request-id")]);
    let trusted = Arc::new(config.trusted_proxies.clone());
    router.layer(
        ServiceBuilder::new()
            .layer(ap_kit::request_id::RequestIdScopeLayer)
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
            .layer(SetResponseHeaderLayer::overriding(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ))
            // Before Sentry sees the request: an email-approval token never leaves in a URL.
            .layer(axum::middleware::from_fn(middleware::redact_link_tokens))
            .layer(sentry_tower::NewSentryLayer::<Request<axum::body::Body>>::new_from_top())
            .layer(sentry_tower::SentryHttpLayer::new().enable_transaction())
            .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<axum::body::Body>| {
                let rid = ap_kit::request_id::request_id_of(req.headers()).unwrap_or("-");
                let route = req
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map_or("unmatched", |p| p.as_str());
                tracing::info_span!("http", request_id = %rid, method = %req.method(), route = %route)
            }).on_response(()).on_request(()).on_failure(()))
            .layer(axum::middleware::from_fn_with_state(trusted, client_ip::resolve))
            .layer(axum::middleware::from_fn(middleware::access_log))
            .layer(axum::middleware::from_fn(middleware::normalize_errors))
            .layer(CatchPanicLayer::custom(middleware::panic_response))
            .layer(cors),
    )
}

/// Routes plus layers: the whole HTTP application.
pub fn app(state: &AppState, config: &Config) -> Router {
    with_layers(routes(state, config.api_docs_enabled), config)
}

/// A bound gateway, ready to serve.
pub struct Gateway {
    listener: TcpListener,
    router: Router,
    limiters: [rate_limit::Limiter; 3],
}

impl Gateway {
    pub async fn build(config: &Config, addr: SocketAddr) -> anyhow::Result<Self> {
        let state = build_state(config)?;
        let router = app(&state, config);
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            router,
            limiters: [
                state.login_limiter.clone(),
                state.askai_limiter.clone(),
                state.general_limiter.clone(),
            ],
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let limiters = self.limiters;
        // Rate-limiter state grows with the number of client addresses; trim it regularly.
        let janitor = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                limiters.iter().for_each(rate_limit::Limiter::shrink);
            }
        });
        let result = serve(self.listener, self.router, shutdown).await;
        janitor.abort();
        result
    }
}

/// Serves `router` with client addresses available, until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    tracing::info!(addr = %listener.local_addr()?, "gateway listening");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}
