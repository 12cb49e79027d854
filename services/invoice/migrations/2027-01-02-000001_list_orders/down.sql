DROP INDEX IF EXISTS goods_receipts_keyset;
DROP INDEX IF EXISTS purchase_orders_keyset;
DROP INDEX IF EXISTS vendors_keyset;
DROP INDEX IF EXISTS invoices_payable_order;
DROP INDEX IF EXISTS invoices_due_date_order;
