//! tonic implementation of `ap.auth.v1.AuthService`: authenticate, convert, call the app
//! layer, convert back. One exhaustive mapping from `AppError` to `Status`.

use ap_kit::audit::RequestContext;
use ap_kit::grpc::{authenticate, internal, unavailable};
use ap_proto::auth::v1 as pb;
use ap_proto::auth::v1::auth_service_server::AuthService;
use secrecy::{ExposeSecret, SecretString};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::app::{AppError, AuthApp, Caller, NewUser, Tokens, UserPatch, UserView};

/// Services allowed to list active users with a service token.
const INTERNAL_CALLERS: &[&str] = &["invoice", "approval"];
/// Services that verify access tokens themselves and keep a revocation cache.
const SESSION_CHECKERS: &[&str] = &["gateway", "invoice", "payment", "approval", "askai"];

pub struct AuthGrpc {
    app: AuthApp,
}

impl AuthGrpc {
    pub fn new(app: AuthApp) -> Self {
        Self { app }
    }

    /// A staff user whose token verifies and whose session is still live in our database.
    async fn caller<T>(&self, req: &Request<T>) -> Result<Caller, Status> {
        let principal = authenticate(self.app.verifier(), req)?;
        self.app.require_live_session(&principal).await?;
        Ok(Caller {
            principal,
            ctx: RequestContext::from_metadata(req.metadata()),
        })
    }

    /// Another service, by its own service token, when it is one of `allowed`.
    fn service<T>(&self, req: &Request<T>, allowed: &[&str]) -> Result<String, Status> {
        let token = req
            .metadata()
            .get(ap_kit::outbox::SERVICE_TOKEN)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Status::unauthenticated("Not authenticated."))?;
        self.app
            .service_tokens()
            .verify(token, allowed)
            .map_err(|e| {
                tracing::info!(reason = %e, "service token refused");
                Status::unauthenticated("Not authenticated.")
            })
    }
}

impl From<AppError> for Status {
    fn from(e: AppError) -> Self {
        match e {
            AppError::InvalidCredentials => Status::unauthenticated("Incorrect email or password."),
            AppError::Locked => {
                Status::resource_exhausted("Too many failed login attempts. Try again later.")
            }
            AppError::InvalidRefreshToken => {
                Status::unauthenticated("Invalid or expired refresh token.")
            }
            AppError::Unauthenticated => Status::unauthenticated("Not authenticated."),
            AppError::Forbidden => {
                Status::permission_denied("You do not have permission to perform this action.")
            }
            AppError::NotFound => Status::not_found("User not found."),
            AppError::DuplicateEmail => {
                Status::already_exists("A user with this email already exists.")
            }
            AppError::Invalid(msg) => Status::invalid_argument(msg),
            AppError::Policy(p) => Status::invalid_argument(p.to_string()),
            AppError::SelfModification => Status::failed_precondition(
                "You cannot deactivate, delete or change the role of your own account.",
            ),
            AppError::Unavailable(e) => unavailable(e),
            AppError::Unexpected(e) => internal(e),
        }
    }
}

fn tokens(t: Tokens) -> pb::TokenPair {
    pb::TokenPair {
        access_token: t.access_token.expose_secret().to_owned(),
        refresh_token: t.refresh_token.expose_secret().to_owned(),
        token_type: "bearer".to_owned(),
        expires_in: t.expires_in,
    }
}

fn user(u: UserView) -> pb::User {
    pb::User {
        id: u.id.to_string(),
        email: u.email,
        name: u.name,
        role: u.role,
        is_active: u.is_active,
        created_at: ap_types::time::instant(u.created_at),
        updated_at: ap_types::time::instant(u.updated_at),
    }
}

fn parse_id(raw: &str) -> Result<Uuid, Status> {
    raw.parse()
        .map_err(|_| Status::invalid_argument("Invalid user id."))
}

#[tonic::async_trait]
impl AuthService for AuthGrpc {
    async fn login(
        &self,
        req: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::TokenPair>, Status> {
        let ctx = RequestContext::from_metadata(req.metadata());
        let body = req.into_inner();
        let t = self
            .app
            .login(&body.email, SecretString::from(body.password), &ctx)
            .await?;
        Ok(Response::new(tokens(t)))
    }

    async fn refresh(
        &self,
        req: Request<pb::RefreshRequest>,
    ) -> Result<Response<pb::TokenPair>, Status> {
        let ctx = RequestContext::from_metadata(req.metadata());
        let token = req.into_inner().refresh_token;
        if token.is_empty() {
            return Err(Status::invalid_argument("refresh_token is required."));
        }
        let t = self.app.refresh(SecretString::from(token), &ctx).await?;
        Ok(Response::new(tokens(t)))
    }

    async fn logout(
        &self,
        req: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        let caller = self.caller(&req).await?;
        let token = Some(req.into_inner().refresh_token)
            .filter(|t| !t.is_empty())
            .map(SecretString::from);
        self.app.logout(&caller, token).await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn me(&self, req: Request<pb::MeRequest>) -> Result<Response<pb::User>, Status> {
        let caller = self.caller(&req).await?;
        Ok(Response::new(user(self.app.me(&caller).await?)))
    }

    async fn create_user(
        &self,
        req: Request<pb::CreateUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let caller = self.caller(&req).await?;
        let key = ap_kit::idempotency::key_from_metadata(req.metadata())?;
        let b = req.into_inner();
        // The password stays out of the stored hash (a fast hash of it would undo argon2);
        // the email is unique, so the rest tells requests apart.
        let hash = ap_kit::idempotency::message_hash(
            "CreateUser",
            &pb::CreateUserRequest {
                password: String::new(),
                ..b.clone()
            },
        );
        let keyed = key.as_deref().map(|key| ap_kit::idempotency::Keyed {
            key,
            scope: caller.principal.user_id.as_uuid(),
            operation: "CreateUser",
            request_hash: &hash,
        });
        let created = ap_kit::idempotency::run(self.app.pool(), keyed, || async {
            let created = self
                .app
                .create_user(
                    &caller,
                    NewUser {
                        email: b.email,
                        name: b.name,
                        password: SecretString::from(b.password),
                        role: b.role,
                    },
                )
                .await?;
            Ok::<_, Status>(user(created))
        })
        .await?;
        Ok(Response::new(created))
    }

    async fn list_users(
        &self,
        req: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        let caller = self.caller(&req).await?;
        let b = req.into_inner();
        let page = b.page.unwrap_or_default();
        let after = ap_types::cursor::decode_time_id(&page.cursor, crate::app::NEWEST_FIRST)
            .map_err(|e| ap_kit::grpc::bad_cursor(&e))?;
        let limit = if page.limit == 0 { 50 } else { page.limit };
        let role = Some(b.role).filter(|r| !r.is_empty());
        let (items, next) = self
            .app
            .list_users(&caller, after, limit, role, b.is_active)
            .await?;
        Ok(Response::new(pb::ListUsersResponse {
            items: items.into_iter().map(user).collect(),
            next_cursor: next
                .map(|(t, id)| ap_types::cursor::encode_time_id(crate::app::NEWEST_FIRST, t, id))
                .unwrap_or_default(),
        }))
    }

    async fn list_active_users(
        &self,
        req: Request<pb::ListActiveUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        self.service(&req, INTERNAL_CALLERS)?;
        let items = self.app.active_users(&req.into_inner().role).await?;
        Ok(Response::new(pb::ListUsersResponse {
            items: items.into_iter().map(user).collect(),
            next_cursor: String::new(),
        }))
    }

    async fn lookup_users(
        &self,
        req: Request<pb::LookupUsersRequest>,
    ) -> Result<Response<pb::LookupUsersResponse>, Status> {
        let caller = self.caller(&req).await?;
        let b = req.into_inner();
        // Ids that are not UUIDs name nobody.
        let ids: Vec<Uuid> = b.ids.iter().filter_map(|i| i.parse().ok()).collect();
        let items = self.app.lookup_users(&caller, &ids, &b.emails).await?;
        Ok(Response::new(pb::LookupUsersResponse {
            items: items
                .into_iter()
                .map(|u| pb::PersonRef {
                    id: u.id.to_string(),
                    email: u.email,
                    name: u.name,
                })
                .collect(),
        }))
    }

    async fn check_sessions(
        &self,
        req: Request<pb::CheckSessionsRequest>,
    ) -> Result<Response<pb::CheckSessionsResponse>, Status> {
        self.service(&req, SESSION_CHECKERS)?;
        let ids = req
            .get_ref()
            .session_ids
            .iter()
            .map(|id| id.parse::<Uuid>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Status::invalid_argument("Invalid session id."))?;
        let revoked = self.app.revoked_sessions(&ids).await?;
        Ok(Response::new(pb::CheckSessionsResponse {
            revoked_session_ids: revoked.iter().map(ToString::to_string).collect(),
        }))
    }

    async fn create_portal_invite(
        &self,
        req: Request<pb::CreatePortalInviteRequest>,
    ) -> Result<Response<pb::PortalInvite>, Status> {
        let caller = self.caller(&req).await?;
        let vendor: Uuid = req
            .get_ref()
            .vendor_id
            .parse()
            .map_err(|_| Status::invalid_argument("Invalid vendor id."))?;
        let invite = self.app.invite_vendor(&caller, vendor).await?;
        Ok(Response::new(pb::PortalInvite {
            token: invite.token.expose_secret().to_owned(),
            vendor_id: invite.vendor_id.to_string(),
            expires_at: ap_types::time::instant(invite.expires_at),
            invite_url: invite.invite_url,
        }))
    }

    async fn revoke_portal_invite(
        &self,
        req: Request<pb::RevokePortalInviteRequest>,
    ) -> Result<Response<pb::RevokePortalInviteResponse>, Status> {
        let caller = self.caller(&req).await?;
        let vendor: Uuid = req
            .get_ref()
            .vendor_id
            .parse()
            .map_err(|_| Status::invalid_argument("Invalid vendor id."))?;
        let revoked = self.app.revoke_vendor_invite(&caller, vendor).await?;
        Ok(Response::new(pb::RevokePortalInviteResponse { revoked }))
    }

    async fn verify_portal_token(
        &self,
        req: Request<pb::VerifyPortalTokenRequest>,
    ) -> Result<Response<pb::PortalSession>, Status> {
        let token = SecretString::from(req.into_inner().token);
        let session = self.app.verify_portal_token(&token).await?;
        Ok(Response::new(pb::PortalSession {
            vendor_id: session.vendor_id.to_string(),
            access_token: session.access_token.expose_secret().to_owned(),
            expires_in: session.expires_in,
        }))
    }

    async fn get_user(
        &self,
        req: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let caller = self.caller(&req).await?;
        let id = parse_id(&req.get_ref().id)?;
        Ok(Response::new(user(self.app.get_user(&caller, id).await?)))
    }

    async fn update_user(
        &self,
        req: Request<pb::UpdateUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let caller = self.caller(&req).await?;
        let b = req.into_inner();
        let id = parse_id(&b.id)?;
        let patch = UserPatch {
            name: b.name,
            role: b.role,
            is_active: b.is_active,
            password: b.password.map(SecretString::from),
        };
        Ok(Response::new(user(
            self.app.update_user(&caller, id, patch).await?,
        )))
    }

    async fn delete_user(
        &self,
        req: Request<pb::DeleteUserRequest>,
    ) -> Result<Response<pb::DeleteUserResponse>, Status> {
        let caller = self.caller(&req).await?;
        let id = parse_id(&req.get_ref().id)?;
        self.app.delete_user(&caller, id).await?;
        Ok(Response::new(pb::DeleteUserResponse {}))
    }
}
