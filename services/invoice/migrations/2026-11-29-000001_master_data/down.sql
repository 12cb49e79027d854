DROP TABLE receipt_lines;
DROP TABLE goods_receipts;
DROP TABLE po_lines;
DROP TABLE purchase_orders;
DROP TABLE vendor_bank_accounts;
DROP TABLE vendor_aliases;
DROP TABLE vendors;
