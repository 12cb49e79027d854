//! `/api/v1/auth/*`: token (OAuth2 password form), login (form or JSON), refresh, logout, me.

use crate::extract::Json;
use ap_proto::auth::v1 as pb;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Authed, Forward};
use crate::routes::users::UserOut;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
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
pub struct TokenOut {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    pub expires_in: u32,
}

impl From<pb::TokenPair> for TokenOut {
    fn from(t: pb::TokenPair) -> Self {
        Self {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
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
) -> Result<Json<TokenOut>, ApiError> {
    let mut auth = state.auth.clone();
    let pair = auth
        .login(forward.request(pb::LoginRequest { email, password }))
        .await?;
    Ok(Json(pair.into_inner().into()))
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
    login_with(state, forward, creds).await
}

/// Login with a form (`username`/`password`) or JSON (`email`/`password`).
#[utoipa::path(post, path = "/api/v1/auth/login", operation_id = "login",
    extensions(("x-roles" = json!([]))), tag = "auth", request_body = LoginJson,
    responses((status = 200, body = TokenOut), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    forward: Forward,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TokenOut>, ApiError> {
    let creds = parse_credentials(&headers, &body, true)?;
    login_with(state, forward, creds).await
}

/// Rotates a refresh token; reusing an old one revokes the whole session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", operation_id = "refreshSession",
    extensions(("x-roles" = json!([]))), tag = "auth", request_body = RefreshIn,
    responses((status = 200, body = TokenOut), (status = 401, body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    forward: Forward,
    Json(body): Json<RefreshIn>,
) -> Result<Json<TokenOut>, ApiError> {
    let mut auth = state.auth.clone();
    let pair = auth
        .refresh(forward.request(pb::RefreshRequest {
            refresh_token: body.refresh_token,
        }))
        .await?;
    Ok(Json(pair.into_inner().into()))
}

/// Revokes the caller's session; a refresh token in the body is revoked too.
#[utoipa::path(post, path = "/api/v1/auth/logout", operation_id = "logout",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))), tag = "auth", request_body(content = Option<LogoutIn>),
    responses((status = 204), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    authed: Authed,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let body: LogoutIn = if body.is_empty() {
        LogoutIn::default()
    } else {
        crate::extract::parse_json(&body)?
    };
    let mut auth = state.auth.clone();
    auth.logout(authed.forward.request(pb::LogoutRequest {
        refresh_token: body.refresh_token.unwrap_or_default(),
    }))
    .await?;
    Ok(StatusCode::NO_CONTENT)
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
