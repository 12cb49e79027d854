-- Reporting views over the payment service's tables. Left out on purpose: bank account ids,
-- bank files, idempotency keys, and who created or approved what.

CREATE VIEW reporting.payments AS
SELECT p.id             AS payment_id,
       p.invoice_id,
       p.invoice_number,
       p.vendor_id,
       p.vendor_name,
       p.run_id,
       p.status,
       p.method,
       p.payment_date,
       p.reference,
       p.amount,
       p.discount_amount,
       p.currency,
       p.created_at,
       p.completed_at
FROM payment.payments p;
COMMENT ON VIEW reporting.payments IS 'Payments made (or being made) to vendors, one row per payment of one invoice.';
COMMENT ON COLUMN reporting.payments.payment_id IS 'Payment id (UUID).';
COMMENT ON COLUMN reporting.payments.invoice_id IS 'Invoice paid; joins invoices.invoice_id.';
COMMENT ON COLUMN reporting.payments.invoice_number IS 'Number of the invoice paid.';
COMMENT ON COLUMN reporting.payments.vendor_id IS 'Vendor paid; joins vendors.vendor_id.';
COMMENT ON COLUMN reporting.payments.vendor_name IS 'Vendor name.';
COMMENT ON COLUMN reporting.payments.run_id IS 'Payment run the payment belongs to, NULL for a single payment; joins payment_runs.run_id.';
COMMENT ON COLUMN reporting.payments.status IS 'pending, completed or failed.';
COMMENT ON COLUMN reporting.payments.method IS 'ACH, WIRE or CHECK.';
COMMENT ON COLUMN reporting.payments.payment_date IS 'Date of the payment (DATE).';
COMMENT ON COLUMN reporting.payments.reference IS 'Payment reference (remittance text).';
COMMENT ON COLUMN reporting.payments.amount IS 'Amount paid, in the payment currency.';
COMMENT ON COLUMN reporting.payments.discount_amount IS 'Early-payment discount taken.';
COMMENT ON COLUMN reporting.payments.currency IS 'ISO 4217 currency code.';
COMMENT ON COLUMN reporting.payments.created_at IS 'When the payment was recorded (UTC).';
COMMENT ON COLUMN reporting.payments.completed_at IS 'When the payment completed, if it did.';

CREATE VIEW reporting.payment_runs AS
SELECT r.id             AS run_id,
       r.reference,
       r.status,
       r.currency,
       r.method,
       r.file_format,
       r.pay_by_date,
       r.payment_date,
       r.next_run_date,
       (SELECT count(*) FROM payment.payment_run_items it WHERE it.run_id = r.id) AS invoice_count,
       (SELECT COALESCE(sum(it.gross_amount), 0) FROM payment.payment_run_items it WHERE it.run_id = r.id) AS gross_amount,
       (SELECT COALESCE(sum(it.discount_amount), 0) FROM payment.payment_run_items it WHERE it.run_id = r.id) AS discount_amount,
       (SELECT COALESCE(sum(it.net_amount), 0) FROM payment.payment_run_items it WHERE it.run_id = r.id) AS net_amount,
       r.created_at,
       r.approved_at,
       r.executed_at,
       r.cancelled_at,
       r.cancel_reason
FROM payment.payment_runs r;
COMMENT ON VIEW reporting.payment_runs IS 'Payment runs: batches of approved invoices paid together in one bank file, one row per run with its totals.';
COMMENT ON COLUMN reporting.payment_runs.run_id IS 'Payment run id (UUID).';
COMMENT ON COLUMN reporting.payment_runs.reference IS 'Run reference, e.g. RUN-2026-0001.';
COMMENT ON COLUMN reporting.payment_runs.status IS 'draft, approved, executed or cancelled.';
COMMENT ON COLUMN reporting.payment_runs.currency IS 'ISO 4217 currency of every payment in the run.';
COMMENT ON COLUMN reporting.payment_runs.method IS 'ACH, WIRE or CHECK.';
COMMENT ON COLUMN reporting.payment_runs.file_format IS 'Bank file format: nacha, pain.001 or check-register.';
COMMENT ON COLUMN reporting.payment_runs.pay_by_date IS 'Invoices due on or before this date were selected.';
COMMENT ON COLUMN reporting.payment_runs.payment_date IS 'Date the payments are made.';
COMMENT ON COLUMN reporting.payment_runs.next_run_date IS 'Date of the next planned run.';
COMMENT ON COLUMN reporting.payment_runs.invoice_count IS 'Number of invoices in the run.';
COMMENT ON COLUMN reporting.payment_runs.gross_amount IS 'Sum of the invoices'' amounts before discounts.';
COMMENT ON COLUMN reporting.payment_runs.discount_amount IS 'Sum of early-payment discounts taken.';
COMMENT ON COLUMN reporting.payment_runs.net_amount IS 'Sum actually paid (gross minus discount).';
COMMENT ON COLUMN reporting.payment_runs.created_at IS 'When the run was created (UTC).';
COMMENT ON COLUMN reporting.payment_runs.approved_at IS 'When a second admin approved it.';
COMMENT ON COLUMN reporting.payment_runs.executed_at IS 'When it was executed (bank file produced).';
COMMENT ON COLUMN reporting.payment_runs.cancelled_at IS 'When it was cancelled, if it was.';
COMMENT ON COLUMN reporting.payment_runs.cancel_reason IS 'Why it was cancelled.';

CREATE VIEW reporting.payment_run_items AS
SELECT it.run_id,
       it.seq,
       it.invoice_id,
       it.invoice_number,
       it.vendor_id,
       it.vendor_name,
       it.invoice_date,
       it.due_date,
       it.gross_amount,
       it.discount_amount,
       it.net_amount,
       it.discount_deadline,
       it.reason
FROM payment.payment_run_items it;
COMMENT ON VIEW reporting.payment_run_items IS 'Invoices selected into payment runs, one row per invoice per run.';
COMMENT ON COLUMN reporting.payment_run_items.run_id IS 'Payment run; joins payment_runs.run_id.';
COMMENT ON COLUMN reporting.payment_run_items.seq IS 'Position of the item in the run, from 1.';
COMMENT ON COLUMN reporting.payment_run_items.invoice_id IS 'Invoice; joins invoices.invoice_id.';
COMMENT ON COLUMN reporting.payment_run_items.invoice_number IS 'Invoice number.';
COMMENT ON COLUMN reporting.payment_run_items.vendor_id IS 'Vendor; joins vendors.vendor_id.';
COMMENT ON COLUMN reporting.payment_run_items.vendor_name IS 'Vendor name.';
COMMENT ON COLUMN reporting.payment_run_items.invoice_date IS 'Invoice date.';
COMMENT ON COLUMN reporting.payment_run_items.due_date IS 'Invoice due date.';
COMMENT ON COLUMN reporting.payment_run_items.gross_amount IS 'Amount due before discount.';
COMMENT ON COLUMN reporting.payment_run_items.discount_amount IS 'Early-payment discount taken.';
COMMENT ON COLUMN reporting.payment_run_items.net_amount IS 'Amount paid (gross minus discount).';
COMMENT ON COLUMN reporting.payment_run_items.discount_deadline IS 'Last day the discount could be taken.';
COMMENT ON COLUMN reporting.payment_run_items.reason IS 'Why it was selected: due (falls due before the next run) or discount (discount would expire).';

GRANT SELECT ON reporting.payments, reporting.payment_runs, reporting.payment_run_items TO ap_readonly;
