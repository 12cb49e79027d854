-- Payment service (schema `payment`): payment runs with their items and exclusions, payments
-- (single and from runs), idempotency keys and bank files.

CREATE TABLE payment_runs (
    id               UUID PRIMARY KEY,
    reference        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'executed', 'cancelled')),
    currency         CHAR(3) NOT NULL,
    method           TEXT NOT NULL CHECK (method IN ('ACH', 'WIRE', 'CHECK')),
    file_format      TEXT NOT NULL CHECK (file_format IN ('nacha', 'pain.001', 'check-register')),
    pay_by_date      DATE NOT NULL,
    payment_date     DATE NOT NULL,
    next_run_date    DATE NOT NULL,
    created_by       UUID NOT NULL,
    created_by_email TEXT NOT NULL,
    approved_by      UUID,
    approved_by_email TEXT,
    approved_at      TIMESTAMPTZ,
    executed_by      UUID,
    executed_at      TIMESTAMPTZ,
    cancelled_by     UUID,
    cancelled_at     TIMESTAMPTZ,
    cancel_reason    TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Four eyes: the admin who created a run cannot approve its release.
    CONSTRAINT payment_runs_approver_differs CHECK (approved_by IS NULL OR approved_by <> created_by),
    CONSTRAINT payment_runs_approved_when CHECK ((status IN ('approved', 'executed')) <= (approved_by IS NOT NULL))
);
CREATE UNIQUE INDEX payment_runs_reference ON payment_runs (reference);
CREATE INDEX payment_runs_keyset ON payment_runs (created_at DESC, id DESC);

CREATE TABLE payment_run_items (
    id                 UUID PRIMARY KEY,
    run_id             UUID NOT NULL REFERENCES payment_runs (id),
    seq                INTEGER NOT NULL CHECK (seq > 0),
    invoice_id         UUID NOT NULL,
    invoice_number     TEXT,
    vendor_id          UUID NOT NULL,
    vendor_name        TEXT NOT NULL,
    invoice_date       DATE,
    due_date           DATE,
    payment_terms      TEXT,
    gross_amount       NUMERIC(18, 4) NOT NULL CHECK (gross_amount > 0),
    discount_amount    NUMERIC(18, 4) NOT NULL CHECK (discount_amount >= 0),
    net_amount         NUMERIC(18, 4) NOT NULL CHECK (net_amount > 0),
    discount_deadline  DATE,
    reason             TEXT NOT NULL CHECK (reason IN ('due', 'discount')),
    bank_account_id    UUID,
    first_payment_to_changed_account BOOLEAN NOT NULL DEFAULT FALSE,
    -- True while the run is draft or approved.
    open               BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (run_id, seq),
    CHECK (net_amount = gross_amount - discount_amount)
);
-- An invoice can be in only one open run.
CREATE UNIQUE INDEX payment_run_items_one_open_run ON payment_run_items (invoice_id) WHERE open;
CREATE INDEX payment_run_items_run ON payment_run_items (run_id, seq);

-- Approved invoices a run left out, with the reason shown in its preview.
CREATE TABLE payment_run_exclusions (
    run_id          UUID NOT NULL REFERENCES payment_runs (id),
    invoice_id      UUID NOT NULL,
    invoice_number  TEXT,
    vendor_id       UUID,
    vendor_name     TEXT,
    amount          NUMERIC(18, 4),
    reason          TEXT NOT NULL,
    PRIMARY KEY (run_id, invoice_id)
);

CREATE TABLE payments (
    id               UUID PRIMARY KEY,
    invoice_id       UUID NOT NULL,
    invoice_number   TEXT,
    vendor_id        UUID,
    vendor_name      TEXT,
    run_id           UUID REFERENCES payment_runs (id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
    method           TEXT NOT NULL CHECK (method IN ('ACH', 'WIRE', 'CHECK')),
    payment_date     DATE NOT NULL,
    reference        TEXT,
    amount           NUMERIC(18, 4) NOT NULL CHECK (amount > 0),
    discount_amount  NUMERIC(18, 4) NOT NULL DEFAULT 0 CHECK (discount_amount >= 0),
    currency         CHAR(3) NOT NULL,
    bank_account_id  UUID,
    created_by       UUID NOT NULL,
    idempotency_key  TEXT,
    failure_reason   TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at     TIMESTAMPTZ,
    CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);
-- Exactly once: at most one live (pending or completed) payment per invoice.
CREATE UNIQUE INDEX payments_one_per_invoice ON payments (invoice_id) WHERE status IN ('pending', 'completed');
CREATE INDEX payments_keyset ON payments (created_at DESC, id DESC);
CREATE INDEX payments_due ON payments (next_attempt_at) WHERE status = 'pending';
CREATE INDEX payments_run ON payments (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX payments_account ON payments (bank_account_id) WHERE status = 'completed';

-- `Idempotency-Key` of a mutation, per user: the first successful response is replayed.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key           TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    user_id       UUID NOT NULL,
    operation     TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    -- The encoded response; NULL while the first request is still running.
    response      BYTEA,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at  TIMESTAMPTZ,
    PRIMARY KEY (key, user_id)
);

-- The bank file of an executed run, encrypted at rest (it holds vendor account numbers).
CREATE TABLE bank_files (
    run_id         UUID PRIMARY KEY REFERENCES payment_runs (id),
    format         TEXT NOT NULL,
    filename       TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    ciphertext     BYTEA NOT NULL,
    sha256         TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
