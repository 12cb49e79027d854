-- Append-only, hash-chained audit log; created in each service's own schema
-- (the migration runner sets search_path to it).
CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,
    id           UUID NOT NULL UNIQUE,
    occurred_at  TIMESTAMPTZ NOT NULL,
    actor_id     UUID,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT,
    before_data  JSONB,
    after_data   JSONB,
    request_id   TEXT,
    client_ip    TEXT,
    user_agent   TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    CHECK (seq > 0)
);

CREATE INDEX audit_log_entity_timeline ON audit_log (entity_type, entity_id, occurred_at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, occurred_at);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
