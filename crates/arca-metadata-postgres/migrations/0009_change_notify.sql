-- The change feed (PostgreSQL only: SQLite is one process, so there is no SQLite twin and its
-- number 0009 stays unused there). Every committed statement that changes a table a document or a
-- looked-up row can be made of sends `NOTIFY arca_changes, '<schema>'`; every replica LISTENs and
-- drops what it derived from the metadata (`PostgresStore::watch_changes`, crate documentation).
-- PostgreSQL delivers notifications at commit, never for a rolled-back transaction, and folds
-- identical ones within a transaction, so a publish sends one.
--
-- Expand-only: a function and triggers; the tables are unchanged. Writes of a replica of the
-- previous release fire the triggers as well (so newer replicas see them), and it ignores the
-- notifications. CREATE TRIGGER locks each table against writes until this migration commits
-- (moments: no table is scanned or rewritten); the tables are taken parent before child, the order
-- in which writers touch them.
--
-- Not watched, matching the calls the service's own epoch ignores (`KEEPS_EPOCH` in
-- arca-service/src/documents.rs): bookkeeping that no document shows, written often — `blobs`
-- (leases and collection), `document_stamps` (cargo's Last-Modified), `audit_records`. A new table
-- must be added here (in a new migration) or to that list; the test
-- `every_table_is_watched_or_known_bookkeeping` holds the two together.

CREATE FUNCTION arca_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The schema of the changed table: replicas of other installations may share the database.
    PERFORM pg_notify('arca_changes', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

DO $$
DECLARE
    watched TEXT;
BEGIN
    FOREACH watched IN ARRAY ARRAY[
        'domains', 'principals', 'resource_policies', 'package_groups', 'repositories',
        'repository_upstreams', 'package_group_repositories', 'packages', 'package_versions',
        'assets', 'dist_tags', 'version_details', 'version_dependencies', 'tags'
    ] LOOP
        EXECUTE format(
            'CREATE TRIGGER arca_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
            'FOR EACH STATEMENT EXECUTE FUNCTION arca_notify_change()',
            watched
        );
    END LOOP;
END
$$;
