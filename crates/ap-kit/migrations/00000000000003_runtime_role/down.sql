DO $$
DECLARE
    s TEXT := current_schema();
BEGIN
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM ap_runtime', s);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM ap_runtime', s);
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM ap_runtime', s);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM ap_runtime', s);
    EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM ap_runtime', s);
END
$$;
-- The role itself stays: other schemas and databases of the cluster may still use it.
