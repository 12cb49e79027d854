//! Shared state of the gateway: gRPC clients (with the propagation interceptor), the token
//! verifier and the rate limiters.

use std::time::Duration;

use ap_kit::token::TokenVerifier;
use ap_proto::approval::v1::approval_service_client::ApprovalServiceClient;
use ap_proto::askai::v1::ask_ai_service_client::AskAiServiceClient;
use ap_proto::auth::v1::auth_service_client::AuthServiceClient;
use ap_proto::invoice::v1::invoice_service_client::InvoiceServiceClient;
use ap_proto::payment::v1::payment_service_client::PaymentServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::rate_limit::Limiter;

pub type Intercepted = InterceptedService<
    Channel,
    fn(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status>,
>;

/// One backend service as the health endpoint checks it.
#[derive(Clone)]
pub struct Backend {
    pub name: &'static str,
    /// Fully qualified gRPC service name registered in its health service.
    pub grpc_service: &'static str,
    pub channel: Channel,
}

#[derive(Clone)]
pub struct AppState {
    pub auth: AuthServiceClient<Intercepted>,
    pub invoice: InvoiceServiceClient<Intercepted>,
    pub payment: PaymentServiceClient<Intercepted>,
    pub approval: ApprovalServiceClient<Intercepted>,
    pub askai: AskAiServiceClient<Intercepted>,
    pub verifier: TokenVerifier,
    pub backends: Vec<Backend>,
    pub login_limiter: Limiter,
    pub upload_limiter: Limiter,
    pub askai_limiter: Limiter,
    pub upload_max_bytes: u64,
    pub general_limiter: Limiter,
    pub health_timeout: Duration,
    /// Verified portal tokens (at most 60 s each).
    pub portal: std::sync::Arc<crate::portal_auth::PortalSessions>,
}

pub fn intercepted(channel: Channel) -> Intercepted {
    InterceptedService::new(channel, ap_kit::request_id::propagate as fn(_) -> _)
}
