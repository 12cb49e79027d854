-- What a payment paid on an invoice and the early-payment discount it took (set with the
-- other payment fields by PayInvoices), so an invoice shows them without asking the payment
-- service. NULL on invoices paid before this migration.
ALTER TABLE invoices
    ADD COLUMN payment_amount_paid NUMERIC(18, 4),
    ADD COLUMN payment_discount_taken NUMERIC(18, 4);
