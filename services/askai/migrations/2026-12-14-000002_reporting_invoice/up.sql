-- Reporting views over the invoice service's tables. Left out on purpose: bank accounts
-- (vendor_bank_accounts, invoices.payee_iban), tax identifiers, vendor e-mail and address,
-- raw extracted fields, documents, and the users who uploaded or corrected anything.

CREATE VIEW reporting.vendors AS
SELECT v.id                 AS vendor_id,
       v.name               AS vendor_name,
       v.legal_name,
       v.country,
       v.currency,
       v.payment_terms,
       v.payment_terms_days,
       v.category,
       v.is_active,
       v.po_required,
       v.created_at
FROM invoice.vendors v
WHERE v.deleted_at IS NULL;
COMMENT ON VIEW reporting.vendors IS 'Vendors (suppliers) in the master data; deleted vendors are excluded. One row per vendor.';
COMMENT ON COLUMN reporting.vendors.vendor_id IS 'Vendor id (UUID); joins invoices.vendor_id, purchase_orders.vendor_id, payments.vendor_id.';
COMMENT ON COLUMN reporting.vendors.vendor_name IS 'Trading name of the vendor.';
COMMENT ON COLUMN reporting.vendors.legal_name IS 'Registered legal name, if known.';
COMMENT ON COLUMN reporting.vendors.country IS 'ISO 3166-1 alpha-2 country code, e.g. US, DE.';
COMMENT ON COLUMN reporting.vendors.currency IS 'Default ISO 4217 currency of the vendor, e.g. USD.';
COMMENT ON COLUMN reporting.vendors.payment_terms IS 'Payment terms text, e.g. ''net 30'' or ''2/10 net 30''.';
COMMENT ON COLUMN reporting.vendors.payment_terms_days IS 'Days until payment is due.';
COMMENT ON COLUMN reporting.vendors.category IS 'Spend category of the vendor, free text.';
COMMENT ON COLUMN reporting.vendors.is_active IS 'False for vendors no longer in use.';
COMMENT ON COLUMN reporting.vendors.po_required IS 'True when invoices of this vendor must reference a purchase order.';
COMMENT ON COLUMN reporting.vendors.created_at IS 'When the vendor was created (UTC).';

CREATE VIEW reporting.invoices AS
SELECT i.id                  AS invoice_id,
       i.invoice_number,
       i.status,
       i.vendor_id,
       i.vendor_name,
       i.invoice_date,
       i.due_date,
       i.currency,
       i.subtotal,
       i.tax_amount,
       i.total_amount,
       i.amount_due,
       i.po_number,
       i.payment_terms,
       i.source,
       i.touchless,
       i.payment_status,
       i.payment_date,
       i.payment_method,
       i.created_at          AS received_at,
       i.updated_at
FROM invoice.invoices i
WHERE i.deleted_at IS NULL;
COMMENT ON VIEW reporting.invoices IS 'Supplier invoices (accounts payable), one row per invoice; deleted invoices are excluded. Amounts are NUMERIC in the invoice currency.';
COMMENT ON COLUMN reporting.invoices.invoice_id IS 'Invoice id (UUID).';
COMMENT ON COLUMN reporting.invoices.invoice_number IS 'The number the vendor printed on the invoice.';
COMMENT ON COLUMN reporting.invoices.status IS 'One of received, extracting, extracted, matching, exception, pending_approval, approved, scheduled, paid, rejected, cancelled.';
COMMENT ON COLUMN reporting.invoices.vendor_id IS 'Vendor id; joins vendors.vendor_id. NULL until the vendor is recognised.';
COMMENT ON COLUMN reporting.invoices.vendor_name IS 'Vendor name as in the master data.';
COMMENT ON COLUMN reporting.invoices.invoice_date IS 'Date of the invoice (DATE).';
COMMENT ON COLUMN reporting.invoices.due_date IS 'Date payment is due (DATE).';
COMMENT ON COLUMN reporting.invoices.currency IS 'ISO 4217 currency code, e.g. USD, EUR.';
COMMENT ON COLUMN reporting.invoices.subtotal IS 'Net amount before tax.';
COMMENT ON COLUMN reporting.invoices.tax_amount IS 'Tax amount.';
COMMENT ON COLUMN reporting.invoices.total_amount IS 'Gross invoice total including tax.';
COMMENT ON COLUMN reporting.invoices.amount_due IS 'Amount still to pay.';
COMMENT ON COLUMN reporting.invoices.po_number IS 'Purchase order number referenced by the invoice, if any; joins purchase_orders.po_number.';
COMMENT ON COLUMN reporting.invoices.payment_terms IS 'Payment terms text, e.g. ''net 30''.';
COMMENT ON COLUMN reporting.invoices.source IS 'How the invoice arrived: upload, portal, email or api.';
COMMENT ON COLUMN reporting.invoices.touchless IS 'True when the invoice was approved without a person (matched and clean).';
COMMENT ON COLUMN reporting.invoices.payment_status IS 'pending, scheduled, completed or failed; NULL when no payment was made.';
COMMENT ON COLUMN reporting.invoices.payment_date IS 'Date the invoice was paid, if paid.';
COMMENT ON COLUMN reporting.invoices.payment_method IS 'ACH, WIRE or CHECK, if paid.';
COMMENT ON COLUMN reporting.invoices.received_at IS 'When the invoice was received (UTC timestamp).';
COMMENT ON COLUMN reporting.invoices.updated_at IS 'When the invoice last changed (UTC timestamp).';

CREATE VIEW reporting.invoice_lines AS
SELECT l.invoice_id,
       i.invoice_number,
       l.line_number,
       l.description,
       l.quantity,
       l.unit,
       l.unit_price,
       l.line_total,
       l.tax_rate,
       l.po_line_number
FROM invoice.invoice_lines l
JOIN invoice.invoices i ON i.id = l.invoice_id
WHERE i.deleted_at IS NULL;
COMMENT ON VIEW reporting.invoice_lines IS 'Line items of invoices, one row per line.';
COMMENT ON COLUMN reporting.invoice_lines.invoice_id IS 'Invoice id; joins invoices.invoice_id.';
COMMENT ON COLUMN reporting.invoice_lines.invoice_number IS 'Number of the invoice the line belongs to.';
COMMENT ON COLUMN reporting.invoice_lines.line_number IS 'Position of the line on the invoice, from 1.';
COMMENT ON COLUMN reporting.invoice_lines.description IS 'What was billed.';
COMMENT ON COLUMN reporting.invoice_lines.quantity IS 'Quantity billed.';
COMMENT ON COLUMN reporting.invoice_lines.unit IS 'Unit of measure, e.g. EA, KG.';
COMMENT ON COLUMN reporting.invoice_lines.unit_price IS 'Price per unit in the invoice currency.';
COMMENT ON COLUMN reporting.invoice_lines.line_total IS 'Line amount (quantity times unit price) in the invoice currency.';
COMMENT ON COLUMN reporting.invoice_lines.tax_rate IS 'Tax rate as a fraction or percentage as printed.';
COMMENT ON COLUMN reporting.invoice_lines.po_line_number IS 'Purchase order line the invoice line refers to, if any.';

CREATE VIEW reporting.purchase_orders AS
SELECT p.id           AS po_id,
       p.po_number,
       p.vendor_id,
       v.name         AS vendor_name,
       p.currency,
       p.status,
       p.order_date,
       p.match_type,
       (SELECT COALESCE(sum(pl.quantity * pl.unit_price), 0)
          FROM invoice.po_lines pl WHERE pl.po_id = p.id) AS total_amount,
       p.created_at
FROM invoice.purchase_orders p
JOIN invoice.vendors v ON v.id = p.vendor_id;
COMMENT ON VIEW reporting.purchase_orders IS 'Purchase orders, one row per order, with the order total computed from its lines.';
COMMENT ON COLUMN reporting.purchase_orders.po_id IS 'Purchase order id (UUID).';
COMMENT ON COLUMN reporting.purchase_orders.po_number IS 'Purchase order number; invoices.po_number refers to it.';
COMMENT ON COLUMN reporting.purchase_orders.vendor_id IS 'Vendor id; joins vendors.vendor_id.';
COMMENT ON COLUMN reporting.purchase_orders.vendor_name IS 'Vendor name.';
COMMENT ON COLUMN reporting.purchase_orders.currency IS 'ISO 4217 currency code.';
COMMENT ON COLUMN reporting.purchase_orders.status IS 'open, closed or cancelled.';
COMMENT ON COLUMN reporting.purchase_orders.order_date IS 'Date the order was placed.';
COMMENT ON COLUMN reporting.purchase_orders.match_type IS '2way (invoice against order) or 3way (also against goods receipts).';
COMMENT ON COLUMN reporting.purchase_orders.total_amount IS 'Sum of quantity times unit price over the order lines.';
COMMENT ON COLUMN reporting.purchase_orders.created_at IS 'When the order was recorded (UTC).';

CREATE VIEW reporting.purchase_order_lines AS
SELECT pl.po_id,
       p.po_number,
       pl.line_number,
       pl.description,
       pl.quantity,
       pl.unit,
       pl.unit_price,
       pl.quantity * pl.unit_price AS line_amount,
       pl.gl_account,
       pl.cost_centre
FROM invoice.po_lines pl
JOIN invoice.purchase_orders p ON p.id = pl.po_id;
COMMENT ON VIEW reporting.purchase_order_lines IS 'Lines of purchase orders, one row per line.';
COMMENT ON COLUMN reporting.purchase_order_lines.po_id IS 'Purchase order id; joins purchase_orders.po_id.';
COMMENT ON COLUMN reporting.purchase_order_lines.po_number IS 'Purchase order number.';
COMMENT ON COLUMN reporting.purchase_order_lines.line_number IS 'Position of the line on the order, from 1.';
COMMENT ON COLUMN reporting.purchase_order_lines.description IS 'What was ordered.';
COMMENT ON COLUMN reporting.purchase_order_lines.quantity IS 'Quantity ordered.';
COMMENT ON COLUMN reporting.purchase_order_lines.unit IS 'Unit of measure.';
COMMENT ON COLUMN reporting.purchase_order_lines.unit_price IS 'Agreed price per unit.';
COMMENT ON COLUMN reporting.purchase_order_lines.line_amount IS 'Quantity times unit price.';
COMMENT ON COLUMN reporting.purchase_order_lines.gl_account IS 'General-ledger account the line is booked to.';
COMMENT ON COLUMN reporting.purchase_order_lines.cost_centre IS 'Cost centre the line is booked to.';

CREATE VIEW reporting.goods_receipts AS
SELECT r.id              AS receipt_id,
       r.receipt_number,
       r.po_id,
       p.po_number,
       r.received_at     AS received_on,
       r.created_at
FROM invoice.goods_receipts r
JOIN invoice.purchase_orders p ON p.id = r.po_id;
COMMENT ON VIEW reporting.goods_receipts IS 'Goods receipts: deliveries received against purchase orders, one row per receipt.';
COMMENT ON COLUMN reporting.goods_receipts.receipt_id IS 'Receipt id (UUID).';
COMMENT ON COLUMN reporting.goods_receipts.receipt_number IS 'Receipt (delivery note) number.';
COMMENT ON COLUMN reporting.goods_receipts.po_id IS 'Purchase order id; joins purchase_orders.po_id.';
COMMENT ON COLUMN reporting.goods_receipts.po_number IS 'Purchase order number.';
COMMENT ON COLUMN reporting.goods_receipts.received_on IS 'Date the goods arrived (DATE).';
COMMENT ON COLUMN reporting.goods_receipts.created_at IS 'When the receipt was recorded (UTC).';

CREATE VIEW reporting.goods_receipt_lines AS
SELECT rl.receipt_id,
       r.receipt_number,
       r.po_id,
       pl.line_number AS po_line_number,
       pl.description,
       rl.quantity    AS quantity_received
FROM invoice.receipt_lines rl
JOIN invoice.goods_receipts r ON r.id = rl.receipt_id
JOIN invoice.po_lines pl ON pl.id = rl.po_line_id;
COMMENT ON VIEW reporting.goods_receipt_lines IS 'Quantities received per purchase order line, one row per receipt line.';
COMMENT ON COLUMN reporting.goods_receipt_lines.receipt_id IS 'Receipt id; joins goods_receipts.receipt_id.';
COMMENT ON COLUMN reporting.goods_receipt_lines.receipt_number IS 'Receipt number.';
COMMENT ON COLUMN reporting.goods_receipt_lines.po_id IS 'Purchase order id.';
COMMENT ON COLUMN reporting.goods_receipt_lines.po_line_number IS 'Line number on the purchase order; joins purchase_order_lines (po_id, line_number).';
COMMENT ON COLUMN reporting.goods_receipt_lines.description IS 'Description of the ordered item.';
COMMENT ON COLUMN reporting.goods_receipt_lines.quantity_received IS 'Quantity received on this receipt.';

CREATE VIEW reporting.exceptions AS
SELECT e.id            AS exception_id,
       e.invoice_id,
       i.invoice_number,
       i.vendor_name,
       e.code,
       e.severity,
       e.status,
       e.message,
       e.source,
       e.assigned_role,
       e.due_at,
       e.escalated_at,
       e.resolved_at,
       e.created_at
FROM invoice.exceptions e
JOIN invoice.invoices i ON i.id = e.invoice_id
WHERE i.deleted_at IS NULL;
COMMENT ON VIEW reporting.exceptions IS 'Invoice exceptions (problems blocking an invoice: price or quantity variance, missing PO, duplicate, fraud suspicion...), one row per exception.';
COMMENT ON COLUMN reporting.exceptions.exception_id IS 'Exception id (UUID).';
COMMENT ON COLUMN reporting.exceptions.invoice_id IS 'Invoice id; joins invoices.invoice_id.';
COMMENT ON COLUMN reporting.exceptions.invoice_number IS 'Number of the invoice.';
COMMENT ON COLUMN reporting.exceptions.vendor_name IS 'Vendor of the invoice.';
COMMENT ON COLUMN reporting.exceptions.code IS 'Exception code, e.g. PRICE_VARIANCE, QUANTITY_VARIANCE, PO_NOT_FOUND, DUPLICATE_SUSPECTED, FRAUD_SUSPECTED.';
COMMENT ON COLUMN reporting.exceptions.severity IS 'low, medium, high or critical.';
COMMENT ON COLUMN reporting.exceptions.status IS 'open, in_progress, resolved, waived or escalated.';
COMMENT ON COLUMN reporting.exceptions.message IS 'Human-readable description of the problem.';
COMMENT ON COLUMN reporting.exceptions.source IS 'What raised it, e.g. matching or extraction.';
COMMENT ON COLUMN reporting.exceptions.assigned_role IS 'Role the exception is routed to, e.g. AP_CLERK.';
COMMENT ON COLUMN reporting.exceptions.due_at IS 'When the exception should be resolved by (SLA, UTC).';
COMMENT ON COLUMN reporting.exceptions.escalated_at IS 'When it was escalated for missing its SLA, if it was.';
COMMENT ON COLUMN reporting.exceptions.resolved_at IS 'When it was resolved or waived.';
COMMENT ON COLUMN reporting.exceptions.created_at IS 'When it was raised (UTC).';

GRANT SELECT ON reporting.vendors, reporting.invoices, reporting.invoice_lines,
    reporting.purchase_orders, reporting.purchase_order_lines, reporting.goods_receipts,
    reporting.goods_receipt_lines, reporting.exceptions TO ap_readonly;
