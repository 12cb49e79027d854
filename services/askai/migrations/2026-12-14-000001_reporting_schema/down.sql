-- The role is cluster-wide and may serve other databases: it stays.
DROP SCHEMA IF EXISTS reporting CASCADE;
