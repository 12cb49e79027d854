//! tonic implementation of `ap.payment.v1.PaymentService`: authenticate, convert, call the
//! app layer (through the idempotency wrapper for mutations), convert back. One exhaustive
//! mapping from `AppError` to `Status`.

mod convert;

use ap_kit::audit::RequestContext;
use ap_kit::grpc::{authenticate, internal, unavailable};
use ap_proto::payment::v1 as pb;
use ap_proto::payment::v1::payment_service_server::PaymentService;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::app::{AppError, Caller, PaymentApp};

/// Metadata carrying the client's `Idempotency-Key` (the gateway forwards the header).
pub const IDEMPOTENCY_KEY: &str = ap_kit::idempotency::METADATA_KEY;
/// Per-field validation errors, JSON (read by the gateway).
const FIELD_ERRORS: &str = "x-ap-field-errors-bin";

pub use convert::money;

pub struct PaymentGrpc {
    app: PaymentApp,
}

impl PaymentGrpc {
    pub fn new(app: PaymentApp) -> Self {
        Self { app }
    }

    fn caller<T>(&self, req: &Request<T>) -> Result<Caller, Status> {
        Ok(Caller {
            principal: authenticate(self.app.verifier(), req)?,
            ctx: RequestContext::from_metadata(req.metadata()),
            idempotency_key: req
                .metadata()
                .get(IDEMPOTENCY_KEY)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_owned()),
        })
    }
}

impl From<AppError> for Status {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound(what) => {
                let mut c = what.chars();
                let what = c
                    .next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default();
                Status::not_found(format!("{what} not found."))
            }
            AppError::Forbidden => {
                Status::permission_denied("You do not have permission to perform this action.")
            }
            AppError::ForbiddenBecause(msg) => Status::permission_denied(msg),
            AppError::Invalid { field, message } => {
                let mut status =
                    Status::invalid_argument(format!("Invalid input: {field} {message}."));
                let json =
                    serde_json::to_vec(&[serde_json::json!({"field": field, "message": message})])
                        .unwrap_or_default();
                status
                    .metadata_mut()
                    .insert_bin(FIELD_ERRORS, MetadataValue::from_bytes(&json));
                status
            }
            AppError::Precondition(msg) => Status::failed_precondition(msg),
            AppError::Conflict(msg) => Status::already_exists(msg),
            AppError::Unavailable(e) => unavailable(e),
            AppError::Unexpected(e) => internal(e),
        }
    }
}

/// A path id that is not a UUID names nothing.
fn known_id(raw: &str, what: &str) -> Result<Uuid, Status> {
    raw.parse()
        .map_err(|_| Status::not_found(format!("{what} not found.")))
}

#[tonic::async_trait]
impl PaymentService for PaymentGrpc {
    async fn record_payment(
        &self,
        req: Request<pb::RecordPaymentRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        let caller = self.caller(&req)?;
        let body = req.into_inner();
        let app = &self.app;
        let payment = app
            .idempotent(&caller, "record_payment", &body, || async {
                Ok(convert::payment(app.record_payment(&caller, &body).await?))
            })
            .await?;
        Ok(Response::new(payment))
    }

    async fn list_payments(
        &self,
        req: Request<pb::ListPaymentsRequest>,
    ) -> Result<Response<pb::ListPaymentsResponse>, Status> {
        let caller = self.caller(&req)?;
        let (rows, next) = self.app.list_payments(&caller, req.get_ref()).await?;
        Ok(Response::new(pb::ListPaymentsResponse {
            items: rows.into_iter().map(convert::payment).collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn get_payment(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Payment")?;
        Ok(Response::new(convert::payment(
            self.app.get_payment(&caller, id).await?,
        )))
    }

    async fn create_run(
        &self,
        req: Request<pb::CreateRunRequest>,
    ) -> Result<Response<pb::PaymentRun>, Status> {
        let caller = self.caller(&req)?;
        let body = req.into_inner();
        let app = &self.app;
        let run = app
            .idempotent(&caller, "create_run", &body, || async {
                Ok(convert::run(app.create_run(&caller, &body).await?))
            })
            .await?;
        Ok(Response::new(run))
    }

    async fn list_runs(
        &self,
        req: Request<pb::ListRunsRequest>,
    ) -> Result<Response<pb::ListRunsResponse>, Status> {
        let caller = self.caller(&req)?;
        let (runs, next) = self.app.list_runs(&caller, req.get_ref()).await?;
        Ok(Response::new(pb::ListRunsResponse {
            items: runs.into_iter().map(convert::run_summary).collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn get_run(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::PaymentRun>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Payment run")?;
        Ok(Response::new(convert::run(
            self.app.get_run(&caller, id).await?,
        )))
    }

    async fn approve_run(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::PaymentRun>, Status> {
        let caller = self.caller(&req)?;
        let body = req.into_inner();
        let id = known_id(&body.id, "Payment run")?;
        let app = &self.app;
        let run = app
            .idempotent(&caller, "approve_run", &body, || async {
                Ok(convert::run(app.approve_run(&caller, id).await?))
            })
            .await?;
        Ok(Response::new(run))
    }

    async fn execute_run(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::PaymentRun>, Status> {
        let caller = self.caller(&req)?;
        let body = req.into_inner();
        let id = known_id(&body.id, "Payment run")?;
        let app = &self.app;
        let run = app
            .idempotent(&caller, "execute_run", &body, || async {
                Ok(convert::run(app.execute_run(&caller, id).await?))
            })
            .await?;
        Ok(Response::new(run))
    }

    async fn cancel_run(
        &self,
        req: Request<pb::CancelRunRequest>,
    ) -> Result<Response<pb::PaymentRun>, Status> {
        let caller = self.caller(&req)?;
        let body = req.into_inner();
        let id = known_id(&body.id, "Payment run")?;
        let app = &self.app;
        let run = app
            .idempotent(&caller, "cancel_run", &body, || async {
                Ok(convert::run(
                    app.cancel_run(&caller, id, &body.reason).await?,
                ))
            })
            .await?;
        Ok(Response::new(run))
    }

    async fn get_run_file(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::BankFile>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Payment run")?;
        let f = self.app.run_file(&caller, id).await?;
        Ok(Response::new(pb::BankFile {
            filename: f.filename,
            content_type: f.content_type,
            content: f.content,
            sha256: f.sha256,
            format: f.format,
        }))
    }

    async fn get_invoice_payment_audit(
        &self,
        req: Request<pb::AuditPageRequest>,
    ) -> Result<Response<pb::AuditTimeline>, Status> {
        let caller = self.caller(&req)?;
        let r = req.get_ref();
        let id = known_id(&r.id, "Invoice")?;
        let (rows, next) = self
            .app
            .invoice_audit(&caller, id, &r.cursor, r.limit)
            .await?;
        Ok(Response::new(pb::AuditTimeline {
            items: rows.into_iter().map(convert::audit_entry).collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }
}
