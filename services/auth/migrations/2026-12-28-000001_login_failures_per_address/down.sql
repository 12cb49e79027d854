-- One row per account again: keep the most recent window of each.
DELETE FROM login_failures f USING login_failures g
 WHERE f.email_key = g.email_key
   AND (f.window_started_at, f.client_block) < (g.window_started_at, g.client_block);
ALTER TABLE login_failures DROP CONSTRAINT login_failures_pkey;
ALTER TABLE login_failures DROP COLUMN client_block;
ALTER TABLE login_failures ADD CONSTRAINT login_failures_pkey PRIMARY KEY (email_key);
