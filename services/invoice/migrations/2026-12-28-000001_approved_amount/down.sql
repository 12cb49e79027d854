DROP TRIGGER IF EXISTS invoices_freeze_approved ON invoices;
DROP FUNCTION IF EXISTS invoices_freeze_approved();
ALTER TABLE invoices
    DROP CONSTRAINT IF EXISTS invoices_approval_record_whole,
    DROP CONSTRAINT IF EXISTS invoices_amount_due_within_total,
    DROP COLUMN IF EXISTS approved_at,
    DROP COLUMN IF EXISTS approved_bank_account_id,
    DROP COLUMN IF EXISTS approved_vendor_id,
    DROP COLUMN IF EXISTS approved_currency,
    DROP COLUMN IF EXISTS approved_amount;
