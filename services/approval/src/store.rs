//! Persistence of schema `approval`: every function takes the caller's connection, so the
//! caller owns the transaction.

pub mod mail;
pub mod matrix;
pub mod notifications;
pub mod schema;
pub mod tasks;

/// Names of constraints the app layer maps to business outcomes.
pub mod constraints {
    pub const ONE_OPEN_REQUEST: &str = "approval_requests_one_open";
    pub const DISTINCT_APPROVERS: &str = "approval_tasks_distinct_approvers";
    pub const ONE_APPROVAL_PER_PERSON: &str = "approval_tasks_one_approval_per_person";
    pub const ONE_CURRENT_DELEGATION: &str = "delegations_one_current";
}
