-- Document stamps (mirrors the SQLite twin). Expand-only: a new table a replica of the previous
-- release ignores (it answers without Last-Modified).
CREATE TABLE document_stamps (
    repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    document      TEXT COLLATE "C" NOT NULL,
    etag          TEXT   NOT NULL,
    since_ms      BIGINT NOT NULL,
    PRIMARY KEY (repository_id, document)
);
