//! The OpenAPI document (`/api/openapi.json`), generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{health, routes};

#[derive(OpenApi)]
#[openapi(
    info(title = "AP automation API", version = "1", description = "Accounts-payable automation: invoices, matching, approvals, payments, audit.\n\nEvery operation carries an `x-roles` extension: the staff roles (`AP_CLERK`, `AP_ANALYST`, `APPROVER`, `ADMIN`, `AUDITOR`) allowed to call it. `[]` means no sign-in is needed (the operation is public or authorised by a token in the URL); `[\"VENDOR\"]` means a vendor-portal session."),
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
    // Enums used only as query-parameter types are not collected from `IntoParams`: listed
    // here so their `$ref`s resolve.
    components(schemas(routes::approvals::ApprovalView, routes::invoices::InvoiceSortParam)),
    modifiers(&BearerAuth, &UsersMeAlias, &ResponseDescriptions),
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

// Documentation-only enums: the DTOs carry these values as strings (the services own the
// vocabularies, see the CHECK constraints in their migrations); `#[schema(value_type = ...)]`
// on a DTO field points here so generated clients get an `enum`.

/// An invoice's lifecycle status.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Received,
    Extracting,
    Extracted,
    Matching,
    Exception,
    PendingApproval,
    Approved,
    Scheduled,
    Paid,
    Rejected,
    Cancelled,
}

/// Where an invoice's payment stands.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoicePaymentStatus {
    Pending,
    Scheduled,
    Completed,
    Failed,
}

/// How a payment is made.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum PaymentMethod {
    Ach,
    Wire,
    Check,
}

/// A payment's status.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Completed,
    Failed,
}

/// A payment run's status.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentRunStatus {
    Draft,
    Approved,
    Executed,
    Cancelled,
}

/// A staff role.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoleName {
    ApClerk,
    ApAnalyst,
    Approver,
    Admin,
    Auditor,
}

/// How serious an exception is.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionSeverity {
    Low,
    Medium,
    High,
    Critical,
}

/// Where an exception stands in the queue.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionStatus {
    Open,
    InProgress,
    Resolved,
    Waived,
    Escalated,
}

/// An approval task's status.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalTaskStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

/// The outcome of matching an invoice.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchStatus {
    Matched,
    Variance,
    Unmatched,
    Skipped,
}

/// A matching rule set version's status.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleSetStatus {
    Draft,
    Published,
}

/// A purchase order's status.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseOrderStatus {
    Open,
    Closed,
    Cancelled,
}

/// Whether a vendor bank account has been verified.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BankAccountStatus {
    Unverified,
    Verified,
}

/// `GET /api/v1/users/me` is served by the same handler as `GET /api/v1/auth/me`; a
/// handler carries one `#[utoipa::path]`, so the alias is documented here.
struct UsersMeAlias;

impl Modify for UsersMeAlias {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(mut item) = openapi.paths.paths.get("/api/v1/auth/me").cloned() else {
            return;
        };
        if let Some(op) = item.get.as_mut() {
            op.operation_id = Some("getCurrentUser".to_owned());
        }
        openapi
            .paths
            .paths
            .insert("/api/v1/users/me".to_owned(), item);
    }
}

/// OpenAPI 3.1 requires a `description` on every response object; a `responses(...)` entry
/// without one gets the status code's reason phrase ("OK", "Not Found"…).
struct ResponseDescriptions;

impl Modify for ResponseDescriptions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
                &mut item.query,
            ];
            for op in ops.into_iter().flatten() {
                for (status, response) in op.responses.responses.iter_mut() {
                    if let utoipa::openapi::RefOr::T(r) = response
                        && r.description.is_empty()
                    {
                        r.description = status
                            .parse::<u16>()
                            .ok()
                            .and_then(|c| axum::http::StatusCode::from_u16(c).ok())
                            .and_then(|c| c.canonical_reason())
                            .unwrap_or("Response")
                            .to_owned();
                    }
                }
            }
        }
    }
}

/// Schemas a client generator can only type as "anything": `type: object` with neither
/// `properties` nor an explicit `additionalProperties` (a free-form object must say so).
#[cfg(test)]
fn free_objects(at: &str, v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            let is_object = match &m.get("type") {
                Some(serde_json::Value::String(t)) => t == "object",
                Some(serde_json::Value::Array(ts)) => ts.iter().any(|t| t == "object"),
                _ => false,
            };
            if is_object && !m.contains_key("properties") && !m.contains_key("additionalProperties")
            {
                out.push(format!(
                    "{at}: free object (no properties, no additionalProperties)"
                ));
            }
            for (k, x) in m {
                // Examples are data, not schemas (unless it is a property so named).
                if (k != "example" && k != "examples") || at.ends_with("/properties") {
                    free_objects(&format!("{at}/{k}"), x, out);
                }
            }
        }
        serde_json::Value::Array(xs) => {
            for (i, x) in xs.iter().enumerate() {
                free_objects(&format!("{at}/{i}"), x, out);
            }
        }
        _ => {}
    }
}

/// What makes the document unfit for a client generator or silent about access: repeated
/// or missing `operationId`s, `id`/`*_id` path parameters without `format: uuid`, operations
/// without an `x-roles` statement, `limit` parameters that allow 0, responses without a
/// description, free objects.
#[cfg(test)]
fn spec_problems(doc: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    free_objects("#", doc, &mut problems);
    let text = doc.to_string();
    for r in text.split("\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap_or_default();
        if doc["components"]["schemas"].get(name).is_none() {
            problems.push(format!(
                "$ref to #/components/schemas/{name}, which is not defined"
            ));
        }
    }
    let mut seen = std::collections::HashMap::new();
    let empty = serde_json::Map::new();
    for (path, item) in doc["paths"].as_object().unwrap_or(&empty) {
        for (method, op) in item.as_object().unwrap_or(&empty) {
            if !op.is_object() || method == "parameters" {
                continue;
            }
            let at = format!("{} {path}", method.to_uppercase());
            match op["operationId"].as_str() {
                Some(id) => {
                    if let Some(other) = seen.insert(id.to_owned(), at.clone()) {
                        problems.push(format!("{at}: operationId {id} also used by {other}"));
                    }
                }
                None => problems.push(format!("{at}: no operationId")),
            }
            if !op["x-roles"].is_array() {
                problems.push(format!("{at}: no x-roles statement"));
            }
            for (status, r) in op["responses"].as_object().unwrap_or(&empty) {
                if r.get("$ref").is_none() && !r["description"].is_string() {
                    problems.push(format!("{at}: response {status} has no description"));
                }
            }
            for p in op["parameters"].as_array().unwrap_or(&Vec::new()) {
                let name = p["name"].as_str().unwrap_or_default();
                if p["in"] == "path"
                    && (name == "id" || name.ends_with("_id"))
                    && p["schema"]["format"] != "uuid"
                {
                    problems.push(format!("{at}: path parameter {name} lacks format uuid"));
                }
                if name == "limit" {
                    let min = p["schema"]["minimum"].as_f64();
                    if min.is_none_or(|m| m < 1.0) {
                        problems.push(format!(
                            "{at}: limit minimum is {min:?}, the server refuses 0"
                        ));
                    }
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> serde_json::Value {
        serde_json::to_value(ApiDoc::openapi()).expect("serialise")
    }

    #[test]
    fn every_operation_has_a_unique_id_uuid_path_ids_roles_and_a_limit_of_at_least_one() {
        let problems = spec_problems(&document());
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn the_spec_check_catches_twin_ids_untyped_ids_missing_roles_and_a_zero_limit() {
        let mut doc = document();
        let first = "/api/v1/invoices/{id}";
        let ops = &mut doc["paths"][first];
        ops["get"]["operationId"] = "listInvoices".into();
        ops["get"]["parameters"][0]["schema"] = serde_json::json!({"type": "string"});
        ops["patch"]
            .as_object_mut()
            .expect("patch")
            .remove("x-roles");
        doc["paths"]["/api/v1/invoices"]["get"]["parameters"]
            .as_array_mut()
            .expect("params")
            .iter_mut()
            .filter(|p| p["name"] == "limit")
            .for_each(|p| p["schema"]["minimum"] = 0.into());
        let problems = spec_problems(&doc).join("\n");
        for expected in [
            "operationId listInvoices also used",
            "path parameter id lacks format uuid",
            "PATCH /api/v1/invoices/{id}: no x-roles statement",
            "limit minimum is Some(0.0)",
        ] {
            assert!(problems.contains(expected), "{expected} not in {problems}");
        }
    }

    #[test]
    fn the_spec_check_catches_a_free_object_an_undescribed_response_and_a_dangling_ref() {
        let mut doc = document();
        doc["components"]["schemas"]["MatchOut"]["properties"]["header"] =
            serde_json::json!({"type": "object", "description": "anything"});
        doc["components"]["schemas"]["AuditEntryOut"]["properties"]["after"] =
            serde_json::json!({"type": ["object", "null"]});
        doc["paths"]["/api/v1/invoices"]["get"]["responses"]["200"]
            .as_object_mut()
            .expect("200")
            .remove("description");
        doc["components"]["schemas"]
            .as_object_mut()
            .expect("schemas")
            .remove("ExceptionDetailsOut");
        let problems = spec_problems(&doc).join("\n");
        for expected in [
            "#/components/schemas/MatchOut/properties/header: free object",
            "#/components/schemas/AuditEntryOut/properties/after: free object",
            "GET /api/v1/invoices: response 200 has no description",
            "$ref to #/components/schemas/ExceptionDetailsOut, which is not defined",
        ] {
            assert!(problems.contains(expected), "{expected} not in {problems}");
        }
    }

    /// An independent validator, `openapi-spec-validator` (PyPI, pinned in
    /// scripts/openapi-check.sh, installed in `.venv-ci/`), accepts the generated document.
    #[test]
    fn the_document_passes_openapi_spec_validator() {
        let python = std::process::Command::new("python3")
            .arg("--version")
            .output();
        assert!(
            python.is_ok_and(|o| o.status.success()),
            "python3 is required to validate the OpenAPI document (Debian: apt-get install -y \
             python3 python3-venv; .ci/run installs them)"
        );
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let file = std::env::temp_dir().join(format!("ap-openapi-{}.json", std::process::id()));
        std::fs::write(
            &file,
            ApiDoc::openapi().to_pretty_json().expect("serialise"),
        )
        .expect("write the document");
        let out = std::process::Command::new("bash")
            .arg(root.join("scripts/openapi-check.sh"))
            .arg(&file)
            .output()
            .expect("run scripts/openapi-check.sh");
        let _ = std::fs::remove_file(&file);
        assert!(
            out.status.success(),
            "openapi-spec-validator refused the document:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn the_current_user_is_documented_at_users_me() {
        let doc = document();
        assert_eq!(
            doc["paths"]["/api/v1/users/me"]["get"]["operationId"],
            "getCurrentUser"
        );
    }

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
