-- The audit log (mirrors the SQLite twin). Expand-only: a new table, which a replica of the
-- previous release ignores. Records name principals and resources by ARN, not by row id, so they
-- outlive what they describe (a deleted repository's history stays readable until retention).
-- Listed by id; its text columns are only compared for equality, so none needs COLLATE "C".
CREATE TABLE audit_records (
    id            BIGSERIAL PRIMARY KEY,
    time_ms       BIGINT NOT NULL,
    principal_arn TEXT   NOT NULL,
    action        TEXT   NOT NULL,
    resource_arn  TEXT   NOT NULL,
    result        TEXT   NOT NULL,
    request_id    TEXT   NOT NULL,
    source_ip     TEXT   NOT NULL
);

CREATE INDEX audit_records_by_time ON audit_records (time_ms);
