-- The blob table (mirrors arca-metadata-sqlite/migrations/0002_blobs.sql; the protocol is
-- documented on arca_metadata::BlobRefStore). Expand-only: a new table, backfilled; a replica of
-- the previous release ignores it.
CREATE TABLE blobs (
    domain_id  BIGINT NOT NULL,
    sha256     TEXT COLLATE "C" NOT NULL,
    generation BIGINT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('live', 'deleting')),
    touched_ms BIGINT NOT NULL,
    PRIMARY KEY (domain_id, sha256)
);

CREATE INDEX blobs_by_state_touched ON blobs (state, touched_ms);

INSERT INTO blobs (domain_id, sha256, generation, state, touched_ms)
SELECT DISTINCT domain_id, sha256, 0, 'live', 0 FROM assets;
