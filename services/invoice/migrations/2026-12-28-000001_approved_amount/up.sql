-- One approved amount (issue 14, item 1). What a decision approved, recorded in the same
-- transaction that moves the invoice to `approved` (touchless or by the approval service) and
-- cleared when it goes back to matching: the payable amount (amount_due, else total_amount),
-- its currency, the vendor and the vendor's bank account current at that moment. A payment
-- re-reads these inside its own transaction and refuses any difference.
ALTER TABLE invoices
    ADD COLUMN approved_amount NUMERIC(18, 4),
    ADD COLUMN approved_currency CHAR(3),
    ADD COLUMN approved_vendor_id UUID,
    ADD COLUMN approved_bank_account_id UUID,
    ADD COLUMN approved_at TIMESTAMPTZ;

-- The payable amount lies between zero and the total. A credit note (negative total) mirrors
-- it: between the total and zero. The one currency unit of slack is EN 16931's rounding
-- amount (BT-114, at most 1.00 in absolute value, enforced by the domain): a payable of
-- 10.05 for a total of 10.02 is a legitimate cash rounding. Manual corrections are held to the
-- strict bound by the domain.
ALTER TABLE invoices ADD CONSTRAINT invoices_amount_due_within_total CHECK (
    amount_due IS NULL OR total_amount IS NULL
    OR (total_amount >= 0 AND amount_due >= 0 AND amount_due <= total_amount + 1)
    OR (total_amount < 0 AND amount_due <= 0 AND amount_due >= total_amount - 1)
);

-- What was approved is recorded whole or not at all.
ALTER TABLE invoices ADD CONSTRAINT invoices_approval_record_whole CHECK (
    (approved_amount IS NULL) = (approved_at IS NULL)
);

-- Defence in depth: once approved, the payable amount, the total, the currency and the vendor
-- of an invoice cannot change (the application refuses corrections in these statuses; this
-- refuses any other writer too). Going back to matching is the only way to change them, and
-- that clears the approval record.
CREATE FUNCTION invoices_freeze_approved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('approved', 'scheduled', 'paid')
       AND (NEW.amount_due IS DISTINCT FROM OLD.amount_due
            OR NEW.total_amount IS DISTINCT FROM OLD.total_amount
            OR NEW.currency IS DISTINCT FROM OLD.currency
            OR NEW.vendor_id IS DISTINCT FROM OLD.vendor_id
            -- The record is written once, right after the move to approved.
            OR (OLD.approved_at IS NOT NULL AND (NEW.approved_amount IS DISTINCT FROM OLD.approved_amount
            OR NEW.approved_currency IS DISTINCT FROM OLD.approved_currency
            OR NEW.approved_vendor_id IS DISTINCT FROM OLD.approved_vendor_id
            OR NEW.approved_bank_account_id IS DISTINCT FROM OLD.approved_bank_account_id)))
    THEN
        RAISE EXCEPTION 'the amounts, currency and vendor of an invoice that is % cannot change', OLD.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'invoices_approved_frozen';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER invoices_freeze_approved BEFORE UPDATE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_freeze_approved();
