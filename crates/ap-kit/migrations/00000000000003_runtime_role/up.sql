-- The role the services run as (docs/security.md, "Database roles"). Migrations run as the
-- owner of every table; a service connects as a login role that is a member of ap_runtime
-- and so may read and write its tables but may only SELECT and INSERT the audit log: no
-- UPDATE, DELETE or TRUNCATE, and, not being the owner, it cannot disable the triggers,
-- drop the table or change its privileges. Run in each service schema (search_path).

-- Roles are cluster-wide and test runs create many databases in one cluster: tolerate a role
-- that already exists, including one created concurrently by another migration.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ap_runtime') THEN
        CREATE ROLE ap_runtime NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

DO $$
DECLARE
    s TEXT := current_schema();
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO ap_runtime', s);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO ap_runtime', s);
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO ap_runtime', s);
    -- Tables and sequences the service's own migrations create later, as this same owner.
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ap_runtime', s);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ap_runtime', s);
    -- The audit log: append and read only.
    EXECUTE format('REVOKE ALL ON TABLE %I.audit_log FROM ap_runtime, PUBLIC', s);
    EXECUTE format('GRANT SELECT, INSERT ON TABLE %I.audit_log TO ap_runtime', s);
END
$$;
