//! The one gRPC-code → HTTP table and the error body every client sees:
//! `{"detail": "...", "code": "...", "request_id": "...", "errors": [{"field", "message"}]}`.
//! Internal detail stays in logs.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tonic::Code;

pub const INTERNAL_DETAIL: &str = "Internal server error.";

/// Metadata keys services use to shape the HTTP answer (see the invoice service's grpc layer).
const HTTP_STATUS_HINT: &str = "x-ap-http-status";
const FIELD_ERRORS: &str = "x-ap-field-errors-bin";
const EXISTING_INVOICE: &str = "x-ap-existing-invoice-id";
const EXISTING_ID: &str = "x-ap-existing-id";
const ERROR_CODE_HINT: &str = "x-ap-error-code";

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"detail": "Invalid input: lines[0].quantity: must be greater than zero.", "code": "invalid_request", "request_id": "01a2526f-a6a4-76f7-91ac-0cfe7596cc28", "errors": [{"field": "lines[0].quantity", "message": "must be greater than zero"}]}))]
pub struct ErrorBody {
    pub detail: String,
    pub code: String,
    pub request_id: Option<String>,
    /// The fields at fault, each with a plain message; empty when no single field is.
    pub errors: Vec<FieldError>,
    /// On 409 for a document already uploaded: the invoice that has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_invoice_id: Option<String>,
    /// On 409 `duplicate_vendor`: the vendor that already has this tax id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub existing_id: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub retry_after: Option<u64>,
    pub errors: Option<Vec<FieldError>>,
    /// UUIDs rather than text keep the error small (it travels in every `Result`).
    pub existing_invoice_id: Option<uuid::Uuid>,
    pub existing_id: Option<uuid::Uuid>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            retry_after: None,
            errors: None,
            existing_invoice_id: None,
            existing_id: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", detail)
    }

    pub fn field(field: &str, message: &str) -> Self {
        let mut e = Self::bad_request(format!("{field}: {message}"));
        e.errors = Some(vec![FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        }]);
        e
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Not authenticated.",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "permission_denied",
            "You do not have permission to perform this action.",
        )
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found.")
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests. Try again later.",
        );
        e.retry_after = Some(retry_after);
        e
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            INTERNAL_DETAIL,
        )
    }

    /// Generic body for a status produced outside our handlers (404 fallback, 413, 405…).
    pub fn for_status(status: StatusCode, upstream_detail: Option<String>) -> Self {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => ("not_found", "Not found.".to_owned()),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method_not_allowed", "Method not allowed.".to_owned())
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                ("payload_too_large", "Request body too large.".to_owned())
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                upstream_detail.unwrap_or_else(|| "Unsupported media type.".to_owned()),
            ),
            StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => {
                ("timeout", "The request took too long.".to_owned())
            }
            s if s.is_client_error() => (
                "invalid_request",
                upstream_detail.unwrap_or_else(|| "Invalid request.".to_owned()),
            ),
            _ => ("internal", INTERNAL_DETAIL.to_owned()),
        };
        let status = if status == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::BAD_REQUEST
        } else {
            status
        };
        Self::new(status, code, detail)
    }
}

impl From<tonic::Status> for ApiError {
    fn from(s: tonic::Status) -> Self {
        let (status, code) = match s.code() {
            Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
                (StatusCode::BAD_REQUEST, "invalid_request")
            }
            Code::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Code::PermissionDenied => (StatusCode::FORBIDDEN, "permission_denied"),
            Code::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Code::AlreadyExists | Code::Aborted => (StatusCode::CONFLICT, "conflict"),
            Code::ResourceExhausted => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Code::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Code::DeadlineExceeded => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
            Code::Ok
            | Code::Cancelled
            | Code::Unknown
            | Code::Internal
            | Code::Unimplemented
            | Code::DataLoss => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let detail = match status {
            StatusCode::INTERNAL_SERVER_ERROR => {
                tracing::error!(grpc.code = ?s.code(), grpc.message = %s.message(), "upstream RPC failed");
                INTERNAL_DETAIL.to_owned()
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                tracing::error!(grpc.code = ?s.code(), grpc.message = %s.message(), "upstream unavailable");
                "Service temporarily unavailable.".to_owned()
            }
            StatusCode::GATEWAY_TIMEOUT => "The request took too long.".to_owned(),
            // Services promise these messages are written for clients.
            _ => s.message().to_owned(),
        };
        let mut e = ApiError::new(status, code, detail);
        if status == StatusCode::TOO_MANY_REQUESTS {
            e.retry_after = Some(60);
        }
        // Hints a service attaches for the edge: the exact HTTP status of a refused upload,
        // per-field validation errors, the invoice that already holds a document.
        match s
            .metadata()
            .get(HTTP_STATUS_HINT)
            .and_then(|v| v.to_str().ok())
        {
            Some("413") if status == StatusCode::BAD_REQUEST => {
                e.status = StatusCode::PAYLOAD_TOO_LARGE;
                e.code = "payload_too_large";
            }
            Some("415") if status == StatusCode::BAD_REQUEST => {
                e.status = StatusCode::UNSUPPORTED_MEDIA_TYPE;
                e.code = "unsupported_media_type";
            }
            _ => {}
        }
        if let Some(raw) = s
            .metadata()
            .get_bin(FIELD_ERRORS)
            .and_then(|v| v.to_bytes().ok())
            && let Ok(items) = serde_json::from_slice::<Vec<serde_json::Value>>(&raw)
        {
            e.errors = Some(
                items
                    .iter()
                    .filter_map(|i| {
                        Some(FieldError {
                            field: i.get("field")?.as_str()?.to_owned(),
                            message: i.get("message")?.as_str()?.to_owned(),
                        })
                    })
                    .collect(),
            );
        }
        e.existing_invoice_id = s
            .metadata()
            .get(EXISTING_INVOICE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        e.existing_id = s
            .metadata()
            .get(EXISTING_ID)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        // Specific codes a service may name, only where they refine the status's own.
        if let Some("duplicate_vendor") = s
            .metadata()
            .get(ERROR_CODE_HINT)
            .and_then(|v| v.to_str().ok())
            && status == StatusCode::CONFLICT
        {
            e.code = "duplicate_vendor";
        }
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            detail: self.detail,
            code: self.code.to_owned(),
            request_id: ap_kit::request_id::current_request_id(),
            errors: self.errors.unwrap_or_default(),
            existing_invoice_id: self.existing_invoice_id.map(|id| id.to_string()),
            existing_id: self.existing_id.map(|id| id.to_string()),
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_statuses_never_leak_their_message() {
        let e = ApiError::from(tonic::Status::internal(
            "relation \"auth.users\" does not exist",
        ));
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.detail, INTERNAL_DETAIL);
        let e = ApiError::from(tonic::Status::unknown("panic at src/x.rs:3"));
        assert_eq!(e.detail, INTERNAL_DETAIL);
    }

    #[test]
    fn every_code_maps_as_the_architecture_table_says() {
        let cases = [
            (Code::InvalidArgument, 400),
            (Code::FailedPrecondition, 400),
            (Code::Unauthenticated, 401),
            (Code::PermissionDenied, 403),
            (Code::NotFound, 404),
            (Code::AlreadyExists, 409),
            (Code::Aborted, 409),
            (Code::ResourceExhausted, 429),
            (Code::Unavailable, 503),
            (Code::DeadlineExceeded, 504),
            (Code::Internal, 500),
            (Code::Unknown, 500),
            (Code::DataLoss, 500),
        ];
        for (code, http) in cases {
            assert_eq!(
                ApiError::from(tonic::Status::new(code, "m"))
                    .status
                    .as_u16(),
                http,
                "{code:?}"
            );
        }
    }
}
