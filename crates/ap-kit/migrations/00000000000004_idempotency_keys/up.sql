-- `Idempotency-Key` of a creating request, per caller (a staff user, or a vendor on portal
-- calls): the first successful response is stored encoded and replayed; created in each
-- service's own schema. The payment service made this table before it moved here, hence
-- IF NOT EXISTS.
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

-- The retention purge deletes by age.
CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at);
