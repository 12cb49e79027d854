//! diesel-async queries of the payment schema. Functions take the caller's connection so the
//! app layer owns transactions; SQL never leaves this module.

pub mod payments;
pub mod runs;
pub mod schema;

/// Named constraints the app layer turns into domain errors.
pub mod constraints {
    pub const PAYMENTS_ONE_PER_INVOICE: &str = "payments_one_per_invoice";
    pub const RUN_ITEMS_ONE_OPEN_RUN: &str = "payment_run_items_one_open_run";
    pub const RUNS_APPROVER_DIFFERS: &str = "payment_runs_approver_differs";
}
