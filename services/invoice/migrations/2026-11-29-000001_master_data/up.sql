-- Master data of the invoice service (schema `invoice`): vendors with aliases and encrypted
-- bank accounts, purchase orders with lines, goods receipts with lines.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE vendors (
    id                  UUID PRIMARY KEY,
    name                TEXT NOT NULL CHECK (btrim(name) <> ''),
    legal_name          TEXT,
    tax_id              TEXT,
    -- Upper-case, separators removed: the form uniqueness and matching use.
    tax_id_normalized   TEXT,
    email               TEXT,
    address             TEXT,
    country             CHAR(2),
    currency            CHAR(3) NOT NULL,
    payment_terms       TEXT,
    payment_terms_days  INTEGER CHECK (payment_terms_days BETWEEN 0 AND 365),
    category            TEXT,
    is_active           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at          TIMESTAMPTZ
);

CREATE UNIQUE INDEX vendors_tax_id_live ON vendors (tax_id_normalized)
    WHERE deleted_at IS NULL AND tax_id_normalized IS NOT NULL;
CREATE INDEX vendors_name_trgm ON vendors USING gin (lower(name) public.gin_trgm_ops);
CREATE INDEX vendors_live_name ON vendors (lower(name), id) WHERE deleted_at IS NULL;

CREATE TABLE vendor_aliases (
    id                UUID PRIMARY KEY,
    vendor_id         UUID NOT NULL REFERENCES vendors (id),
    alias             TEXT NOT NULL,
    alias_normalized  TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX vendor_aliases_unique ON vendor_aliases (alias_normalized);
CREATE INDEX vendor_aliases_vendor ON vendor_aliases (vendor_id);

-- Every version of a vendor's bank details, the current one flagged. Account numbers are
-- stored only encrypted (AES-256-GCM); `fingerprint` is a keyed hash that lets the same
-- account be recognised (duplicate accounts across vendors, payee matching) without
-- decrypting anything.
CREATE TABLE vendor_bank_accounts (
    id            UUID PRIMARY KEY,
    vendor_id     UUID NOT NULL REFERENCES vendors (id),
    kind          TEXT NOT NULL CHECK (kind IN ('iban', 'us')),
    ciphertext    BYTEA NOT NULL,
    last4         TEXT NOT NULL,
    bic           TEXT,
    routing_number TEXT,
    fingerprint   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('unverified', 'verified')),
    is_current    BOOLEAN NOT NULL,
    -- True for the first account of a vendor: onboarding, not a change.
    is_initial    BOOLEAN NOT NULL,
    created_by    UUID,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    verified_by   UUID,
    verified_at   TIMESTAMPTZ,
    superseded_at TIMESTAMPTZ,
    CHECK (verified_by IS NULL OR verified_by IS DISTINCT FROM created_by)
);
CREATE UNIQUE INDEX vendor_bank_accounts_current ON vendor_bank_accounts (vendor_id) WHERE is_current;
CREATE INDEX vendor_bank_accounts_fingerprint ON vendor_bank_accounts (fingerprint) WHERE is_current;

CREATE TABLE purchase_orders (
    id          UUID PRIMARY KEY,
    po_number   TEXT NOT NULL CHECK (btrim(po_number) <> ''),
    vendor_id   UUID NOT NULL REFERENCES vendors (id),
    currency    CHAR(3) NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled')),
    order_date  DATE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX purchase_orders_po_number ON purchase_orders (po_number);
CREATE INDEX purchase_orders_vendor ON purchase_orders (vendor_id, created_at);

CREATE TABLE po_lines (
    id           UUID PRIMARY KEY,
    po_id        UUID NOT NULL REFERENCES purchase_orders (id),
    line_number  INTEGER NOT NULL CHECK (line_number > 0),
    description  TEXT NOT NULL,
    quantity     NUMERIC(18, 4) NOT NULL CHECK (quantity > 0),
    unit_price   NUMERIC(18, 4) NOT NULL CHECK (unit_price >= 0),
    unit         TEXT,
    gl_account   TEXT,
    cost_centre  TEXT,
    UNIQUE (po_id, line_number)
);

CREATE TABLE goods_receipts (
    id              UUID PRIMARY KEY,
    receipt_number  TEXT NOT NULL CHECK (btrim(receipt_number) <> ''),
    po_id           UUID NOT NULL REFERENCES purchase_orders (id),
    received_at     DATE NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX goods_receipts_number ON goods_receipts (receipt_number);
CREATE INDEX goods_receipts_po ON goods_receipts (po_id);

CREATE TABLE receipt_lines (
    id          UUID PRIMARY KEY,
    receipt_id  UUID NOT NULL REFERENCES goods_receipts (id),
    po_line_id  UUID NOT NULL REFERENCES po_lines (id),
    quantity    NUMERIC(18, 4) NOT NULL CHECK (quantity > 0),
    UNIQUE (receipt_id, po_line_id)
);
CREATE INDEX receipt_lines_po_line ON receipt_lines (po_line_id);
