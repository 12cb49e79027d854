//! Integration tests of the client against a local fake Anthropic server (never the real API).
mod completion;
mod config;
#[path = "../support/fake_server.rs"]
mod fake_server;
mod retries;
mod structured;
