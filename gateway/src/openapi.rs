//! The OpenAPI document (`/api/openapi.json`), generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{health, routes};

#[derive(OpenApi)]
#[openapi(
    info(title = "AP automation API", version = "1", description = "Accounts-payable automation: invoices, matching, approvals, payments, audit."),
    paths(
        health::health, health::live, health::metrics,
        routes::auth::token, routes::auth::login, routes::auth::refresh, routes::auth::logout, routes::auth::me,
        routes::users::list, routes::users::create, routes::users::get, routes::users::update, routes::users::delete,
    ),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "users"), (name = "operations"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
