DROP VIEW IF EXISTS reporting.payment_run_items, reporting.payment_runs, reporting.payments;
