DROP TABLE bank_files;
DROP TABLE idempotency_keys;
DROP TABLE payments;
DROP TABLE payment_run_exclusions;
DROP TABLE payment_run_items;
DROP TABLE payment_runs;
