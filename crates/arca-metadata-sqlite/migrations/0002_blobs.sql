-- The blob table: one row per content-addressed blob (domain, SHA-256) that exists or is being
-- written, so that garbage collection and publishes coordinate through the database
-- (arca_metadata::BlobRefStore documents the protocol).
--
-- - `generation` identifies one life of the row: a publish commits only if the row still has the
--   generation it was given before uploading (the bytes cannot have been deleted meanwhile).
-- - `state` is 'live', or 'deleting' while a collector removes the bytes; a deleting row is never
--   revived, writers wait for it to be gone.
-- - `touched_ms`: last touch by a writer (live), or when the collector claimed it (deleting).
-- - No foreign key to domains: a deleted domain's rows stay until the collector frees their bytes
--   (domain ids are never reused).
CREATE TABLE blobs (
    domain_id  INTEGER NOT NULL,
    sha256     TEXT    NOT NULL,
    generation INTEGER NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('live', 'deleting')),
    touched_ms INTEGER NOT NULL,
    PRIMARY KEY (domain_id, sha256)
);

-- Collector scans: live rows by age, deleting rows by claim time.
CREATE INDEX blobs_by_state_touched ON blobs (state, touched_ms);

-- Blobs committed before this table existed are live (generation 0, touched long ago).
INSERT INTO blobs (domain_id, sha256, generation, state, touched_ms)
SELECT DISTINCT domain_id, sha256, 0, 'live', 0 FROM assets;
