//! End-to-end tests of the REST gateway: real auth gRPC server and real gateway on port 0,
//! real PostgreSQL (a database per test), real HTTP.

mod admin_users;
mod edge;
mod helpers;
mod login;
mod observability;
mod sessions;
