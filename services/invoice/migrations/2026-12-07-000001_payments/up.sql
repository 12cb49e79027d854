-- The payment that paid an invoice (set by the payment service through PayInvoices), so a
-- retried payment call recognises its own earlier success.
ALTER TABLE invoices ADD COLUMN payment_id UUID;
CREATE UNIQUE INDEX invoices_payment_id ON invoices (payment_id) WHERE payment_id IS NOT NULL;
-- The payment service lists approved invoices per currency.
CREATE INDEX invoices_payable ON invoices (currency, id) WHERE status = 'approved' AND deleted_at IS NULL;
