//! tonic implementation of `ap.approval.v1.ApprovalService` and of this service's
//! `EventSink`: authenticate, convert, call the app layer, convert back. One exhaustive
//! mapping from `AppError` to `Status`.

mod convert;

use ap_kit::audit::RequestContext;
use ap_kit::grpc::{authenticate, internal, unavailable};
use ap_kit::token::ServiceTokens;
use ap_proto::approval::v1 as pb;
use ap_proto::approval::v1::approval_service_server::ApprovalService;
use ap_proto::common::v1::event_sink_server::EventSink;
use ap_proto::common::v1::{Event, EventAck};
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::app::{AppError, ApprovalApp, Caller};
use crate::domain::token::Action;

const FIELD_ERRORS: &str = "x-ap-field-errors-bin";

pub struct ApprovalGrpc {
    app: ApprovalApp,
}

impl ApprovalGrpc {
    pub fn new(app: ApprovalApp) -> Self {
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
            AppError::Refused { message, reason } => {
                tracing::info!(reason, "approval request refused");
                Status::failed_precondition(message)
            }
            AppError::Conflict(msg) => Status::aborted(msg),
            AppError::Unavailable(e) => unavailable(e),
            AppError::Unexpected(e) => internal(e),
        }
    }
}

/// A path id that is not a UUID names nothing.
fn known_id(raw: &str, what: &str) -> Result<Uuid, Status> {
    raw.trim()
        .parse()
        .map_err(|_| Status::not_found(format!("{what} not found.")))
}

#[tonic::async_trait]
impl ApprovalService for ApprovalGrpc {
    async fn list_tasks(
        &self,
        req: Request<pb::ListTasksRequest>,
    ) -> Result<Response<pb::ListTasksResponse>, Status> {
        let caller = self.caller(&req)?;
        let r = req.get_ref();
        let (items, next) = self
            .app
            .list_tasks(&caller, r.status.trim(), r.limit, &r.cursor)
            .await?;
        Ok(Response::new(pb::ListTasksResponse {
            items: items.into_iter().map(convert::task).collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn get_task(&self, req: Request<pb::IdRequest>) -> Result<Response<pb::Task>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Approval task")?;
        Ok(Response::new(convert::task(
            self.app.get_task(&caller, id).await?,
        )))
    }

    async fn approve(
        &self,
        req: Request<pb::DecisionRequest>,
    ) -> Result<Response<pb::Task>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().task_id, "Approval task")?;
        let view = self
            .app
            .decide_in_app(&caller, id, Action::Approve, &req.get_ref().text)
            .await?;
        Ok(Response::new(convert::task(view)))
    }

    async fn reject(
        &self,
        req: Request<pb::DecisionRequest>,
    ) -> Result<Response<pb::Task>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().task_id, "Approval task")?;
        let view = self
            .app
            .decide_in_app(&caller, id, Action::Reject, &req.get_ref().text)
            .await?;
        Ok(Response::new(convert::task(view)))
    }

    async fn reassign(
        &self,
        req: Request<pb::ReassignRequest>,
    ) -> Result<Response<pb::Task>, Status> {
        let caller = self.caller(&req)?;
        let r = req.get_ref();
        let id = known_id(&r.task_id, "Approval task")?;
        let to = crate::app::parse_uuid("assignee_id", &r.assignee_id)?;
        Ok(Response::new(convert::task(
            self.app.reassign(&caller, id, to, &r.reason).await?,
        )))
    }

    async fn preview_email_decision(
        &self,
        req: Request<pb::EmailTokenRequest>,
    ) -> Result<Response<pb::EmailPreview>, Status> {
        Ok(Response::new(convert::preview(
            self.app.preview_email(&req.get_ref().token).await?,
        )))
    }

    async fn decide_by_email(
        &self,
        req: Request<pb::EmailDecisionRequest>,
    ) -> Result<Response<pb::EmailOutcome>, Status> {
        let ctx = RequestContext::from_metadata(req.metadata());
        let r = req.get_ref();
        let o = self.app.decide_by_email(&r.token, &r.text, &ctx).await?;
        Ok(Response::new(pb::EmailOutcome {
            decided: o.decided,
            problem: o.problem.unwrap_or_default().to_owned(),
            action: o.action.map(|a| a.as_str().to_owned()).unwrap_or_default(),
            invoice_number: o.invoice_number.unwrap_or_default(),
        }))
    }

    async fn list_matrix(
        &self,
        req: Request<pb::Empty>,
    ) -> Result<Response<pb::ListMatrixResponse>, Status> {
        let caller = self.caller(&req)?;
        let items = self.app.list_matrix(&caller).await?;
        Ok(Response::new(pb::ListMatrixResponse {
            items: items.into_iter().map(convert::rule).collect(),
        }))
    }

    async fn get_matrix_rule(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::MatrixRule>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Matrix rule")?;
        Ok(Response::new(convert::rule(
            self.app.get_matrix_rule(&caller, id).await?,
        )))
    }

    async fn create_matrix_rule(
        &self,
        req: Request<pb::MatrixRuleInput>,
    ) -> Result<Response<pb::MatrixRule>, Status> {
        let caller = self.caller(&req)?;
        let key = ap_kit::idempotency::key_from_metadata(req.metadata())?;
        let hash = ap_kit::idempotency::message_hash("CreateMatrixRule", req.get_ref());
        let keyed = key.as_deref().map(|key| ap_kit::idempotency::Keyed {
            key,
            scope: caller.principal.user_id.as_uuid(),
            operation: "CreateMatrixRule",
            request_hash: &hash,
        });
        let rule = ap_kit::idempotency::run(self.app.pool(), keyed, || async {
            Ok::<_, Status>(convert::rule(
                self.app
                    .save_matrix_rule(&caller, None, req.get_ref())
                    .await?,
            ))
        })
        .await?;
        Ok(Response::new(rule))
    }

    async fn update_matrix_rule(
        &self,
        req: Request<pb::MatrixRuleInput>,
    ) -> Result<Response<pb::MatrixRule>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Matrix rule")?;
        Ok(Response::new(convert::rule(
            self.app
                .save_matrix_rule(&caller, Some(id), req.get_ref())
                .await?,
        )))
    }

    async fn delete_matrix_rule(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Empty>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Matrix rule")?;
        self.app.delete_matrix_rule(&caller, id).await?;
        Ok(Response::new(pb::Empty {}))
    }

    async fn set_delegation(
        &self,
        req: Request<pb::SetDelegationRequest>,
    ) -> Result<Response<pb::Delegation>, Status> {
        let caller = self.caller(&req)?;
        let r = req.get_ref();
        let user = known_id(&r.user_id, "User")?;
        let delegate = crate::app::parse_uuid("delegate_id", &r.delegate_id)?;
        let row = self
            .app
            .set_delegation(&caller, user, delegate, &r.starts_at, &r.ends_at, &r.reason)
            .await?;
        Ok(Response::new(convert::delegation(row)))
    }

    async fn end_delegation(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Delegation>, Status> {
        let caller = self.caller(&req)?;
        let user = known_id(&req.get_ref().id, "User")?;
        Ok(Response::new(convert::delegation(
            self.app.end_delegation(&caller, user).await?,
        )))
    }

    async fn get_delegation(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Delegation>, Status> {
        let caller = self.caller(&req)?;
        let user = known_id(&req.get_ref().id, "User")?;
        Ok(Response::new(convert::delegation(
            self.app.get_delegation(&caller, user).await?,
        )))
    }

    async fn list_notifications(
        &self,
        req: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        let caller = self.caller(&req)?;
        let r = req.get_ref();
        let (rows, unread, next) = self
            .app
            .list_notifications(&caller, r.unread_only, r.limit, &r.cursor)
            .await?;
        Ok(Response::new(pb::ListNotificationsResponse {
            items: rows.into_iter().map(convert::notification).collect(),
            unread,
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn mark_notification_read(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Notification>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Notification")?;
        Ok(Response::new(convert::notification(
            self.app.mark_notification_read(&caller, id).await?,
        )))
    }

    async fn list_held_mail(
        &self,
        req: Request<pb::ListHeldMailRequest>,
    ) -> Result<Response<pb::ListHeldMailResponse>, Status> {
        let caller = self.caller(&req)?;
        let r = req.get_ref();
        let (rows, next) = self.app.held_mail(&caller, r.limit, &r.cursor).await?;
        Ok(Response::new(pb::ListHeldMailResponse {
            items: rows.into_iter().map(convert::mail).collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn list_invoice_tasks(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::ListTasksResponse>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        let items = self.app.tasks_of_invoice(&caller, id).await?;
        Ok(Response::new(pb::ListTasksResponse {
            items: items.into_iter().map(convert::task).collect(),
            // All of one invoice's tasks (a handful): one page.
            next_cursor: String::new(),
        }))
    }

    async fn get_invoice_approval_audit(
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

/// Receives the invoice service's outbox events (service token "invoice" only).
pub struct ApprovalSink {
    app: ApprovalApp,
    tokens: ServiceTokens,
}

impl ApprovalSink {
    pub fn new(app: ApprovalApp, tokens: ServiceTokens) -> Self {
        Self { app, tokens }
    }
}

#[tonic::async_trait]
impl EventSink for ApprovalSink {
    async fn deliver(&self, req: Request<Event>) -> Result<Response<EventAck>, Status> {
        ap_kit::outbox::verify_sender(&self.tokens, req.metadata(), &["invoice"])?;
        let ctx = RequestContext::from_metadata(req.metadata());
        let fresh = self.app.handle_event(req.get_ref(), &ctx).await?;
        Ok(Response::new(EventAck { duplicate: !fresh }))
    }
}
