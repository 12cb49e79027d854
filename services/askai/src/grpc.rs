//! tonic implementation of `ap.askai.v1.AskAiService`: authenticate, call the app layer,
//! convert back. One exhaustive mapping from `AppError` to `Status`; refusal reasons and
//! database errors never reach the client.

use ap_kit::audit::RequestContext;
use ap_kit::grpc::{authenticate, internal, unavailable};
use ap_proto::askai::v1 as pb;
use ap_proto::askai::v1::ask_ai_service_server::AskAiService;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status};

use crate::app::{AppError, AskAiApp, Caller};

/// Metadata on the UNAVAILABLE status that means "no model configured" (the gateway turns it
/// into its own 503 message rather than the generic one).
pub const NOT_CONFIGURED: &str = "x-ap-not-configured";

pub const NOT_CONFIGURED_DETAIL: &str = "Ask AI is not configured.";
pub const REFUSED_DETAIL: &str = "Query could not be answered safely.";
pub const TIMEOUT_DETAIL: &str = "Query took too long.";
pub const FAILED_DETAIL: &str = "Query execution failed. Try rephrasing your question.";
pub const UNANSWERABLE_DETAIL: &str =
    "This question cannot be answered from the reporting data. Try rephrasing your question.";

pub struct AskAiGrpc {
    app: AskAiApp,
}

impl AskAiGrpc {
    pub fn new(app: AskAiApp) -> Self {
        Self { app }
    }

    fn caller<T>(&self, req: &Request<T>) -> Result<Caller, Status> {
        Ok(Caller {
            principal: authenticate(self.app.verifier(), req)?,
            ctx: RequestContext::from_metadata(req.metadata()),
        })
    }
}

impl From<AppError> for Status {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Forbidden => {
                Status::permission_denied("You do not have permission to perform this action.")
            }
            AppError::InvalidQuestion(message) => Status::invalid_argument(message),
            AppError::NotConfigured => {
                let mut status = Status::unavailable(NOT_CONFIGURED_DETAIL);
                status
                    .metadata_mut()
                    .insert(NOT_CONFIGURED, MetadataValue::from_static("1"));
                status
            }
            AppError::Unanswerable => Status::invalid_argument(UNANSWERABLE_DETAIL),
            AppError::Refused => Status::invalid_argument(REFUSED_DETAIL),
            AppError::Timeout => Status::invalid_argument(TIMEOUT_DETAIL),
            AppError::QueryFailed => Status::invalid_argument(FAILED_DETAIL),
            AppError::ModelUnavailable(e) => {
                tracing::error!(error = ?e, "language model unavailable");
                Status::unavailable("Ask AI is temporarily unavailable.")
            }
            AppError::Unavailable(e) => unavailable(e),
            AppError::Unexpected(e) => internal(e),
        }
    }
}

#[tonic::async_trait]
impl AskAiService for AskAiGrpc {
    async fn ask(&self, req: Request<pb::AskRequest>) -> Result<Response<pb::AskResponse>, Status> {
        let caller = self.caller(&req)?;
        let answer = self.app.ask(&caller, &req.get_ref().question).await?;
        let rows_json = serde_json::to_string(&answer.rows).map_err(internal)?;
        Ok(Response::new(pb::AskResponse {
            question: answer.question,
            answer: answer.answer,
            sql: answer.sql,
            columns: answer.columns,
            rows_json,
            row_count: i64::try_from(answer.row_count).unwrap_or(i64::MAX),
            truncated: answer.truncated,
        }))
    }
}
