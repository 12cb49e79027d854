-- A payment run's claim on an invoice it is about to pay (set by ClaimInvoicesForPayment
-- inside the transaction that re-checks the invoice, cleared by PayInvoices or
-- ReleasePaymentClaims). While it is set, cancel, correction, re-match and portal dispute of
-- the invoice are refused: the bank file being written pays it.
ALTER TABLE invoices
    ADD COLUMN payment_claim_run_id UUID,
    ADD COLUMN payment_claimed_at TIMESTAMPTZ,
    -- The run's reference, for the refusal message ("being paid in payment run RUN-...").
    ADD COLUMN payment_claim_run_reference TEXT,
    ADD CONSTRAINT invoices_payment_claim_complete
        CHECK ((payment_claim_run_id IS NULL) = (payment_claimed_at IS NULL));

CREATE INDEX invoices_payment_claim_run ON invoices (payment_claim_run_id)
    WHERE payment_claim_run_id IS NOT NULL;
