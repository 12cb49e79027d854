-- Conversations on invoices between AP staff and the vendor (vendor portal).
-- inbound: written by the vendor; outbound: written by staff, either vendor-facing or an
-- internal note (never shown to the vendor). `read_at` marks when staff opened the
-- conversation after an inbound message arrived: the unread count of the invoice list.
CREATE TABLE invoice_messages (
    id            UUID PRIMARY KEY,
    invoice_id    UUID NOT NULL REFERENCES invoices (id),
    direction     TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    internal      BOOLEAN NOT NULL DEFAULT FALSE,
    body          TEXT NOT NULL CHECK (btrim(body) <> '' AND length(body) <= 10000),
    author_id     UUID,
    author_email  TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    read_at       TIMESTAMPTZ,
    -- A vendor's message is never an internal note.
    CHECK (direction = 'outbound' OR NOT internal)
);

-- A conversation in order, and the unread inbound messages of a page of invoices.
CREATE INDEX invoice_messages_conversation ON invoice_messages (invoice_id, direction, created_at);
-- The portal list (a vendor's invoices, newest first) uses invoices_vendor_created.
