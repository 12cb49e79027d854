ALTER TABLE invoices
    DROP COLUMN IF EXISTS payment_discount_taken,
    DROP COLUMN IF EXISTS payment_amount_paid;
