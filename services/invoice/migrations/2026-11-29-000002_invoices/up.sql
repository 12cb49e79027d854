-- Invoices, their lines, documents, manual corrections and extraction jobs.
CREATE TABLE invoices (
    id                         UUID PRIMARY KEY,
    status                     TEXT NOT NULL CHECK (status IN ('received', 'extracting', 'extracted',
                                   'matching', 'exception', 'pending_approval', 'approved',
                                   'scheduled', 'paid', 'rejected', 'cancelled')),
    invoice_number             TEXT,
    -- Upper-case alphanumerics only: the form duplicate detection compares.
    invoice_number_normalized  TEXT,
    vendor_id                  UUID REFERENCES vendors (id),
    -- Denormalised from the vendor master so the list needs no join.
    vendor_name                TEXT,
    vendor_name_raw            TEXT,
    invoice_date               DATE,
    due_date                   DATE,
    currency                   CHAR(3),
    subtotal                   NUMERIC(18, 4),
    tax_amount                 NUMERIC(18, 4),
    total_amount               NUMERIC(18, 4),
    amount_due                 NUMERIC(18, 4),
    po_number                  TEXT,
    payment_terms              TEXT,
    -- Per field: {"source": "xml|text|ocr|llm|manual", "confidence": 0..1}.
    fields                     JSONB NOT NULL DEFAULT '{}',
    source                     TEXT NOT NULL CHECK (source IN ('upload', 'portal', 'email', 'api')),
    uploaded_by                UUID,
    last_corrected_by          UUID,
    failure_reason             TEXT,
    payment_status             TEXT CHECK (payment_status IN ('pending', 'scheduled', 'completed', 'failed')),
    payment_date               DATE,
    payment_method             TEXT CHECK (payment_method IN ('ACH', 'WIRE', 'CHECK')),
    payment_reference          TEXT,
    version                    INTEGER NOT NULL DEFAULT 1,
    created_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at                 TIMESTAMPTZ
);

-- The list's keyset order and its common filters.
CREATE INDEX invoices_keyset ON invoices (created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX invoices_status ON invoices (status);
CREATE INDEX invoices_created_at ON invoices (created_at);
CREATE INDEX invoices_due_date ON invoices (due_date);
CREATE INDEX invoices_status_created ON invoices (status, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX invoices_payment_status ON invoices (payment_status);
CREATE INDEX invoices_vendor_number ON invoices (vendor_id, invoice_number);
CREATE INDEX invoices_vendor_number_norm ON invoices (vendor_id, invoice_number_normalized) WHERE deleted_at IS NULL;
CREATE INDEX invoices_vendor_created ON invoices (vendor_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX invoices_po_number ON invoices (po_number);
-- `q` searches number and vendor name by substring.
CREATE INDEX invoices_number_trgm ON invoices USING gin (lower(invoice_number) public.gin_trgm_ops);
CREATE INDEX invoices_vendor_name_trgm ON invoices USING gin (lower(vendor_name) public.gin_trgm_ops);

CREATE TABLE invoice_lines (
    id              UUID PRIMARY KEY,
    invoice_id      UUID NOT NULL REFERENCES invoices (id),
    line_number     INTEGER NOT NULL,
    description     TEXT,
    quantity        NUMERIC(18, 4),
    unit            TEXT,
    unit_price      NUMERIC(18, 4),
    line_total      NUMERIC(18, 4),
    tax_rate        NUMERIC(9, 4),
    po_line_number  INTEGER,
    source          TEXT NOT NULL DEFAULT 'manual',
    UNIQUE (invoice_id, line_number)
);

CREATE TABLE documents (
    id            UUID PRIMARY KEY,
    invoice_id    UUID NOT NULL REFERENCES invoices (id),
    storage_key   TEXT NOT NULL,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL CHECK (size_bytes > 0),
    sha256        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX documents_invoice ON documents (invoice_id);
CREATE INDEX documents_sha256 ON documents (sha256);

CREATE TABLE invoice_corrections (
    id            UUID PRIMARY KEY,
    invoice_id    UUID NOT NULL REFERENCES invoices (id),
    field         TEXT NOT NULL,
    old_value     JSONB,
    new_value     JSONB,
    corrected_by  UUID NOT NULL,
    corrected_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX invoice_corrections_invoice ON invoice_corrections (invoice_id, corrected_at);

-- Extraction work queue; workers claim rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE extraction_jobs (
    id           UUID PRIMARY KEY,
    invoice_id   UUID NOT NULL REFERENCES invoices (id),
    status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_after    TIMESTAMPTZ NOT NULL DEFAULT now(),
    locked_at    TIMESTAMPTZ,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX extraction_jobs_due ON extraction_jobs (run_after) WHERE status = 'queued';
CREATE INDEX extraction_jobs_invoice ON extraction_jobs (invoice_id);
