//! The invoice service as the approval service reads it: the current status and amount of an
//! invoice, who may not approve it and whether a blocking exception is open, checked before
//! any decision (an email link is bound to the amount it showed).

use ap_kit::outbox::SERVICE_TOKEN;
use ap_kit::token::ServiceTokens;
use ap_proto::invoice::v1 as pb;
use ap_proto::invoice::v1::invoice_service_client::InvoiceServiceClient;
use rust_decimal::Decimal;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use uuid::Uuid;

use super::{AppError, SERVICE};

type Intercepted = InterceptedService<
    Channel,
    fn(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status>,
>;

#[derive(Clone)]
pub struct InvoiceClient {
    client: InvoiceServiceClient<Intercepted>,
    tokens: ServiceTokens,
}

/// What a decision needs to know about the invoice now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceNow {
    pub status: String,
    /// The amount that will be paid (the invoice's amount due, else its total).
    pub payable_amount: Option<Decimal>,
    pub currency: String,
    /// Separation of duties: the uploader and every person who ever corrected the invoice.
    pub barred: Vec<Uuid>,
    /// Open high or critical exceptions and active disputes; approval is impossible above 0.
    pub open_blocking_exceptions: i32,
}

impl InvoiceClient {
    pub fn new(channel: Channel, tokens: ServiceTokens) -> Self {
        Self {
            client: InvoiceServiceClient::with_interceptor(
                channel,
                ap_kit::request_id::propagate as fn(_) -> _,
            ),
            tokens,
        }
    }

    /// `None` when the invoice does not exist (any more).
    pub async fn current(&self, id: Uuid) -> Result<Option<InvoiceNow>, AppError> {
        let mut req = tonic::Request::new(pb::IdRequest { id: id.to_string() });
        let token = self.tokens.issue(SERVICE)?;
        req.metadata_mut().insert(
            SERVICE_TOKEN,
            token
                .parse()
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("service token: {e}")))?,
        );
        match self.client.clone().get_invoice_summary(req).await {
            Ok(r) => {
                let s = r.into_inner();
                Ok(Some(InvoiceNow {
                    status: s.status,
                    payable_amount: s.payable_amount.parse().ok(),
                    currency: s.currency,
                    barred: s
                        .barred_approvers
                        .iter()
                        .filter_map(|u| u.parse().ok())
                        .collect(),
                    open_blocking_exceptions: s.open_blocking_exceptions,
                }))
            }
            Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
            Err(s) => Err(AppError::Unavailable(anyhow::anyhow!(
                "invoice service: {s}"
            ))),
        }
    }
}
