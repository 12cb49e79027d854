DROP INDEX invoices_vendor_created;
DROP TABLE invoice_messages;
