DROP TABLE invoice_messages;
