DROP VIEW IF EXISTS reporting.exceptions, reporting.goods_receipt_lines, reporting.goods_receipts,
    reporting.purchase_order_lines, reporting.purchase_orders, reporting.invoice_lines,
    reporting.invoices, reporting.vendors;
