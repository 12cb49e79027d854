-- Approval service (schema `approval`): the approval matrix, one approval request per invoice
-- approval round, its tasks and decisions, delegations, notifications, email-link tokens and
-- the mail outbox.

CREATE TABLE matrix_rules (
    id               UUID PRIMARY KEY,
    name             TEXT NOT NULL CHECK (btrim(name) <> ''),
    -- The band is amount_over < total <= amount_up_to; NULL is unbounded on that side.
    amount_over      NUMERIC(18, 4),
    amount_up_to     NUMERIC(18, 4),
    department       TEXT,
    vendor_category  TEXT,
    -- [{"level":1,"role":"APPROVER"|null,"user_id":uuid|null,"approvers_required":1}, ...]
    levels           JSONB NOT NULL CHECK (jsonb_typeof(levels) = 'array' AND jsonb_array_length(levels) > 0),
    created_by       UUID,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at       TIMESTAMPTZ,
    CHECK (amount_over IS NULL OR amount_up_to IS NULL OR amount_over < amount_up_to)
);
CREATE INDEX matrix_rules_live ON matrix_rules (department, vendor_category) WHERE deleted_at IS NULL;

-- One approval round of an invoice (a re-match starts a new round and supersedes the old).
CREATE TABLE approval_requests (
    id                 UUID PRIMARY KEY,
    invoice_id         UUID NOT NULL,
    event_id           UUID NOT NULL UNIQUE,
    match_run          INTEGER NOT NULL,
    invoice_number     TEXT,
    vendor_id          UUID,
    vendor_name        TEXT,
    vendor_category    TEXT,
    department         TEXT,
    currency           CHAR(3),
    amount             NUMERIC(18, 4) NOT NULL,
    invoice_due_date   DATE,
    uploaded_by        UUID,
    last_corrected_by  UUID,
    matrix_rule_id     UUID REFERENCES matrix_rules (id),
    -- The levels as decided when the round started (later matrix edits do not move it).
    levels             JSONB NOT NULL,
    current_level      INTEGER NOT NULL CHECK (current_level > 0),
    status             TEXT NOT NULL CHECK (status IN ('open', 'approved', 'rejected', 'withdrawn')),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at          TIMESTAMPTZ,
    close_reason       TEXT
);
-- At most one open round per invoice.
CREATE UNIQUE INDEX approval_requests_one_open ON approval_requests (invoice_id) WHERE status = 'open';
CREATE INDEX approval_requests_invoice ON approval_requests (invoice_id, created_at);

CREATE TABLE approval_tasks (
    id                  UUID PRIMARY KEY,
    request_id          UUID NOT NULL REFERENCES approval_requests (id),
    invoice_id          UUID NOT NULL,
    level               INTEGER NOT NULL CHECK (level > 0),
    slot                INTEGER NOT NULL CHECK (slot > 0),
    assignee_id         UUID,
    assignee_email      TEXT,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    assigned_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    due_at              TIMESTAMPTZ NOT NULL,
    reminder_sent_at    TIMESTAMPTZ,
    escalated_at        TIMESTAMPTZ,
    escalated_from      UUID,
    decided_by          UUID,
    decided_by_email    TEXT,
    on_behalf_of        UUID,
    decided_at          TIMESTAMPTZ,
    channel             TEXT CHECK (channel IN ('web', 'email')),
    notes               TEXT,
    client_ip           TEXT,
    user_agent          TEXT,
    cancel_reason       TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (request_id, level, slot),
    CHECK ((status IN ('approved', 'rejected')) = (decided_by IS NOT NULL AND decided_at IS NOT NULL)),
    CHECK (status <> 'rejected' OR btrim(coalesce(notes, '')) <> '')
);
CREATE INDEX approval_tasks_due ON approval_tasks (due_at);
CREATE INDEX approval_tasks_status_due ON approval_tasks (status, due_at);
CREATE INDEX approval_tasks_assignee ON approval_tasks (assignee_id, status);
CREATE INDEX approval_tasks_decider ON approval_tasks (decided_by, decided_at DESC);
CREATE INDEX approval_tasks_invoice ON approval_tasks (invoice_id, created_at);

-- Two approvals on one level need two different people: enforced here, not only in code.
CREATE UNIQUE INDEX approval_tasks_distinct_approvers
    ON approval_tasks (request_id, level, decided_by) WHERE status = 'approved';

CREATE TABLE delegations (
    id            UUID PRIMARY KEY,
    user_id       UUID NOT NULL,
    delegate_id   UUID NOT NULL,
    delegate_email TEXT NOT NULL,
    starts_at     TIMESTAMPTZ NOT NULL,
    ends_at       TIMESTAMPTZ NOT NULL,
    reason        TEXT,
    created_by    UUID NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at      TIMESTAMPTZ,
    CHECK (starts_at < ends_at),
    CHECK (user_id <> delegate_id)
);
-- One current delegation per user (a new one replaces it).
CREATE UNIQUE INDEX delegations_one_current ON delegations (user_id) WHERE ended_at IS NULL;
CREATE INDEX delegations_delegate ON delegations (delegate_id) WHERE ended_at IS NULL;

CREATE TABLE notifications (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    invoice_id  UUID,
    task_id     UUID,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    read_at     TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- Email-link tokens: the signed token carries this id; the row makes it single-use and binds
-- it to the task's assignee at sending time.
CREATE TABLE email_tokens (
    id            UUID PRIMARY KEY,
    task_id       UUID NOT NULL REFERENCES approval_tasks (id),
    action        TEXT NOT NULL CHECK (action IN ('approve', 'reject')),
    assignee_id   UUID NOT NULL,
    amount        NUMERIC(18, 4) NOT NULL,
    currency      CHAR(3),
    expires_at    TIMESTAMPTZ NOT NULL,
    used_at       TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX email_tokens_task ON email_tokens (task_id);

-- Mail to send (status pending, by the mailer) or held because sending is disabled.
CREATE TABLE mail_outbox (
    id               UUID PRIMARY KEY,
    to_address       TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('held', 'pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at          TIMESTAMPTZ
);
CREATE INDEX mail_outbox_pending ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_held ON mail_outbox (created_at DESC) WHERE status = 'held';
