//! The auth service as other services see it: who the active users of a role are (routing
//! exceptions, assigning approval tasks). Called with the calling service's token; never
//! inside a database transaction.

use ap_proto::auth::v1 as pb;
use ap_proto::auth::v1::auth_service_client::AuthServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::outbox::SERVICE_TOKEN;
use crate::token::ServiceTokens;

type Client = AuthServiceClient<
    InterceptedService<
        Channel,
        fn(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status>,
    >,
>;

/// An active user as the auth service lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryUser {
    pub id: Uuid,
    pub email: String,
    pub role: String,
}

#[derive(Clone)]
pub struct Directory {
    client: Client,
    tokens: ServiceTokens,
    service: &'static str,
}

impl Directory {
    /// `service` is the name this process's service token carries.
    pub fn new(channel: Channel, tokens: ServiceTokens, service: &'static str) -> Self {
        Self {
            client: AuthServiceClient::with_interceptor(
                channel,
                crate::request_id::propagate as fn(_) -> _,
            ),
            tokens,
            service,
        }
    }

    /// Active users of `role` (every active user when `role` is empty).
    pub async fn active_users(&self, role: &str) -> anyhow::Result<Vec<DirectoryUser>> {
        let mut req = tonic::Request::new(pb::ListActiveUsersRequest {
            role: role.to_owned(),
        });
        let token = self.tokens.issue(self.service)?;
        req.metadata_mut().insert(SERVICE_TOKEN, token.parse()?);
        let users = self
            .client
            .clone()
            .list_active_users(req)
            .await
            .map_err(|s| anyhow::anyhow!("auth service: {s}"))?
            .into_inner()
            .items;
        Ok(users
            .into_iter()
            .filter_map(|u| {
                Some(DirectoryUser {
                    id: u.id.parse().ok()?,
                    email: u.email,
                    role: u.role,
                })
            })
            .collect())
    }
}
