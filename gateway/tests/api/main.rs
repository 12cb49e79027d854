//! End-to-end tests of the REST gateway: real auth gRPC server and real gateway on port 0,
//! real PostgreSQL (a database per test), real HTTP.

mod admin_users;
mod approval_integrity;
mod approvals;
mod askai;
mod bank_change_reapproval;
mod consistency;
mod csv_import;
mod edge;
mod error_shape;
mod exact_money;
mod exceptions_queue;
mod fixtures;
mod helpers;
mod hostile_documents;
mod idempotent_creates;
mod invoice_corrections;
mod invoices_intake;
mod invoices_listing;
mod login;
mod master_data;
mod match_validation;
mod money_integrity;
mod observability;
mod paging;
mod payments;
mod portal;
mod revocation;
mod run_integrity;
mod sessions;
mod web_session;
mod web_static;
