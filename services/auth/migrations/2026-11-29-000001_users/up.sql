-- Users, login throttling and refresh-token families of the auth service (schema `auth`).
CREATE TABLE users (
    id             UUID PRIMARY KEY,
    email          TEXT NOT NULL CHECK (email = lower(btrim(email)) AND email <> ''),
    name           TEXT NOT NULL CHECK (btrim(name) <> ''),
    role           TEXT NOT NULL CHECK (role IN ('AP_CLERK', 'AP_ANALYST', 'APPROVER', 'ADMIN', 'AUDITOR')),
    password_hash  TEXT NOT NULL,
    is_active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at     TIMESTAMPTZ
);

-- Email is unique among users that are not deleted; a deleted user's address can be reused.
CREATE UNIQUE INDEX users_email_live ON users (email) WHERE deleted_at IS NULL;
-- Role lookups (approval assignment, escalation) only ever want live, active users.
CREATE INDEX users_role_active ON users (role, id) WHERE deleted_at IS NULL AND is_active;

-- Failed logins per normalised email, whether or not the account exists, so lockout
-- behaves identically for unknown addresses and reveals nothing.
CREATE TABLE login_failures (
    email_key          TEXT PRIMARY KEY,
    failures           INTEGER NOT NULL,
    window_started_at  TIMESTAMPTZ NOT NULL,
    locked_until       TIMESTAMPTZ
);

-- Opaque refresh tokens, stored as SHA-256 hashes. A family is one login session; presenting
-- a token that was already rotated revokes the whole family.
CREATE TABLE refresh_tokens (
    id              UUID PRIMARY KEY,
    family_id       UUID NOT NULL,
    user_id         UUID NOT NULL REFERENCES users (id),
    token_hash      TEXT NOT NULL UNIQUE,
    issued_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at      TIMESTAMPTZ NOT NULL,
    rotated_at      TIMESTAMPTZ,
    revoked_at      TIMESTAMPTZ,
    revoked_reason  TEXT
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_live ON refresh_tokens (user_id) WHERE revoked_at IS NULL;
