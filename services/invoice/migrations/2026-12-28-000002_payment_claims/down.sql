DROP INDEX IF EXISTS invoices_payment_claim_run;
ALTER TABLE invoices
    DROP CONSTRAINT IF EXISTS invoices_payment_claim_complete,
    DROP COLUMN IF EXISTS payment_claim_run_reference,
    DROP COLUMN IF EXISTS payment_claimed_at,
    DROP COLUMN IF EXISTS payment_claim_run_id;
