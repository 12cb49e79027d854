DROP INDEX IF EXISTS idempotency_keys_created;
DROP TABLE IF EXISTS idempotency_keys;
