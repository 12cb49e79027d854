-- Transactional outbox: events committed with the change that caused them, delivered by a
-- relay with retries; and the receiver side's record of events already processed.
CREATE TABLE outbox (
    id               UUID PRIMARY KEY,
    destination      TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    payload          JSONB NOT NULL,
    request_id       TEXT,
    traceparent      TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at     TIMESTAMPTZ,
    last_error       TEXT
);

-- The relay's claim query: undelivered events that are due, oldest first.
CREATE INDEX outbox_pending ON outbox (next_attempt_at, created_at) WHERE delivered_at IS NULL;

CREATE TABLE processed_events (
    event_id      UUID PRIMARY KEY,
    event_type    TEXT NOT NULL,
    source        TEXT NOT NULL,
    processed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
