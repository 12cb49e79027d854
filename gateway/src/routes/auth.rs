//! `/api/v1/auth/*`: token (OAuth2 password form), login (form or JSON), refresh, logout, me.
//!
//! The web app sends `X-Client: web`: its refresh token then travels only in the
//! `ap_refresh` cookie (`HttpOnly; Secure; SameSite=Strict; Path=/api/v1/auth`), never in a
//! JSON body, so no script can read it. API clients keep the JSON form. Why that is safe from
//! cross-site request forgery is in docs/security.md ("Web sessions").

use crate::extract::Json;
use ap_proto::auth::v1 as pb;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Authed, Forward};
use crate::routes::users::UserOut;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"email": "clerk@example.com", "password": "correct horse battery staple"}))]
pub struct LoginJson {
    pub email: String,
    pub password: String,
}

/// OAuth2 password grant form (`username` is the email); `email` is accepted as well.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenForm {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: String,
    pub grant_type: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI3ZjNjMmE5MC0xYjJjLTRkNWUtOGY5MC0xMjM0NTY3ODlhYmMifQ.c2lnbmF0dXJl", "refresh_token": "rt_5mQy8wTz0lYvJx3Kp2Nf7Qb4", "token_type": "Bearer", "expires_in": 900}))]
pub struct TokenOut {
    pub access_token: String,
    /// Absent when the request had `X-Client: web`: the token is in the `ap_refresh` cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub token_type: String,
    pub expires_in: u32,
}

impl From<pb::TokenPair> for TokenOut {
    fn from(t: pb::TokenPair) -> Self {
        Self {
            access_token: t.access_token,
            refresh_token: Some(t.refresh_token),
            token_type: t.token_type,
            expires_in: t.expires_in,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RefreshIn {
    pub refresh_token: String,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct LogoutIn {
    pub refresh_token: Option<String>,
}

/// The refresh-token cookie of the web app.
pub const REFRESH_COOKIE: &str = "ap_refresh";
/// Sent only to `/api/v1/auth/*` (refresh and logout read it), nowhere else.
const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";
/// The header by which the web app asks for the cookie form.
pub const CLIENT_HEADER: &str = "x-client";

/// The request comes from the web app (`X-Client: web`). The header is not a CORS-safelisted
/// one and the CORS layer does not allow it, so another site cannot send it from a browser.
fn is_web(headers: &HeaderMap) -> bool {
    headers
        .get(CLIENT_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("web"))
}

/// The `ap_refresh` cookie's value, if the request carries one.
fn refresh_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == REFRESH_COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// A session cookie (no `Max-Age`): it ends with the browser session, and the token inside
/// expires on the server after `REFRESH_TOKEN_TTL_SECS` whatever the browser keeps.
fn set_refresh_cookie(token: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(&format!(
        "{REFRESH_COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path={REFRESH_COOKIE_PATH}"
    ))
    .map_err(|_| {
        tracing::error!("refresh token is not a valid cookie value");
        ApiError::internal()
    })
}

fn clear_refresh_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "ap_refresh=; HttpOnly; Secure; SameSite=Strict; Path=/api/v1/auth; Max-Age=0",
    )
}

/// Token responses are never stored by a cache. For the web app the refresh token leaves
/// the body and goes into the cookie.
fn token_response(pair: pb::TokenPair, web: bool) -> Result<Response, ApiError> {
    let cookie = if web {
        Some(set_refresh_cookie(&pair.refresh_token)?)
    } else {
        None
    };
    let mut out = TokenOut::from(pair);
    if web {
        out.refresh_token = None;
    }
    let mut resp = Json(out).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(cookie) = cookie {
        h.insert(header::SET_COOKIE, cookie);
    }
    Ok(resp)
}

/// An error for the web app that also drops its cookie (the session behind it is gone).
fn clearing(e: ApiError) -> Response {
    let mut resp = e.into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, clear_refresh_cookie());
    resp
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"))
}

fn parse_credentials(
    headers: &HeaderMap,
    body: &[u8],
    allow_json: bool,
) -> Result<(String, String), ApiError> {
    if allow_json && is_json(headers) {
        let b: LoginJson = crate::extract::parse_json(body)?;
        return Ok((b.email, b.password));
    }
    let form: TokenForm = serde_urlencoded::from_bytes(body).map_err(|_| {
        let mut e = ApiError::bad_request("Body must be a form with username and password.");
        e.errors = Some(
            ["username", "password"]
                .iter()
                .map(|f| crate::error::FieldError {
                    field: (*f).to_owned(),
                    message: "is required".to_owned(),
                })
                .collect(),
        );
        e
    })?;
    if form.grant_type.as_deref().is_some_and(|g| g != "password") {
        return Err(ApiError::field(
            "grant_type",
            "only the password grant is supported",
        ));
    }
    let email = form
        .username
        .or(form.email)
        .ok_or_else(|| ApiError::field("username", "is required"))?;
    Ok((email, form.password))
}

async fn login_with(
    state: AppState,
    forward: Forward,
    (email, password): (String, String),
) -> Result<pb::TokenPair, ApiError> {
    let mut auth = state.auth.clone();
    let pair = auth
        .login(forward.request(pb::LoginRequest { email, password }))
        .await?;
    Ok(pair.into_inner())
}

/// OAuth2 password grant.
#[utoipa::path(post, path = "/api/v1/auth/token", operation_id = "issueToken",
    extensions(("x-roles" = json!([]))), tag = "auth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenOut), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn token(
    State(state): State<AppState>,
    forward: Forward,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TokenOut>, ApiError> {
    let creds = parse_credentials(&headers, &body, false)?;
    Ok(Json(login_with(state, forward, creds).await?.into()))
}

/// Login with a form (`username`/`password`) or JSON (`email`/`password`). With
/// `X-Client: web` the refresh token is set in the `ap_refresh` cookie instead of the body.
#[utoipa::path(post, path = "/api/v1/auth/login", operation_id = "login",
    extensions(("x-roles" = json!([]))), tag = "auth", request_body = LoginJson,
    params(("X-Client" = Option<String>, Header, description = "`web`: the refresh token is set in the HttpOnly `ap_refresh` cookie (Path=/api/v1/auth) and left out of the body")),
    responses((status = 200, body = TokenOut), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    forward: Forward,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let creds = parse_credentials(&headers, &body, true)?;
    let pair = login_with(state, forward, creds).await?;
    token_response(pair, is_web(&headers))
}

/// Rotates a refresh token; reusing an old one revokes the whole session. With
/// `X-Client: web` the token comes from the `ap_refresh` cookie (body `{}` or none), the
/// answer carries only the access token and the cookie is rotated; a refused token clears it.
#[utoipa::path(post, path = "/api/v1/auth/refresh", operation_id = "refreshSession",
    extensions(("x-roles" = json!([]))), tag = "auth",
    request_body(content = Option<RefreshIn>, description = "Required unless `X-Client: web` (then the `ap_refresh` cookie is used)"),
    params(("X-Client" = Option<String>, Header, description = "`web`: read and rotate the refresh token in the `ap_refresh` cookie")),
    responses((status = 200, body = TokenOut), (status = 401, body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    forward: Forward,
    request: Request,
) -> Result<Response, ApiError> {
    if !is_web(request.headers()) {
        // API clients: the JSON body, exactly; a cookie is ignored.
        let Json(body) = Json::<RefreshIn>::from_request(request, &state).await?;
        let pair = refresh_pair(&state, &forward, body.refresh_token).await?;
        return token_response(pair, false);
    }
    let cookie = refresh_cookie(request.headers());
    let body = Bytes::from_request(request, &state)
        .await
        .map_err(|r| ApiError::for_status(r.status(), None))?;
    let from_body = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        crate::extract::parse_json::<LogoutIn>(&body)?.refresh_token
    };
    let Some(token) = from_body.or(cookie) else {
        tracing::info!("refresh refused: no refresh cookie");
        return Ok(clearing(ApiError::unauthenticated()));
    };
    match refresh_pair(&state, &forward, token).await {
        Ok(pair) => token_response(pair, true),
        Err(e) if e.status == StatusCode::UNAUTHORIZED => Ok(clearing(e)),
        Err(e) => Err(e),
    }
}

async fn refresh_pair(
    state: &AppState,
    forward: &Forward,
    refresh_token: String,
) -> Result<pb::TokenPair, ApiError> {
    let mut auth = state.auth.clone();
    let pair = auth
        .refresh(forward.request(pb::RefreshRequest { refresh_token }))
        .await?;
    Ok(pair.into_inner())
}

/// Revokes the caller's session; a refresh token in the body is revoked too. With
/// `X-Client: web` the `ap_refresh` cookie's session is revoked as well and the cookie is
/// cleared, on every answer (even when the access token had already expired).
#[utoipa::path(post, path = "/api/v1/auth/logout", operation_id = "logout",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))), tag = "auth", request_body(content = Option<LogoutIn>),
    params(("X-Client" = Option<String>, Header, description = "`web`: also revoke the session of the `ap_refresh` cookie and clear it")),
    responses((status = 204), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    forward: Forward,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: LogoutIn = if body.is_empty() {
        LogoutIn::default()
    } else {
        crate::extract::parse_json(&body)?
    };
    if !is_web(&headers) {
        let authed = Authed::verify(&state, forward)?;
        logout_with(&state, &authed.forward, body.refresh_token).await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let token = body.refresh_token.or_else(|| refresh_cookie(&headers));
    let outcome = match Authed::verify(&state, forward.clone()) {
        Ok(authed) => logout_with(&state, &authed.forward, token).await,
        // The access token expired (a laptop that slept): the cookie still identifies the
        // session, so it is rotated once to act as its owner and then revoked.
        Err(e) => match token {
            Some(token) => match refresh_pair(&state, &forward, token).await {
                Ok(pair) => {
                    let owner = Forward {
                        authorization: Some(format!("Bearer {}", pair.access_token)),
                        ..forward
                    };
                    logout_with(&state, &owner, Some(pair.refresh_token)).await
                }
                // Already revoked or expired: nothing left to end.
                Err(r) if r.status == StatusCode::UNAUTHORIZED => Ok(()),
                Err(r) => Err(r),
            },
            None => Err(e),
        },
    };
    Ok(match outcome {
        Ok(()) => {
            let mut resp = StatusCode::NO_CONTENT.into_response();
            resp.headers_mut()
                .insert(header::SET_COOKIE, clear_refresh_cookie());
            resp
        }
        Err(e) => clearing(e),
    })
}

async fn logout_with(
    state: &AppState,
    forward: &Forward,
    refresh_token: Option<String>,
) -> Result<(), ApiError> {
    let mut auth = state.auth.clone();
    auth.logout(forward.request(pb::LogoutRequest {
        refresh_token: refresh_token.unwrap_or_default(),
    }))
    .await?;
    Ok(())
}

/// The caller's own account (also at `/api/v1/users/me`).
#[utoipa::path(get, path = "/api/v1/auth/me", operation_id = "getMe",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))), tag = "auth",
    responses((status = 200, body = UserOut), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn me(State(state): State<AppState>, authed: Authed) -> Result<Json<UserOut>, ApiError> {
    let mut auth = state.auth.clone();
    let user = auth.me(authed.forward.request(pb::MeRequest {})).await?;
    Ok(Json(user.into_inner().into()))
}
