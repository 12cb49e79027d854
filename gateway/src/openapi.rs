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
        routes::vendors::list, routes::vendors::create, routes::vendors::get, routes::vendors::update, routes::vendors::delete,
        routes::vendors::set_bank_account, routes::vendors::verify_bank_account,
        routes::orders::list_pos, routes::orders::create_po, routes::orders::get_po,
        routes::orders::list_receipts, routes::orders::create_receipt, routes::orders::get_receipt,
        routes::imports::vendors, routes::imports::purchase_orders, routes::imports::goods_receipts,
        routes::invoices::upload, routes::invoices::list, routes::invoices::get, routes::invoices::document,
        routes::invoices::audit, routes::invoices::patch, routes::invoices::cancel, routes::invoices::extract,
        routes::matching::get_match, routes::matching::rematch, routes::matching::stats,
        routes::matching::list_rule_sets, routes::matching::get_rule_set, routes::matching::create_draft,
        routes::matching::update_draft, routes::matching::publish, routes::matching::discard_draft,
        routes::exceptions::list, routes::exceptions::get, routes::exceptions::update,
        routes::exceptions::comments, routes::exceptions::add_comment,
        routes::payments::record, routes::payments::list_payments, routes::payments::get_payment,
        routes::payments::create_run, routes::payments::list_runs, routes::payments::get_run,
        routes::payments::approve_run, routes::payments::execute_run, routes::payments::cancel_run,
        routes::payments::run_file,
        routes::approvals::list, routes::approvals::get, routes::approvals::approve,
        routes::approvals::reject, routes::approvals::reassign, routes::approvals::email_page,
        routes::approvals::email_decide, routes::approvals::list_matrix,
        routes::approvals::create_rule, routes::approvals::get_rule, routes::approvals::update_rule,
        routes::approvals::delete_rule, routes::approvals::get_delegation,
        routes::approvals::set_delegation, routes::approvals::end_delegation,
        routes::approvals::notifications, routes::approvals::read_notification,
        routes::approvals::mail_outbox,
        routes::askai::ask,
        routes::invoices::messages, routes::invoices::post_message,
        routes::portal::invite, routes::portal::revoke, routes::portal::list, routes::portal::get,
        routes::portal::dispute, routes::portal::messages, routes::portal::post_message,
        routes::portal::upload,
    ),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "users"), (name = "master data"), (name = "invoices"), (name = "matching"), (name = "exceptions"), (name = "payments"), (name = "approvals"), (name = "ask ai"), (name = "vendor portal"), (name = "operations"))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed `docs/openapi.json` is what clients read without running the gateway;
    /// it must match the annotations. `UPDATE_OPENAPI=1 cargo test -p ap-gateway` rewrites it.
    #[test]
    fn the_committed_openapi_document_is_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
        let generated = ApiDoc::openapi().to_pretty_json().expect("serialise") + "\n";
        if std::env::var("UPDATE_OPENAPI").is_ok() {
            std::fs::write(&path, &generated).expect("write docs/openapi.json");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi.json is stale: run UPDATE_OPENAPI=1 cargo test -p ap-gateway openapi"
        );
    }
}
