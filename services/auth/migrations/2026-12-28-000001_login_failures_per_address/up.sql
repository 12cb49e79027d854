-- Login failures are counted per account AND client address block (IPv4 address, IPv6 /64):
-- a stranger guessing passwords locks the account for their own address only, never for the
-- real user elsewhere (docs/security.md, "Login lockout"). Rows without a known address
-- (direct gRPC callers) share the empty block.
ALTER TABLE login_failures ADD COLUMN client_block TEXT NOT NULL DEFAULT '';
ALTER TABLE login_failures DROP CONSTRAINT login_failures_pkey;
ALTER TABLE login_failures ADD CONSTRAINT login_failures_pkey PRIMARY KEY (email_key, client_block);
