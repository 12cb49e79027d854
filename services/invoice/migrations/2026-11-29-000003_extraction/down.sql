ALTER TABLE invoices DROP COLUMN payee_iban;
DROP INDEX extraction_jobs_running;
ALTER TABLE extraction_jobs DROP COLUMN finished_at;
ALTER TABLE extraction_jobs DROP COLUMN method;
DROP TABLE exceptions;
