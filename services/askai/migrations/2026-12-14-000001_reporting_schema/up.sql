-- The `reporting` schema and the role Ask AI queries as. The views themselves come in one
-- migration per source service (invoice, payment, and later approval), each granting SELECT.
CREATE SCHEMA IF NOT EXISTS reporting;
COMMENT ON SCHEMA reporting IS 'Read-only views over the services'' tables for analytics and Ask AI. No credentials, tokens, bank details or tax identifiers.';

-- Roles are cluster-wide and test runs create many databases in one cluster: tolerate a role
-- that already exists, including one created concurrently by another migration.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ap_readonly') THEN
        CREATE ROLE ap_readonly NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- The views are owned by the migration role, so they read the base tables with its rights;
-- ap_readonly itself gets the schema and the views' SELECT and nothing else.
REVOKE ALL ON SCHEMA reporting FROM PUBLIC;
GRANT USAGE ON SCHEMA reporting TO ap_readonly;
ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT SELECT ON TABLES TO ap_readonly;

-- The Ask-AI service runs `SET LOCAL ROLE ap_readonly`, which needs membership. A superuser
-- needs none; granting it then is harmless.
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'ap_readonly', 'MEMBER') THEN
        EXECUTE format('GRANT ap_readonly TO %I', current_user);
    END IF;
END
$$;
