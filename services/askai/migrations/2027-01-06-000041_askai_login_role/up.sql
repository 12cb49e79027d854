-- The role the Ask-AI service connects as in production (docs/deployment.md, "Database
-- roles"): a member of ap_readonly (the reporting views, nothing else) that may also use its
-- own schema the way ap_runtime does (the question log, outbox, idempotency keys; the audit
-- log only SELECT and INSERT). Unlike ap_runtime it has no right in any other service's
-- schema, and it can create nothing. NOLOGIN here: the operator enables it with
--   ALTER ROLE ap_askai WITH LOGIN PASSWORD '...';
-- or creates a login role IN ROLE ap_askai. Roles are cluster-wide: tolerate an existing one.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ap_askai') THEN
        CREATE ROLE ap_askai NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

GRANT ap_readonly TO ap_askai;
GRANT USAGE ON SCHEMA askai TO ap_askai;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA askai TO ap_askai;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA askai TO ap_askai;
ALTER DEFAULT PRIVILEGES IN SCHEMA askai GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ap_askai;
ALTER DEFAULT PRIVILEGES IN SCHEMA askai GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ap_askai;
-- The audit log: append and read only.
REVOKE ALL ON TABLE askai.audit_log FROM ap_askai;
GRANT SELECT, INSERT ON TABLE askai.audit_log TO ap_askai;
