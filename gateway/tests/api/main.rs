//! End-to-end tests of the REST gateway: real auth gRPC server and real gateway on port 0,
//! real PostgreSQL (a database per test), real HTTP.

mod admin_users;
mod approvals;
mod askai;
mod csv_import;
mod edge;
mod exceptions_queue;
mod helpers;
mod invoice_corrections;
mod invoices_intake;
mod invoices_listing;
mod login;
mod master_data;
mod observability;
mod payments;
mod portal;
mod sessions;
