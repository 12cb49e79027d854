//! tonic implementation of `ap.invoice.v1.InvoiceService`: identify the caller, convert,
//! call the app layer, convert back. One exhaustive mapping from `AppError` to `Status`.

mod convert;
mod streams;

use std::pin::Pin;

use ap_kit::audit::RequestContext;
use ap_kit::outbox::SERVICE_TOKEN;
use ap_proto::invoice::v1 as pb;
use ap_proto::invoice::v1::invoice_service_server::InvoiceService;
use futures::Stream;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status, Streaming};
use uuid::Uuid;

use crate::app::{
    AppError, Caller, INTERNAL_CALLERS, Identity, InvoiceApp, optional_uuid, parse_uuid,
};
use crate::domain::csv_rows::ImportKind;
use crate::domain::sniff::SniffError;
use crate::domain::values::FieldError;

pub struct InvoiceGrpc {
    app: InvoiceApp,
}

impl InvoiceGrpc {
    pub fn new(app: InvoiceApp) -> Self {
        Self { app }
    }

    /// A staff user's access token, or another service's token on internal calls.
    fn caller<T>(&self, req: &Request<T>) -> Result<Caller, Status> {
        let ctx = RequestContext::from_metadata(req.metadata());
        if let Some(token) = req
            .metadata()
            .get(SERVICE_TOKEN)
            .and_then(|v| v.to_str().ok())
        {
            let name = self
                .app
                .service_tokens()
                .verify(token, INTERNAL_CALLERS)
                .map_err(|e| {
                    tracing::info!(reason = %e, "service token refused");
                    Status::unauthenticated("Not authenticated.")
                })?;
            return Ok(Caller {
                identity: Identity::Service(name),
                ctx,
            });
        }
        let principal = ap_kit::grpc::authenticate(self.app.verifier(), req)?;
        Ok(Caller {
            identity: Identity::User(principal),
            ctx,
        })
    }
}

impl InvoiceGrpc {
    /// A vendor's access token (portal RPCs only): the vendor is the token's, never a field.
    fn vendor_caller<T>(&self, req: &Request<T>) -> Result<Caller, Status> {
        let header = req
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let vendor = self
            .app
            .vendor_verifier()
            .verify_bearer(header)
            .map_err(|e| {
                tracing::info!(reason = %e, "portal request refused: unauthenticated");
                Status::unauthenticated("Not authenticated.")
            })?;
        Ok(Caller {
            identity: Identity::Vendor(vendor.vendor_id),
            ctx: RequestContext::from_metadata(req.metadata()),
        })
    }

    /// Uploads come from staff or, through the portal, from a vendor.
    fn uploader<T>(&self, req: &Request<T>) -> Result<Caller, Status> {
        self.caller(req)
            .or_else(|staff| self.vendor_caller(req).map_err(|_| staff))
    }
}

/// Metadata a client (the gateway) may use to shape its HTTP answer.
pub const HTTP_STATUS_HINT: &str = "x-ap-http-status";
pub const FIELD_ERRORS: &str = "x-ap-field-errors-bin";
pub const EXISTING_INVOICE: &str = "x-ap-existing-invoice-id";

fn with_hint(mut status: Status, http: &'static str) -> Status {
    status
        .metadata_mut()
        .insert(HTTP_STATUS_HINT, MetadataValue::from_static(http));
    status
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

impl From<AppError> for Status {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound(what) => {
                Status::not_found(format!("{} not found.", capitalize(what)))
            }
            AppError::Forbidden => {
                Status::permission_denied("You do not have permission to perform this action.")
            }
            AppError::Invalid(errors) => {
                let text = errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut status = Status::invalid_argument(format!("Invalid input: {text}."));
                let json = serde_json::to_vec(
                    &errors
                        .iter()
                        .map(|e| serde_json::json!({"field": e.field, "message": e.message}))
                        .collect::<Vec<_>>(),
                )
                .unwrap_or_default();
                status.metadata_mut().insert_bin(
                    FIELD_ERRORS,
                    tonic::metadata::MetadataValue::from_bytes(&json),
                );
                status
            }
            AppError::Precondition(msg) => Status::failed_precondition(msg),
            AppError::Conflict(msg) => Status::already_exists(msg),
            AppError::DuplicateDocument(id) => {
                let mut status = Status::already_exists(format!(
                    "This document was already uploaded as invoice {id}."
                ));
                if let Ok(v) = id.to_string().parse() {
                    status.metadata_mut().insert(EXISTING_INVOICE, v);
                }
                status
            }
            AppError::StaleVersion => {
                Status::aborted("The invoice was changed by someone else; reload and retry.")
            }
            AppError::InvalidTransition(t) => {
                Status::failed_precondition(format!("{}.", capitalize(&t.to_string())))
            }
            AppError::TooLarge(max) => with_hint(
                Status::invalid_argument(format!(
                    "The file is larger than the {} MiB limit.",
                    max / (1024 * 1024)
                )),
                "413",
            ),
            AppError::Unsupported(SniffError::Empty) => {
                Status::invalid_argument("The file is empty.")
            }
            AppError::Unsupported(e @ (SniffError::Unsupported | SniffError::Mismatch { .. })) => {
                with_hint(Status::invalid_argument(e.to_string()), "415")
            }
            AppError::Unsupported(e @ SniffError::XmlDtd) => {
                Status::invalid_argument(e.to_string())
            }
            AppError::Interrupted => {
                Status::invalid_argument("The upload was interrupted; nothing was stored.")
            }
            AppError::Unavailable(e) => ap_kit::grpc::unavailable(e),
            AppError::Unexpected(e) => ap_kit::grpc::internal(e),
        }
    }
}

/// A path id that is not a UUID names nothing: `NotFound`, exactly like an unknown one.
/// A decimal field; a bad value is recorded in `errors` (all are reported at once).
fn decimal_field(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> rust_decimal::Decimal {
    raw.trim().parse().unwrap_or_else(|_| {
        errors.push(FieldError::new(field, "must be a decimal number"));
        rust_decimal::Decimal::ZERO
    })
}

fn known_id(raw: &str, what: &str) -> Result<Uuid, Status> {
    parse_uuid("id", raw).map_err(|_| Status::not_found(format!("{what} not found.")))
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

fn page(p: Option<ap_proto::common::v1::PageRequest>) -> Result<(Option<Uuid>, u32), Status> {
    let p = p.unwrap_or_default();
    Ok((optional_uuid("cursor", &p.cursor)?, p.limit))
}

fn cursor(next: Option<Uuid>) -> String {
    next.map(|n| n.to_string()).unwrap_or_default()
}

#[tonic::async_trait]
impl InvoiceService for InvoiceGrpc {
    async fn create_vendor(
        &self,
        req: Request<pb::VendorInput>,
    ) -> Result<Response<pb::Vendor>, Status> {
        let caller = self.caller(&req)?;
        let view = self.app.create_vendor(&caller, req.into_inner()).await?;
        Ok(Response::new(convert::vendor(view)))
    }

    async fn get_vendor(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Vendor>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Vendor")?;
        Ok(Response::new(convert::vendor(
            self.app.get_vendor(&caller, id).await?,
        )))
    }

    async fn list_vendors(
        &self,
        req: Request<pb::ListVendorsRequest>,
    ) -> Result<Response<pb::ListVendorsResponse>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let (after, limit) = page(b.page)?;
        let q = Some(b.q.trim().to_owned()).filter(|q| !q.is_empty());
        let (items, next) = self
            .app
            .list_vendors(&caller, after, limit, q, b.is_active)
            .await?;
        Ok(Response::new(pb::ListVendorsResponse {
            items: items.into_iter().map(convert::vendor).collect(),
            next_cursor: cursor(next),
        }))
    }

    async fn update_vendor(
        &self,
        req: Request<pb::UpdateVendorRequest>,
    ) -> Result<Response<pb::Vendor>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::vendor(
            self.app.update_vendor(&caller, req.into_inner()).await?,
        )))
    }

    async fn delete_vendor(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Empty>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Vendor")?;
        self.app.delete_vendor(&caller, id).await?;
        Ok(Response::new(pb::Empty {}))
    }

    async fn set_bank_account(
        &self,
        req: Request<pb::SetBankAccountRequest>,
    ) -> Result<Response<pb::Vendor>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::vendor(
            self.app.set_bank_account(&caller, req.into_inner()).await?,
        )))
    }

    async fn verify_bank_account(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Vendor>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Vendor")?;
        Ok(Response::new(convert::vendor(
            self.app.verify_bank_account(&caller, id).await?,
        )))
    }

    async fn create_purchase_order(
        &self,
        req: Request<pb::PurchaseOrderInput>,
    ) -> Result<Response<pb::PurchaseOrder>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::purchase_order(
            self.app
                .create_purchase_order(&caller, req.into_inner())
                .await?,
        )))
    }

    async fn get_purchase_order(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::PurchaseOrder>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Purchase order")?;
        Ok(Response::new(convert::purchase_order(
            self.app.get_purchase_order(&caller, id).await?,
        )))
    }

    async fn list_purchase_orders(
        &self,
        req: Request<pb::ListRequest>,
    ) -> Result<Response<pb::ListPurchaseOrdersResponse>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let (after, limit) = page(b.page)?;
        let vendor = optional_uuid("vendor_id", &b.vendor_id)?;
        let status = Some(b.status).filter(|s| !s.is_empty());
        let (items, next) = self
            .app
            .list_purchase_orders(&caller, after, limit, vendor, status)
            .await?;
        Ok(Response::new(pb::ListPurchaseOrdersResponse {
            items: items.into_iter().map(convert::purchase_order).collect(),
            next_cursor: cursor(next),
        }))
    }

    async fn create_goods_receipt(
        &self,
        req: Request<pb::GoodsReceiptInput>,
    ) -> Result<Response<pb::GoodsReceipt>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::goods_receipt(
            self.app
                .create_goods_receipt(&caller, req.into_inner())
                .await?,
        )))
    }

    async fn get_goods_receipt(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::GoodsReceipt>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Goods receipt")?;
        Ok(Response::new(convert::goods_receipt(
            self.app.get_goods_receipt(&caller, id).await?,
        )))
    }

    async fn list_goods_receipts(
        &self,
        req: Request<pb::ListRequest>,
    ) -> Result<Response<pb::ListGoodsReceiptsResponse>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let (after, limit) = page(b.page)?;
        let (items, next) = self
            .app
            .list_goods_receipts(&caller, after, limit, None)
            .await?;
        Ok(Response::new(pb::ListGoodsReceiptsResponse {
            items: items.into_iter().map(convert::goods_receipt).collect(),
            next_cursor: cursor(next),
        }))
    }

    async fn import_csv(
        &self,
        req: Request<Streaming<pb::ImportChunk>>,
    ) -> Result<Response<pb::ImportReport>, Status> {
        let caller = self.caller(&req)?;
        let mut stream = req.into_inner();
        let kind = streams::import_kind(&mut stream).await?;
        let kind = ImportKind::parse(&kind)
            .ok_or_else(|| Status::invalid_argument("Unknown import kind."))?;
        let report = self
            .app
            .import_csv(&caller, kind, streams::import_bytes(stream))
            .await?;
        Ok(Response::new(convert::import_report(kind, report)))
    }

    async fn upload_invoice(
        &self,
        req: Request<Streaming<pb::UploadChunk>>,
    ) -> Result<Response<pb::Invoice>, Status> {
        let caller = self.uploader(&req)?;
        let mut stream = req.into_inner();
        let meta = streams::upload_meta(&mut stream).await?;
        let view = self
            .app
            .upload_invoice(&caller, meta, streams::upload_parts(stream))
            .await?;
        Ok(Response::new(convert::invoice(view)))
    }

    async fn list_invoices(
        &self,
        req: Request<pb::ListInvoicesRequest>,
    ) -> Result<Response<pb::ListInvoicesResponse>, Status> {
        let caller = self.caller(&req)?;
        let (rows, next) = self.app.list_invoices(&caller, req.get_ref()).await?;
        Ok(Response::new(pb::ListInvoicesResponse {
            items: rows
                .into_iter()
                .map(|(row, unread)| pb::Invoice {
                    unread_messages: i32::try_from(unread).unwrap_or(i32::MAX),
                    ..convert::invoice_row(row)
                })
                .collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn get_invoice(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Invoice>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        Ok(Response::new(convert::invoice(
            self.app.get_invoice(&caller, id).await?,
        )))
    }

    type GetDocumentStream = BoxStream<pb::DocumentChunk>;

    async fn get_document(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<Self::GetDocumentStream>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        let (doc, bytes) = self.app.open_document(&caller, id).await?;
        Ok(Response::new(streams::document_chunks(doc, bytes)))
    }

    async fn get_invoice_audit(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::AuditTimeline>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        let rows = self.app.invoice_audit(&caller, id).await?;
        Ok(Response::new(pb::AuditTimeline {
            items: rows
                .into_iter()
                .map(|r| convert::audit_entry(r, "invoice"))
                .collect(),
        }))
    }

    async fn update_invoice(
        &self,
        req: Request<pb::UpdateInvoiceRequest>,
    ) -> Result<Response<pb::Invoice>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::invoice(
            self.app.correct_invoice(&caller, req.into_inner()).await?,
        )))
    }

    async fn cancel_invoice(
        &self,
        req: Request<pb::CancelInvoiceRequest>,
    ) -> Result<Response<pb::Invoice>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let id = known_id(&b.id, "Invoice")?;
        Ok(Response::new(convert::invoice(
            self.app.cancel_invoice(&caller, id, &b.reason).await?,
        )))
    }

    async fn request_extraction(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Invoice>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        Ok(Response::new(convert::invoice(
            self.app.request_extraction(&caller, id).await?,
        )))
    }

    async fn match_invoice(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Invoice>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        self.app.rematch(&caller, id).await?;
        Ok(Response::new(convert::invoice(
            self.app.get_invoice(&caller, id).await?,
        )))
    }

    async fn get_match(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::MatchResult>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        let view = self
            .app
            .match_view(&caller, id)
            .await?
            .ok_or_else(|| Status::not_found("This invoice has not been matched yet."))?;
        Ok(Response::new(convert::match_result(view)))
    }

    async fn get_matching_stats(
        &self,
        req: Request<pb::Empty>,
    ) -> Result<Response<pb::MatchingStats>, Status> {
        let caller = self.caller(&req)?;
        let outcomes = self.app.matching_stats(&caller).await?;
        Ok(Response::new(pb::MatchingStats {
            outcomes: outcomes
                .into_iter()
                .map(|o| pb::OutcomeCount {
                    outcome: o.outcome,
                    touchless: o.touchless,
                    count: o.n,
                })
                .collect(),
        }))
    }

    async fn list_rule_sets(
        &self,
        req: Request<pb::Empty>,
    ) -> Result<Response<pb::ListRuleSetsResponse>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(pb::ListRuleSetsResponse {
            items: self
                .app
                .rule_sets(&caller)
                .await?
                .into_iter()
                .map(convert::rule_set_row)
                .collect(),
        }))
    }

    async fn get_rule_set(
        &self,
        req: Request<pb::RuleSetRequest>,
    ) -> Result<Response<pb::RuleSet>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::rule_set(
            self.app.rule_set(&caller, req.get_ref().version).await?,
        )))
    }

    async fn create_rule_set_draft(
        &self,
        req: Request<pb::Empty>,
    ) -> Result<Response<pb::RuleSet>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::rule_set(
            self.app.create_rule_set_draft(&caller).await?,
        )))
    }

    async fn update_rule_set_draft(
        &self,
        req: Request<pb::RuleSetInput>,
    ) -> Result<Response<pb::RuleSet>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let mut errors = Vec::new();
        let price_pct = decimal_field("price_pct", &b.price_pct, &mut errors);
        let price_abs = decimal_field("price_abs", &b.price_abs, &mut errors);
        let qty_pct = decimal_field("qty_pct", &b.qty_pct, &mut errors);
        let mut overrides = Vec::new();
        for (i, o) in b.overrides.iter().enumerate() {
            let at = |f: &str| format!("overrides[{i}].{f}");
            let p = decimal_field(&at("price_pct"), &o.price_pct, &mut errors);
            let a = decimal_field(&at("price_abs"), &o.price_abs, &mut errors);
            let q = decimal_field(&at("qty_pct"), &o.qty_pct, &mut errors);
            match o.vendor_id.parse::<Uuid>() {
                Ok(v) => overrides.push((v, p, a, q)),
                Err(_) => errors.push(FieldError::new(&at("vendor_id"), "must be a UUID")),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors).into());
        }
        let input = crate::app::matching::RuleSetInput {
            price_pct,
            price_abs,
            qty_pct,
            note: Some(b.note).filter(|n| !n.trim().is_empty()),
            overrides,
        };
        Ok(Response::new(convert::rule_set(
            self.app
                .update_rule_set_draft(&caller, b.version, input)
                .await?,
        )))
    }

    async fn publish_rule_set(
        &self,
        req: Request<pb::RuleSetRequest>,
    ) -> Result<Response<pb::RuleSet>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::rule_set(
            self.app
                .publish_rule_set(&caller, req.get_ref().version)
                .await?,
        )))
    }

    async fn discard_rule_set_draft(
        &self,
        req: Request<pb::RuleSetRequest>,
    ) -> Result<Response<pb::Empty>, Status> {
        let caller = self.caller(&req)?;
        self.app
            .discard_rule_set_draft(&caller, req.get_ref().version)
            .await?;
        Ok(Response::new(pb::Empty {}))
    }

    async fn list_exceptions(
        &self,
        req: Request<pb::ListExceptionsRequest>,
    ) -> Result<Response<pb::ListExceptionsResponse>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let p = b.page.unwrap_or_default();
        let after = match p.cursor.as_str() {
            "" => None,
            c => Some(crate::app::exceptions::decode_cursor(c)?),
        };
        let text = |v: String| Some(v).filter(|v| !v.is_empty());
        let (assigned_to, unassigned) = match b.assigned_to.as_str() {
            "" => (None, false),
            "none" => (None, true),
            raw => (Some(parse_uuid("assigned_to", raw)?), false),
        };
        let filter = crate::store::exceptions::ExceptionFilter {
            status: text(b.status),
            code: text(b.code),
            severity: text(b.severity),
            assigned_to,
            unassigned,
            invoice_id: optional_uuid("invoice_id", &b.invoice_id)?,
            after,
        };
        let (items, next) = self.app.list_exceptions(&caller, filter, p.limit).await?;
        Ok(Response::new(pb::ListExceptionsResponse {
            items: items.into_iter().map(convert::exception).collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn get_exception(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::ExceptionRef>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Exception")?;
        Ok(Response::new(convert::exception(
            self.app.get_exception(&caller, id).await?,
        )))
    }

    async fn update_exception(
        &self,
        req: Request<pb::UpdateExceptionRequest>,
    ) -> Result<Response<pb::ExceptionRef>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let id = known_id(&b.id, "Exception")?;
        let assigned_to = match b.assigned_to.as_deref() {
            None => None,
            Some("") => Some(None),
            Some(raw) => Some(Some(parse_uuid("assigned_to", raw)?)),
        };
        let patch = crate::app::exceptions::ExceptionPatch {
            status: b.status.filter(|s| !s.is_empty()),
            assigned_to,
            resolution_note: b.resolution_note,
        };
        Ok(Response::new(convert::exception(
            self.app.update_exception(&caller, id, patch).await?,
        )))
    }

    async fn list_exception_comments(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::ListExceptionCommentsResponse>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Exception")?;
        Ok(Response::new(pb::ListExceptionCommentsResponse {
            items: self
                .app
                .exception_comments(&caller, id)
                .await?
                .into_iter()
                .map(convert::comment)
                .collect(),
        }))
    }

    async fn add_exception_comment(
        &self,
        req: Request<pb::AddExceptionCommentRequest>,
    ) -> Result<Response<pb::ExceptionComment>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Exception")?;
        Ok(Response::new(convert::comment(
            self.app
                .add_exception_comment(&caller, id, &req.get_ref().body)
                .await?,
        )))
    }

    async fn list_invoice_messages(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::ListInvoiceMessagesResponse>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        let rows = self.app.invoice_messages(&caller, id).await?;
        Ok(Response::new(pb::ListInvoiceMessagesResponse {
            items: rows.into_iter().map(convert::message).collect(),
        }))
    }

    async fn post_invoice_message(
        &self,
        req: Request<pb::PostInvoiceMessageRequest>,
    ) -> Result<Response<pb::InvoiceMessage>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let id = known_id(&b.invoice_id, "Invoice")?;
        let row = self
            .app
            .post_invoice_message(&caller, id, &b.body, b.internal)
            .await?;
        Ok(Response::new(convert::message(row)))
    }

    async fn portal_list_invoices(
        &self,
        req: Request<pb::PortalListInvoicesRequest>,
    ) -> Result<Response<pb::PortalListInvoicesResponse>, Status> {
        let caller = self.vendor_caller(&req)?;
        let page = req.into_inner().page.unwrap_or_default();
        let (items, next) = self
            .app
            .portal_invoices(&caller, &page.cursor, page.limit)
            .await?;
        Ok(Response::new(pb::PortalListInvoicesResponse {
            items: items.into_iter().map(convert::portal_invoice).collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn portal_get_invoice(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::PortalInvoice>, Status> {
        let caller = self.vendor_caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        Ok(Response::new(convert::portal_invoice(
            self.app.portal_invoice(&caller, id).await?,
        )))
    }

    async fn portal_dispute_invoice(
        &self,
        req: Request<pb::PortalDisputeRequest>,
    ) -> Result<Response<pb::PortalDispute>, Status> {
        let caller = self.vendor_caller(&req)?;
        let b = req.into_inner();
        let id = known_id(&b.invoice_id, "Invoice")?;
        let d = self
            .app
            .portal_dispute(&caller, id, &b.reason, &b.description)
            .await?;
        Ok(Response::new(convert::dispute(d)))
    }

    async fn portal_list_messages(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::ListInvoiceMessagesResponse>, Status> {
        let caller = self.vendor_caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        let rows = self.app.portal_messages(&caller, id).await?;
        Ok(Response::new(pb::ListInvoiceMessagesResponse {
            items: rows.into_iter().map(convert::vendor_message).collect(),
        }))
    }

    async fn portal_post_message(
        &self,
        req: Request<pb::PortalPostMessageRequest>,
    ) -> Result<Response<pb::InvoiceMessage>, Status> {
        let caller = self.vendor_caller(&req)?;
        let b = req.into_inner();
        let id = known_id(&b.invoice_id, "Invoice")?;
        let row = self.app.portal_post_message(&caller, id, &b.body).await?;
        Ok(Response::new(convert::vendor_message(row)))
    }

    async fn get_invoice_summary(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::InvoiceSummary>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        let (row, facts) = self.app.summary_for_approval(&caller, id).await?;
        let mut summary = convert::summary(row);
        summary.barred_approvers = facts.barred.iter().map(Uuid::to_string).collect();
        summary.open_blocking_exceptions =
            i32::try_from(facts.open_blocking_exceptions).unwrap_or(i32::MAX);
        Ok(Response::new(summary))
    }

    async fn transition_status(
        &self,
        req: Request<pb::TransitionStatusRequest>,
    ) -> Result<Response<pb::InvoiceSummary>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::summary(
            self.app.transition_status(&caller, req.get_ref()).await?,
        )))
    }

    async fn attach_payment(
        &self,
        req: Request<pb::AttachPaymentRequest>,
    ) -> Result<Response<pb::InvoiceSummary>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::summary(
            self.app.attach_payment(&caller, req.get_ref()).await?,
        )))
    }

    async fn list_payable_invoices(
        &self,
        req: Request<pb::ListPayableInvoicesRequest>,
    ) -> Result<Response<pb::ListPayableInvoicesResponse>, Status> {
        let caller = self.caller(&req)?;
        let (rows, next) = self.app.list_payables(&caller, req.get_ref()).await?;
        Ok(Response::new(pb::ListPayableInvoicesResponse {
            items: rows
                .into_iter()
                .map(crate::app::payables::payable)
                .collect(),
            next_cursor: cursor(next),
        }))
    }

    async fn get_payable_invoice(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::PayableInvoice>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        Ok(Response::new(crate::app::payables::payable(
            self.app.get_payable(&caller, id).await?,
        )))
    }

    async fn transition_invoices(
        &self,
        req: Request<pb::TransitionInvoicesRequest>,
    ) -> Result<Response<pb::TransitionInvoicesResponse>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(pb::TransitionInvoicesResponse {
            results: self.app.transition_invoices(&caller, req.get_ref()).await?,
        }))
    }

    async fn pay_invoices(
        &self,
        req: Request<pb::PayInvoicesRequest>,
    ) -> Result<Response<pb::PayInvoicesResponse>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(pb::PayInvoicesResponse {
            results: self.app.pay_invoices(&caller, req.get_ref()).await?,
        }))
    }

    async fn get_payee_bank_details(
        &self,
        req: Request<pb::PayeeBankDetailsRequest>,
    ) -> Result<Response<pb::PayeeBankDetailsResponse>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(pb::PayeeBankDetailsResponse {
            items: self.app.payee_bank_details(&caller, req.get_ref()).await?,
        }))
    }

    async fn claim_invoices_for_payment(
        &self,
        req: Request<pb::ClaimInvoicesRequest>,
    ) -> Result<Response<pb::ClaimInvoicesResponse>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(pb::ClaimInvoicesResponse {
            outcomes: self.app.claim_for_payment(&caller, req.get_ref()).await?,
        }))
    }

    async fn release_payment_claims(
        &self,
        req: Request<pb::ReleaseClaimsRequest>,
    ) -> Result<Response<pb::ReleaseClaimsResponse>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(pb::ReleaseClaimsResponse {
            released: self.app.release_claims(&caller, req.get_ref()).await?,
        }))
    }
}

/// Receives the approval service's outbox events (service token "approval" only).
pub struct InvoiceSink {
    app: InvoiceApp,
}

impl InvoiceSink {
    pub fn new(app: InvoiceApp) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl ap_proto::common::v1::event_sink_server::EventSink for InvoiceSink {
    async fn deliver(
        &self,
        req: Request<ap_proto::common::v1::Event>,
    ) -> Result<Response<ap_proto::common::v1::EventAck>, Status> {
        let name = ap_kit::outbox::verify_sender(
            self.app.service_tokens(),
            req.metadata(),
            &["approval"],
        )?;
        let caller = Caller {
            identity: Identity::Service(name),
            ctx: RequestContext::from_metadata(req.metadata()),
        };
        let fresh = self
            .app
            .handle_approval_event(&caller, req.get_ref())
            .await?;
        Ok(Response::new(ap_proto::common::v1::EventAck {
            duplicate: !fresh,
        }))
    }
}
