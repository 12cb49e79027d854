//! The auth service's user directory as the exception router uses it.

use ap_kit::directory::Directory as Users;
use ap_kit::token::ServiceTokens;
use tonic::transport::Channel;

use super::AppError;
use super::exceptions::Assignee;

#[derive(Clone)]
pub struct Directory(Users);

impl Directory {
    pub fn new(channel: Channel, tokens: ServiceTokens) -> Self {
        Self(Users::new(channel, tokens, "invoice"))
    }

    pub async fn active_users(&self, role: &str) -> Result<Vec<Assignee>, AppError> {
        Ok(self
            .0
            .active_users(role)
            .await?
            .into_iter()
            .map(|u| Assignee {
                id: u.id,
                email: u.email,
            })
            .collect())
    }
}
