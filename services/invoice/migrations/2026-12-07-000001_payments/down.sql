DROP INDEX IF EXISTS invoices_payable;
DROP INDEX IF EXISTS invoices_payment_id;
ALTER TABLE invoices DROP COLUMN IF EXISTS payment_id;
