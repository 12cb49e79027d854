-- Matching (issue "Invoice service III"): versioned tolerance rule sets with per-vendor
-- overrides, stored match results, risk signals, and the exception queue (routing, SLA,
-- comments).

-- A vendor whose invoices carry no purchase order (utilities, rent, services): its invoices
-- without a PO number skip matching and go to approval.
ALTER TABLE vendors ADD COLUMN po_required BOOLEAN NOT NULL DEFAULT TRUE;
-- 3-way (invoice vs PO vs goods received) unless the PO is for services billed as ordered.
ALTER TABLE purchase_orders ADD COLUMN match_type TEXT NOT NULL DEFAULT '3way'
    CHECK (match_type IN ('2way', '3way'));
-- Approved by the rule engine without a person: counted for the touchless rate.
ALTER TABLE invoices ADD COLUMN touchless BOOLEAN NOT NULL DEFAULT FALSE;

-- Tolerance rule sets: one draft at a time, published versions never change.
CREATE TABLE match_rule_sets (
    version       INTEGER PRIMARY KEY CHECK (version > 0),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    price_pct     NUMERIC(9, 6) NOT NULL CHECK (price_pct >= 0 AND price_pct <= 1),
    price_abs     NUMERIC(18, 4) NOT NULL CHECK (price_abs >= 0),
    qty_pct       NUMERIC(9, 6) NOT NULL CHECK (qty_pct >= 0 AND qty_pct <= 1),
    note          TEXT,
    created_by    UUID,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_by  UUID,
    published_at  TIMESTAMPTZ,
    CHECK ((status = 'published') = (published_at IS NOT NULL))
);
CREATE UNIQUE INDEX match_rule_sets_one_draft ON match_rule_sets ((status)) WHERE status = 'draft';
CREATE INDEX match_rule_sets_published ON match_rule_sets (version DESC) WHERE status = 'published';

CREATE TABLE match_rule_overrides (
    version    INTEGER NOT NULL REFERENCES match_rule_sets (version) ON DELETE CASCADE,
    vendor_id  UUID NOT NULL REFERENCES vendors (id),
    price_pct  NUMERIC(9, 6) NOT NULL CHECK (price_pct >= 0 AND price_pct <= 1),
    price_abs  NUMERIC(18, 4) NOT NULL CHECK (price_abs >= 0),
    qty_pct    NUMERIC(9, 6) NOT NULL CHECK (qty_pct >= 0 AND qty_pct <= 1),
    PRIMARY KEY (version, vendor_id)
);

-- A published rule set (and its overrides) is frozen: results name the version they used.
CREATE FUNCTION match_rules_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v INTEGER;
BEGIN
    IF TG_TABLE_NAME = 'match_rule_sets' THEN
        IF OLD.status = 'published' THEN
            RAISE EXCEPTION 'published rule set % is immutable', OLD.version;
        END IF;
        RETURN COALESCE(NEW, OLD);
    END IF;
    v := COALESCE(OLD.version, NEW.version);
    IF EXISTS (SELECT 1 FROM match_rule_sets WHERE version = v AND status = 'published') THEN
        RAISE EXCEPTION 'published rule set % is immutable', v;
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;
CREATE TRIGGER match_rule_sets_frozen BEFORE UPDATE OR DELETE ON match_rule_sets
    FOR EACH ROW EXECUTE FUNCTION match_rules_frozen();
CREATE TRIGGER match_rule_overrides_frozen BEFORE INSERT OR UPDATE OR DELETE ON match_rule_overrides
    FOR EACH ROW EXECUTE FUNCTION match_rules_frozen();

-- Version 1: the defaults of DOMAIN.md (2 % or 50.00 on prices, exact quantities).
INSERT INTO match_rule_sets (version, status, price_pct, price_abs, qty_pct, note, published_at)
VALUES (1, 'published', 0.02, 50.00, 0, 'Defaults: 2 % or 50.00 on prices, exact quantities', now());

-- The latest result per invoice (a re-run replaces it; `runs` counts them).
CREATE TABLE match_results (
    invoice_id    UUID PRIMARY KEY REFERENCES invoices (id),
    kind          TEXT NOT NULL CHECK (kind IN ('2way', '3way', 'non_po')),
    status        TEXT NOT NULL CHECK (status IN ('matched', 'variance', 'unmatched', 'skipped')),
    rule_version  INTEGER NOT NULL REFERENCES match_rule_sets (version),
    po_id         UUID REFERENCES purchase_orders (id),
    tolerance     JSONB NOT NULL,
    header        JSONB NOT NULL,
    risk_score    INTEGER NOT NULL,
    risk_reasons  JSONB NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('approved', 'pending_approval', 'exception')),
    touchless     BOOLEAN NOT NULL,
    runs          INTEGER NOT NULL DEFAULT 1,
    matched_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX match_results_outcome ON match_results (outcome, touchless);

-- Per invoice line: the PO line it was paired with and the variances. The quantities here
-- are what other invoices of the same PO line count as "already invoiced".
CREATE TABLE match_lines (
    invoice_id      UUID NOT NULL REFERENCES match_results (invoice_id) ON DELETE CASCADE,
    invoice_line    INTEGER NOT NULL,
    po_id           UUID REFERENCES purchase_orders (id),
    po_line         INTEGER,
    quantity        NUMERIC(18, 4),
    unit_price      NUMERIC(18, 4),
    po_unit_price   NUMERIC(18, 4),
    price_variance  NUMERIC(18, 4),
    qty_variance    NUMERIC(18, 4),
    matched         BOOLEAN NOT NULL,
    PRIMARY KEY (invoice_id, invoice_line)
);
CREATE INDEX match_lines_po_line ON match_lines (po_id, po_line);

-- Suspected duplicates (same vendor, date within 7 days) and the vendor history risk uses.
CREATE INDEX invoices_vendor_date ON invoices (vendor_id, invoice_date) WHERE deleted_at IS NULL;
CREATE INDEX invoices_vendor_status ON invoices (vendor_id, status) WHERE deleted_at IS NULL;

-- Exceptions: a stable key per finding (code and line), so a re-run keeps the exception a
-- person works on instead of replacing it, and never re-raises one that was waived.
ALTER TABLE exceptions ADD COLUMN finding_key TEXT;
UPDATE exceptions SET finding_key = code;
ALTER TABLE exceptions ALTER COLUMN finding_key SET NOT NULL;
ALTER TABLE exceptions ADD COLUMN assigned_role TEXT;
ALTER TABLE exceptions ADD COLUMN escalated_at TIMESTAMPTZ;
CREATE INDEX exceptions_keyset ON exceptions (created_at DESC, id DESC);
CREATE INDEX exceptions_unassigned ON exceptions (created_at) WHERE assigned_to IS NULL AND status IN ('open', 'escalated');
CREATE INDEX exceptions_invoice_key ON exceptions (invoice_id, finding_key);

CREATE TABLE exception_comments (
    id            UUID PRIMARY KEY,
    exception_id  UUID NOT NULL REFERENCES exceptions (id),
    author_id     UUID,
    author_email  TEXT,
    body          TEXT NOT NULL CHECK (btrim(body) <> '' AND length(body) <= 4000),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX exception_comments_exception ON exception_comments (exception_id, created_at, id);

-- Routing: which role works which code (then the least-loaded active user of that role).
CREATE TABLE exception_routing (
    code  TEXT PRIMARY KEY,
    role  TEXT NOT NULL CHECK (role IN ('AP_CLERK', 'AP_ANALYST', 'APPROVER', 'ADMIN'))
);
INSERT INTO exception_routing (code, role) VALUES
    ('MISSING_PO', 'AP_ANALYST'), ('PO_NOT_FOUND', 'AP_ANALYST'), ('PO_CLOSED', 'AP_ANALYST'),
    ('VENDOR_MISMATCH', 'AP_ANALYST'), ('PRICE_VARIANCE', 'AP_ANALYST'),
    ('QTY_VARIANCE', 'AP_ANALYST'), ('QTY_OVER_RECEIPT', 'AP_ANALYST'),
    ('GRN_NOT_FOUND', 'AP_ANALYST'), ('TOTAL_MISMATCH', 'AP_ANALYST'),
    ('ARITHMETIC_ERROR', 'AP_ANALYST'), ('CURRENCY_MISMATCH', 'AP_ANALYST'),
    ('DUPLICATE_INVOICE', 'AP_ANALYST'), ('VENDOR_UNKNOWN', 'AP_ANALYST'),
    ('LOW_CONFIDENCE', 'AP_ANALYST'), ('VENDOR_DISPUTE', 'AP_ANALYST'),
    ('BANK_DETAILS_CHANGED', 'ADMIN'), ('FRAUD_SUSPECTED', 'ADMIN');
