-- Every question asked, with the SQL that ran (or was refused), the outcome and its cost.
CREATE TABLE questions (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL,
    user_email   TEXT NOT NULL,
    question     TEXT NOT NULL,
    sql          TEXT,
    outcome      TEXT NOT NULL CHECK (outcome IN ('answered', 'refused_question', 'refused_sql',
                     'unanswerable', 'timeout', 'failed', 'model_error', 'not_configured')),
    -- Why a question or its SQL was refused, or what failed; for operators, never returned.
    reason       TEXT,
    duration_ms  INTEGER NOT NULL CHECK (duration_ms >= 0),
    row_count    INTEGER,
    truncated    BOOLEAN NOT NULL DEFAULT FALSE,
    asked_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX questions_user_time ON questions (user_id, asked_at DESC);
CREATE INDEX questions_outcome_time ON questions (outcome, asked_at DESC);
