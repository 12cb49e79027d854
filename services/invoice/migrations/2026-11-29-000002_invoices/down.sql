DROP TABLE extraction_jobs;
DROP TABLE invoice_corrections;
DROP TABLE documents;
DROP TABLE invoice_lines;
DROP TABLE invoices;
