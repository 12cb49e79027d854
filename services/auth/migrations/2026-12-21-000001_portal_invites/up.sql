-- Vendor-portal invitations: one live token per vendor, stored as a SHA-256 hash. A new
-- invitation revokes the previous one; revocation and expiry end the token.
CREATE TABLE portal_invites (
    id          UUID PRIMARY KEY,
    vendor_id   UUID NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  UUID NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

-- At most one live invitation per vendor; re-inviting revokes the old row first.
CREATE UNIQUE INDEX portal_invites_vendor_live ON portal_invites (vendor_id) WHERE revoked_at IS NULL;
