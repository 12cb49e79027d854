-- Extraction results and the exceptions they raise. The exception queue (assignment, SLA,
-- comments) builds on this table.
CREATE TABLE exceptions (
    id               UUID PRIMARY KEY,
    invoice_id       UUID NOT NULL REFERENCES invoices (id),
    code             TEXT NOT NULL,
    severity         TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    status           TEXT NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'in_progress', 'resolved', 'waived', 'escalated')),
    message          TEXT NOT NULL,
    details          JSONB NOT NULL DEFAULT '{}',
    -- Raised by an automatic step that re-runs (extraction): replaced when it runs again.
    source           TEXT NOT NULL,
    assigned_to      UUID,
    due_at           TIMESTAMPTZ,
    resolution_note  TEXT,
    resolved_by      UUID,
    resolved_at      TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX exceptions_invoice ON exceptions (invoice_id);
CREATE INDEX exceptions_status_severity ON exceptions (status, severity);
CREATE INDEX exceptions_assigned_status ON exceptions (assigned_to, status);

-- What each extraction run produced, kept for review and evaluation.
ALTER TABLE extraction_jobs ADD COLUMN method TEXT;
ALTER TABLE extraction_jobs ADD COLUMN finished_at TIMESTAMPTZ;
-- A running job whose worker died is reclaimed after its lease.
CREATE INDEX extraction_jobs_running ON extraction_jobs (locked_at) WHERE status = 'running';
-- Vendor resolution by payee account.
ALTER TABLE invoices ADD COLUMN payee_iban TEXT;
