-- Keyset orders of the lists (docs/invoices.md, "Lists and paging").
-- GET /invoices?sort=due_date|amount: missing values last, ties by id, either direction.
CREATE INDEX invoices_due_date_order ON invoices ((due_date IS NULL), due_date, id)
    WHERE deleted_at IS NULL;
CREATE INDEX invoices_payable_order
    ON invoices ((COALESCE(amount_due, total_amount) IS NULL), (COALESCE(amount_due, total_amount)), id)
    WHERE deleted_at IS NULL;
-- Master data lists, newest first by (created_at, id).
CREATE INDEX vendors_keyset ON vendors (created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX purchase_orders_keyset ON purchase_orders (created_at DESC, id DESC);
CREATE INDEX goods_receipts_keyset ON goods_receipts (created_at DESC, id DESC);
