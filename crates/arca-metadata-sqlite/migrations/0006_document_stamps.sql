-- When each rendered native document (a cargo index file, …) of a repository last changed: the ETag
-- it was last rendered with and the time that ETag was first seen, for Last-Modified and
-- If-Modified-Since. Derived data: losing a row only costs a client one full answer.
CREATE TABLE document_stamps (
    repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    document      TEXT    NOT NULL,
    etag          TEXT    NOT NULL,
    since_ms      INTEGER NOT NULL,
    PRIMARY KEY (repository_id, document)
);
