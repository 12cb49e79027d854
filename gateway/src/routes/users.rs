//! `/api/v1/admin/users*` (ADMIN) and the user shape every route returns.

use crate::extract::Json;
use crate::extract::{Path, Query};
use crate::routes::created::created;
use ap_proto::auth::v1 as pb;
use ap_proto::common::v1::PageRequest;
use ap_types::Role;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{ApiError, ErrorBody};
use crate::extract::Authed;
use crate::routes::Page;
use crate::state::AppState;

/// A user as clients see it: never a password hash.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub email: String,
    pub name: String,
    #[schema(value_type = crate::openapi::RoleName)]
    pub role: String,
    pub is_active: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<pb::User> for UserOut {
    fn from(u: pb::User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            is_active: u.is_active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateUserIn {
    pub email: String,
    pub name: String,
    pub password: String,
    #[schema(value_type = crate::openapi::RoleName)]
    pub role: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserIn {
    pub name: Option<String>,
    #[schema(value_type = Option<crate::openapi::RoleName>)]
    pub role: Option<String>,
    pub is_active: Option<bool>,
    pub password: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    #[param(value_type = Option<crate::openapi::RoleName>)]
    pub role: Option<String>,
    pub is_active: Option<bool>,
}

const ADMIN: &[Role] = &[Role::Admin];

fn user_id(raw: &str) -> Result<String, ApiError> {
    raw.parse::<Uuid>().map(|u| u.to_string()).map_err(|_| {
        let mut e = ApiError::not_found();
        e.errors = Some(vec![crate::error::FieldError {
            field: "id".to_owned(),
            message: "must be a UUID".to_owned(),
        }]);
        e
    })
}

#[utoipa::path(get, path = "/api/v1/admin/users", operation_id = "listUsers",
    extensions(("x-roles" = json!(["ADMIN"]))), tag = "users", params(ListQuery),
    responses((status = 200, body = Page<UserOut>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    authed: Authed,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<UserOut>>, ApiError> {
    authed.require(ADMIN)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            "must be a whole number between 1 and 200",
        ));
    }
    let mut auth = state.auth.clone();
    let resp = auth
        .list_users(authed.forward.request(pb::ListUsersRequest {
            page: Some(PageRequest {
                limit,
                cursor: q.cursor.unwrap_or_default(),
            }),
            role: q.role.unwrap_or_default(),
            is_active: q.is_active,
        }))
        .await?
        .into_inner();
    Ok(Json(Page {
        items: resp.items.into_iter().map(UserOut::from).collect(),
        next_cursor: Some(resp.next_cursor).filter(|c| !c.is_empty()),
    }))
}

#[utoipa::path(post, path = "/api/v1/admin/users", operation_id = "createUser",
    extensions(("x-roles" = json!(["ADMIN"]))), tag = "users", request_body = CreateUserIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body.")),
    responses((status = 201, body = UserOut, headers(("Location" = String, description = "`/api/v1/admin/users/{id}`"))), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    authed: Authed,
    Json(body): Json<CreateUserIn>,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(ADMIN)?;
    let mut auth = state.auth.clone();
    let user = auth
        .create_user(authed.forward.request(pb::CreateUserRequest {
            email: body.email,
            name: body.name,
            password: body.password,
            role: body.role,
        }))
        .await?;
    let user = UserOut::from(user.into_inner());
    Ok(created(format!("/api/v1/admin/users/{}", user.id), user))
}

#[utoipa::path(get, path = "/api/v1/admin/users/{id}", operation_id = "getUser",
    extensions(("x-roles" = json!(["ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "users",
    responses((status = 200, body = UserOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<UserOut>, ApiError> {
    authed.require(ADMIN)?;
    let id = user_id(&id)?;
    let mut auth = state.auth.clone();
    let user = auth
        .get_user(authed.forward.request(pb::GetUserRequest { id }))
        .await?;
    Ok(Json(user.into_inner().into()))
}

#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", operation_id = "updateUser",
    extensions(("x-roles" = json!(["ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "users", request_body = UpdateUserIn,
    responses((status = 200, body = UserOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Json(body): Json<UpdateUserIn>,
) -> Result<Json<UserOut>, ApiError> {
    authed.require(ADMIN)?;
    let id = user_id(&id)?;
    let mut auth = state.auth.clone();
    let user = auth
        .update_user(authed.forward.request(pb::UpdateUserRequest {
            id,
            name: body.name,
            role: body.role,
            is_active: body.is_active,
            password: body.password,
        }))
        .await?;
    Ok(Json(user.into_inner().into()))
}

#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", operation_id = "deleteUser",
    extensions(("x-roles" = json!(["ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "users",
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(ADMIN)?;
    let id = user_id(&id)?;
    let mut auth = state.auth.clone();
    auth.delete_user(authed.forward.request(pb::DeleteUserRequest { id }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
