//! Request extractors: the authenticated caller (token checked here and again by the
//! service) and the context forwarded to services as gRPC metadata.

use std::net::IpAddr;

use ap_kit::request_id::{CLIENT_IP, CLIENT_USER_AGENT};
use ap_kit::token::Principal;
use ap_types::Role;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::state::AppState;

/// What the gateway forwards with every RPC.
#[derive(Clone, Debug)]
pub struct Forward {
    pub authorization: Option<String>,
    pub client_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl Forward {
    /// Wraps `msg` in a request carrying the caller's token and context. The channel's
    /// interceptor adds request id and trace context.
    pub fn request<T>(&self, msg: T) -> tonic::Request<T> {
        let mut req = tonic::Request::new(msg);
        let md = req.metadata_mut();
        if let Some(auth) = &self.authorization
            && let Ok(v) = auth.parse()
        {
            md.insert("authorization", v);
        }
        if let Some(ip) = self.client_ip
            && let Ok(v) = ip.to_string().parse()
        {
            md.insert(CLIENT_IP, v);
        }
        if let Some(ua) = &self.user_agent {
            let ua: String = ua
                .chars()
                .filter(|c| c.is_ascii() && !c.is_ascii_control())
                .take(512)
                .collect();
            if let Ok(v) = ua.parse() {
                md.insert(CLIENT_USER_AGENT, v);
            }
        }
        req
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Forward {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Forward {
            authorization: parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            client_ip: parts.extensions.get::<ClientIp>().map(|c| c.0),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        })
    }
}

/// An authenticated staff user, verified at the edge.
pub struct Authed {
    pub principal: Principal,
    pub forward: Forward,
}

impl Authed {
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        self.principal
            .require(roles)
            .map_err(|_| ApiError::forbidden())
    }
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let forward = Forward::from_request_parts(parts, state).await?;
        let principal = state
            .verifier
            .verify_bearer(forward.authorization.as_deref())
            .map_err(|e| {
                tracing::info!(reason = %e, "request refused: unauthenticated");
                ApiError::unauthenticated()
            })?;
        Ok(Authed { principal, forward })
    }
}
