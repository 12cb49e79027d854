//! The auth service as the invoice service sees it: who the active users of a role are, for
//! routing exceptions. Called with this service's token; never inside a database transaction.

use ap_kit::outbox::SERVICE_TOKEN;
use ap_kit::token::ServiceTokens;
use ap_proto::auth::v1 as pb;
use ap_proto::auth::v1::auth_service_client::AuthServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::AppError;
use super::exceptions::Assignee;

type Client = AuthServiceClient<
    InterceptedService<
        Channel,
        fn(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status>,
    >,
>;

#[derive(Clone)]
pub struct Directory {
    client: Client,
    tokens: ServiceTokens,
}

impl Directory {
    pub fn new(channel: Channel, tokens: ServiceTokens) -> Self {
        Self {
            client: AuthServiceClient::with_interceptor(
                channel,
                ap_kit::request_id::propagate as fn(_) -> _,
            ),
            tokens,
        }
    }

    pub async fn active_users(&self, role: &str) -> Result<Vec<Assignee>, AppError> {
        let mut req = tonic::Request::new(pb::ListActiveUsersRequest {
            role: role.to_owned(),
        });
        let token = self.tokens.issue("invoice")?;
        req.metadata_mut().insert(
            SERVICE_TOKEN,
            token
                .parse()
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("service token: {e}")))?,
        );
        let users = self
            .client
            .clone()
            .list_active_users(req)
            .await
            .map_err(|s| AppError::Unexpected(anyhow::anyhow!("auth service: {s}")))?
            .into_inner()
            .items;
        Ok(users
            .into_iter()
            .filter_map(|u| {
                Some(Assignee {
                    id: u.id.parse().ok()?,
                    email: u.email,
                })
            })
            .collect())
    }
}
