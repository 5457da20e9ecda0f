-- Arca metadata schema, SQLite flavour.
--
-- Conventions (the PostgreSQL migrations mirror them):
-- - Text is compared byte-wise. SQLite's default BINARY collation is memcmp over the stored UTF-8,
--   which is byte order (= code point order); every ORDER BY, keyset cursor and UNIQUE key below
--   relies on it. PostgreSQL needs COLLATE "C" on these columns to get the same order.
-- - Timestamps are INTEGER milliseconds since the Unix epoch.
-- - Enumerations are stored as their `as_str()` text (no CHECK lists, so adding a value needs no
--   table rebuild).
-- - `packages.namespace` is '' when the package has no namespace, never NULL.
-- - Ids use AUTOINCREMENT so that an id is never handed out twice, even after the row with the
--   largest id was deleted (domain ids name blob prefixes; version ids appear in CAS expectations).
--   PostgreSQL identity columns behave that way by default.

CREATE TABLE domains (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    owner          TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    created_ms     INTEGER NOT NULL,
    encryption_key TEXT,
    UNIQUE (owner, name)
);

CREATE TABLE repositories (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id             INTEGER NOT NULL REFERENCES domains (id),
    name                  TEXT    NOT NULL,
    administrator_account TEXT    NOT NULL,
    description           TEXT,
    created_ms            INTEGER NOT NULL,
    UNIQUE (domain_id, name)
);

-- ListRepositories across the domains of an owner is ordered by (repository name, domain name).
CREATE INDEX repositories_by_name ON repositories (name, domain_id);

CREATE TABLE repository_upstreams (
    repository_id INTEGER NOT NULL REFERENCES repositories (id),
    position      INTEGER NOT NULL,
    upstream_name TEXT    NOT NULL,
    PRIMARY KEY (repository_id, position)
);

-- "Which repositories list X as an upstream" (downstreams_of, delete_repository).
CREATE INDEX repository_upstreams_by_name ON repository_upstreams (upstream_name);

CREATE TABLE packages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    repository_id   INTEGER NOT NULL REFERENCES repositories (id),
    format          TEXT    NOT NULL,
    namespace       TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    origin_publish  TEXT    NOT NULL,
    origin_upstream TEXT    NOT NULL,
    -- Also the index of ListPackages: (repository_id, format, namespace, name).
    UNIQUE (repository_id, format, namespace, name)
);

CREATE TABLE package_versions (
    id                         INTEGER PRIMARY KEY AUTOINCREMENT,
    package_id                 INTEGER NOT NULL REFERENCES packages (id),
    version                    TEXT    NOT NULL,
    -- 'Deleted' is never stored: a deleted version has no row.
    status                     TEXT    NOT NULL CHECK (status <> 'Deleted'),
    revision                   TEXT    NOT NULL,
    published_ms               INTEGER NOT NULL,
    origin_type                TEXT    NOT NULL,
    origin_repository          TEXT,
    origin_external_connection TEXT,
    display_name               TEXT,
    summary                    TEXT,
    home_page                  TEXT,
    source_code_repository     TEXT,
    licenses_json              TEXT,
    -- Also the index of ListPackageVersions by version.
    UNIQUE (package_id, version)
);

-- ListPackageVersions by publish time, and the latest published version.
CREATE INDEX package_versions_by_published ON package_versions (package_id, published_ms, version);

CREATE TABLE assets (
    version_id INTEGER NOT NULL REFERENCES package_versions (id),
    name       TEXT    NOT NULL,
    -- Denormalised (a repository never changes domain): blobs are stored per domain by SHA-256, so
    -- "bytes of distinct blobs in domain D" and the GC probe "is SHA-256 X referenced in domain D"
    -- are both answered from assets_by_domain_blob alone, without joining up four tables.
    domain_id  INTEGER NOT NULL REFERENCES domains (id),
    size       INTEGER NOT NULL CHECK (size >= 0),
    md5        TEXT    NOT NULL,
    sha1       TEXT    NOT NULL,
    sha256     TEXT    NOT NULL,
    sha512     TEXT    NOT NULL,
    PRIMARY KEY (version_id, name)
);

CREATE INDEX assets_by_domain_blob ON assets (domain_id, sha256, size);

CREATE TABLE tags (
    resource_arn TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)
);
