//! Request extractors: the authenticated caller (token checked here and again by the
//! service) and the context forwarded to services as gRPC metadata.

use std::net::IpAddr;

use ap_kit::idempotency;
use ap_kit::request_id::{CLIENT_IP, CLIENT_USER_AGENT};
use ap_kit::token::Principal;
use ap_types::Role;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};

use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::state::AppState;

/// What the gateway forwards with every RPC.
#[derive(Clone, Debug)]
pub struct Forward {
    pub authorization: Option<String>,
    pub client_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The client's `Idempotency-Key` (checked here), forwarded on every RPC; services honour
    /// it on creating operations.
    pub idempotency_key: Option<String>,
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
        if let Some(key) = &self.idempotency_key
            && let Ok(v) = key.parse()
        {
            md.insert(idempotency::METADATA_KEY, v);
        }
        req
    }
}

/// The `Idempotency-Key` header of a mutation: absent, or 1 to 255 visible ASCII characters
/// (surrounding spaces trimmed); anything else is a 400 rather than a silently ignored key.
/// Reads never create, so their header is ignored.
fn idempotency_key(parts: &Parts) -> Result<Option<String>, ApiError> {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(None);
    }
    let Some(raw) = parts.headers.get(idempotency::METADATA_KEY) else {
        return Ok(None);
    };
    raw.to_str()
        .ok()
        .map(str::trim)
        .filter(|k| idempotency::valid_key(k))
        .map(|k| Some(k.to_owned()))
        .ok_or_else(|| ApiError::field("Idempotency-Key", idempotency::INVALID_KEY))
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
            idempotency_key: idempotency_key(parts)?,
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
        Authed::verify(state, forward)
    }
}

impl Authed {
    /// Checks the bearer token `forward` carries (for handlers that decide themselves what a
    /// missing one means).
    pub fn verify(state: &AppState, forward: Forward) -> Result<Self, ApiError> {
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

// ---------------------------------------------------------------------------------------
// Body, query and path extractors whose refusals are the house error body in plain words:
// `{detail, code, request_id, errors: [{field, message}]}`. No serde or Rust wording (type
// names, "invalid type", line/column jargon) ever reaches a client.
// ---------------------------------------------------------------------------------------

/// Largest page any list endpoint serves (see `routes::vendors::check_limit`).
pub const MAX_LIMIT: u32 = 200;

/// A JSON body (request) or JSON response. As an extractor it refuses a missing or wrong
/// `Content-Type`, an empty body, malformed JSON and values of the wrong type, and names
/// every missing required field at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

fn has_json_content_type(headers: &axum::http::HeaderMap) -> Option<bool> {
    let ct = headers.get(header::CONTENT_TYPE)?;
    let Ok(ct) = ct.to_str() else {
        return Some(false);
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    Some(
        essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json")),
    )
}

fn wrong_content_type() -> ApiError {
    let mut e = ApiError::new(
        axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Send the request body as JSON with the header Content-Type: application/json.",
    );
    e.errors = Some(vec![crate::error::FieldError {
        field: "Content-Type".to_owned(),
        message: "must be application/json".to_owned(),
    }]);
    e
}

fn body_error(detail: &str, message: String) -> ApiError {
    let mut e = ApiError::bad_request(detail);
    e.errors = Some(vec![crate::error::FieldError {
        field: "body".to_owned(),
        message,
    }]);
    e
}

async fn read_body<S: Send + Sync>(
    req: axum::extract::Request,
    state: &S,
) -> Result<axum::body::Bytes, ApiError> {
    use axum::extract::FromRequest;
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|r| ApiError::for_status(r.status(), None))
}

/// Parses `bytes` as JSON into `T`, with every refusal in plain words.
pub fn parse_json<T>(bytes: &[u8]) -> Result<T, ApiError>
where
    T: serde::de::DeserializeOwned + utoipa::PartialSchema,
{
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(body_error(
            "The request body is empty. Send a JSON object.",
            "must be a JSON object".to_owned(),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        body_error(
            "The request body is not valid JSON.",
            format!(
                "is not valid JSON: the problem is on line {}, column {}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let schema = T::schema();
    let object_schema = match &schema {
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(o))
            if !o.properties.is_empty() =>
        {
            Some(o)
        }
        _ => None,
    };
    if object_schema.is_some() && !value.is_object() {
        return Err(body_error(
            "The request body must be a JSON object.",
            "must be a JSON object".to_owned(),
        ));
    }
    let err = match serde_path_to_error::deserialize::<_, T>(value.clone()) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let mut errors = Vec::new();
    let path = err.path().to_string();
    let prefix = if path == "." { String::new() } else { path };
    let (field, message) = plain_serde_message(&prefix, &err.inner().to_string());
    {
        // Every required top-level field that is absent, not only the first serde met.
        if let (Some(obj), Some(s)) = (value.as_object(), object_schema) {
            for name in &s.required {
                if !obj.contains_key(name) {
                    push_unique(&mut errors, name.clone(), "is required".to_owned());
                }
            }
        }
    }
    push_unique(&mut errors, field, message);
    // Missing fields first in schema order, then the value at fault: stable for clients.
    let detail = if let [only] = errors.as_slice() {
        format!("The request body has an invalid field: {}.", only.field)
    } else {
        format!("The request body has {} invalid fields.", errors.len())
    };
    let mut e = ApiError::bad_request(detail);
    e.errors = Some(errors);
    Err(e)
}

fn push_unique(errors: &mut Vec<crate::error::FieldError>, field: String, message: String) {
    if !errors.iter().any(|e| e.field == field) {
        errors.push(crate::error::FieldError { field, message });
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The text between the first pair of backticks in `s`.
fn ticked(s: &str) -> Option<&str> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    Some(&s[start..start + len])
}

/// Every backticked word after `from` in `s` (serde's "expected one of `a`, `b`").
fn ticked_list(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// What a serde "expected …" means, for a client.
fn plain_expected(expected: &str) -> &'static str {
    let x = expected.trim();
    if x.contains("decimal") {
        "must be a decimal number such as \"74.50\""
    } else if x.contains("string") || x.contains("char") {
        "must be a string"
    } else if x.contains("bool") {
        "must be true or false"
    } else if x.starts_with('u') && x[1..].chars().all(|c| c.is_ascii_digit()) && x.len() > 1 {
        "must be a whole number of 0 or more"
    } else if x.starts_with('i') && x[1..].chars().all(|c| c.is_ascii_digit()) && x.len() > 1
        || x.contains("integer")
    {
        "must be a whole number"
    } else if x.starts_with('f') && x[1..].chars().all(|c| c.is_ascii_digit()) && x.len() > 1
        || x.contains("number")
    {
        "must be a number"
    } else if x.contains("sequence") || x.contains("tuple") || x.contains("array") {
        "must be a list"
    } else if x.starts_with("struct") || x.contains("map") {
        "must be a JSON object"
    } else if x.contains("uuid") || x.contains("UUID") {
        "must be a UUID"
    } else if x.contains("date") {
        "must be a date such as 2026-01-31"
    } else {
        "has an invalid value"
    }
}

/// Maps one serde error (`inner`, met at `prefix`) to a field and a plain message.
fn plain_serde_message(prefix: &str, inner: &str) -> (String, String) {
    let at = |p: &str| {
        if p.is_empty() {
            "body".to_owned()
        } else {
            p.to_owned()
        }
    };
    if let Some(rest) = inner.strip_prefix("missing field ") {
        let name = ticked(rest).unwrap_or("field");
        return (join(prefix, name), "is required".to_owned());
    }
    if let Some(rest) = inner.strip_prefix("unknown field ") {
        let list = ticked_list(rest);
        let name = list.first().copied().unwrap_or("field");
        // The path already ends at the unknown key.
        let field = if prefix == name || prefix.ends_with(&format!(".{name}")) {
            prefix.to_owned()
        } else {
            join(prefix, name)
        };
        let allowed = list.iter().skip(1).copied().collect::<Vec<_>>().join(", ");
        let message = if allowed.is_empty() {
            "is not a recognised field".to_owned()
        } else {
            format!("is not a recognised field; the fields are: {allowed}")
        };
        return (field, message);
    }
    if let Some(rest) = inner.strip_prefix("unknown variant ") {
        let list = ticked_list(rest);
        let allowed = list.iter().skip(1).copied().collect::<Vec<_>>().join(", ");
        return (at(prefix), format!("must be one of: {allowed}"));
    }
    if let Some(rest) = inner.strip_prefix("invalid type: ") {
        if rest.starts_with("null") {
            return (at(prefix), "must not be null".to_owned());
        }
        let expected = rest.split_once(", expected ").map_or("", |(_, x)| x);
        return (at(prefix), plain_expected(expected).to_owned());
    }
    if let Some(rest) = inner.strip_prefix("invalid value: ") {
        let expected = rest.split_once(", expected ").map_or("", |(_, x)| x);
        return (at(prefix), plain_expected(expected).to_owned());
    }
    if inner.starts_with("invalid length") {
        return (at(prefix), "has the wrong number of items".to_owned());
    }
    if inner.contains("decimal") {
        return (at(prefix), plain_expected("decimal").to_owned());
    }
    (at(prefix), "has an invalid value".to_owned())
}

impl<T, S> axum::extract::FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned + utoipa::PartialSchema,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        if has_json_content_type(req.headers()) != Some(true) {
            return Err(wrong_content_type());
        }
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(Json)
    }
}

/// An optional JSON body: no `Content-Type` and no body means `None`.
impl<T, S> axum::extract::OptionalFromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned + utoipa::PartialSchema,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(
        req: axum::extract::Request,
        state: &S,
    ) -> Result<Option<Self>, ApiError> {
        match has_json_content_type(req.headers()) {
            None => {
                let bytes = read_body(req, state).await?;
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    Ok(None)
                } else {
                    Err(wrong_content_type())
                }
            }
            Some(false) => Err(wrong_content_type()),
            Some(true) => {
                let bytes = read_body(req, state).await?;
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    return Ok(None);
                }
                parse_json(&bytes).map(|v| Some(Json(v)))
            }
        }
    }
}

/// Query parameters. Unknown parameters are refused (naming the allowed ones), and every
/// parameter with a bad value is named in plain words.
#[derive(Debug, Clone, Default)]
pub struct Query<T>(pub T);

/// Whether a documented query parameter takes several values (an array schema, such as
/// `status=approved&status=paid`).
fn is_list_param(p: &utoipa::openapi::path::Parameter) -> bool {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    match &p.schema {
        Some(RefOr::T(Schema::Array(_))) => true,
        Some(RefOr::T(Schema::Object(o))) => {
            matches!(&o.schema_type, SchemaType::Type(Type::Array))
                || matches!(&o.schema_type, SchemaType::Array(ts) if ts.contains(&Type::Array))
        }
        _ => false,
    }
}

/// Parses a raw query string into `T`. A parameter documented as a list may be repeated
/// (`status=approved&status=paid`) or comma-separated (`status=approved,paid`); repeats are
/// joined with commas before `T` sees them, so `T` reads it as one text value.
pub fn parse_query<T>(raw: &str) -> Result<T, ApiError>
where
    T: serde::de::DeserializeOwned + utoipa::IntoParams,
{
    let params = T::into_params(|| Some(utoipa::openapi::path::ParameterIn::Query));
    let lists: Vec<String> = params
        .iter()
        .filter(|p| is_list_param(p))
        .map(|p| p.name.clone())
        .collect();
    let allowed: Vec<String> = params.into_iter().map(|p| p.name).collect();
    let parsed: Vec<(String, String)> = serde_urlencoded::from_str(raw).map_err(|_| {
        let mut e = ApiError::bad_request("The query string is not valid.");
        e.errors = Some(vec![crate::error::FieldError {
            field: "query".to_owned(),
            message: "must be name=value pairs joined by &".to_owned(),
        }]);
        e
    })?;
    let mut pairs: Vec<(String, String)> = Vec::with_capacity(parsed.len());
    for (name, value) in parsed {
        if lists.contains(&name)
            && let Some((_, joined)) = pairs.iter_mut().find(|(n, _)| *n == name)
        {
            if !value.is_empty() {
                if !joined.is_empty() {
                    joined.push(',');
                }
                joined.push_str(&value);
            }
            continue;
        }
        pairs.push((name, value));
    }
    let merged = if lists.is_empty() {
        raw.to_owned()
    } else {
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    };
    let raw = merged.as_str();
    let mut errors = Vec::new();
    for (name, _) in &pairs {
        if !allowed.iter().any(|a| a == name) {
            let message = if allowed.is_empty() {
                "is not a parameter of this endpoint, which takes none".to_owned()
            } else {
                format!(
                    "is not a parameter of this endpoint; the parameters are: {}",
                    allowed.join(", ")
                )
            };
            push_unique(&mut errors, name.clone(), message);
        }
    }
    if errors.is_empty() {
        match serde_urlencoded::from_str::<T>(raw) {
            Ok(v) => return Ok(v),
            Err(whole) => {
                // Each parameter alone (they are optional) tells which values are at fault.
                for (name, value) in &pairs {
                    let one = serde_urlencoded::to_string([(name, value)]).unwrap_or_default();
                    if let Err(e) = serde_urlencoded::from_str::<T>(&one) {
                        let e = e.to_string();
                        if e.starts_with("missing field") {
                            continue;
                        }
                        push_unique(&mut errors, name.clone(), plain_query_message(name, &e));
                    }
                }
                if errors.is_empty() {
                    let (field, message) = plain_serde_message("", &whole.to_string());
                    let field = if field == "body" {
                        "query".to_owned()
                    } else {
                        field
                    };
                    let message = if message == "has an invalid value" {
                        "has a value given more than once or is invalid".to_owned()
                    } else {
                        message
                    };
                    push_unique(&mut errors, field, message);
                }
            }
        }
    }
    let detail = if let [only] = errors.as_slice() {
        format!("The query string has an invalid parameter: {}.", only.field)
    } else {
        format!("The query string has {} invalid parameters.", errors.len())
    };
    let mut e = ApiError::bad_request(detail);
    e.errors = Some(errors);
    Err(e)
}

/// A plain message for a query value serde refused.
fn plain_query_message(name: &str, serde_message: &str) -> String {
    let m = serde_message;
    let numeric = m.contains("digit")
        || m.contains("number too")
        || m.contains("empty string")
        || m.contains("integer");
    if name == "limit" {
        return format!("must be a whole number between 1 and {MAX_LIMIT}");
    }
    if numeric {
        "must be a whole number".to_owned()
    } else if m.contains("`true` or `false`") {
        "must be true or false".to_owned()
    } else if m.contains("float") {
        "must be a number".to_owned()
    } else {
        plain_serde_message(name, m).1
    }
}

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned + utoipa::IntoParams,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or_default()).map(Query)
    }
}

/// Path parameters; a value of the wrong kind is a 400 naming the parameter.
#[derive(Debug, Clone)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let (field, expected) = match e.kind() {
                    ErrorKind::ParseErrorAtKey {
                        key, expected_type, ..
                    } => (key.clone(), (*expected_type).to_owned()),
                    ErrorKind::DeserializeError { key, .. } => (key.clone(), String::new()),
                    ErrorKind::InvalidUtf8InPathParam { key } => (key.clone(), "utf-8".to_owned()),
                    _ => ("path".to_owned(), String::new()),
                };
                let message = if expected == "utf-8" {
                    "must be valid UTF-8 text".to_owned()
                } else {
                    let m = plain_expected(&expected);
                    if m == "has an invalid value" {
                        "is not valid".to_owned()
                    } else {
                        m.to_owned()
                    }
                };
                let mut err =
                    ApiError::bad_request(format!("The path parameter {field} is not valid."));
                err.errors = Some(vec![crate::error::FieldError { field, message }]);
                Err(err)
            }
            Err(_) => Err(ApiError::not_found()),
        }
    }
}
