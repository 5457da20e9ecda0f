-- Arca metadata schema, PostgreSQL flavour. Mirrors
-- crates/arca-metadata-sqlite/migrations/0001_initial.sql table for table, column for column (the
-- row decoding in arca-metadata-sql is shared), and follows the same conventions:
-- - Text is compared byte-wise. Every text column that is ordered, range-compared (prefix filters,
--   keyset cursors) or part of a unique key is COLLATE "C": memcmp over the UTF-8 bytes, i.e. code
--   point order, exactly SQLite's BINARY, whatever the database's default collation. (A linguistic
--   collation would sort "B" < "a" differently, break keyset cursors and could even make distinct
--   names compare equal.) Free text (descriptions, digests, manifest fields) keeps the default.
-- - Timestamps are BIGINT milliseconds since the Unix epoch; sizes and ids are BIGINT.
-- - Enumerations are stored as their `as_str()` text (no CHECK lists, so adding a value needs no
--   migration).
-- - `packages.namespace` is '' when the package has no namespace, never NULL.
-- - Ids are identity columns backed by sequences, which never hand out a value twice, even after the
--   row with the largest id was deleted (domain ids name blob prefixes; version ids appear in CAS
--   expectations).
-- - Every foreign key is served by an index whose leading column is the referencing column (the
--   unique keys and primary keys below), so deleting a parent never scans a child table.

CREATE TABLE domains (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner          TEXT COLLATE "C" NOT NULL,
    name           TEXT COLLATE "C" NOT NULL,
    created_ms     BIGINT NOT NULL,
    encryption_key TEXT,
    UNIQUE (owner, name)
);

CREATE TABLE repositories (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id             BIGINT NOT NULL REFERENCES domains (id),
    name                  TEXT COLLATE "C" NOT NULL,
    administrator_account TEXT COLLATE "C" NOT NULL,
    description           TEXT,
    created_ms            BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

-- ListRepositories across the domains of an owner is ordered by (repository name, domain name).
CREATE INDEX repositories_by_name ON repositories (name, domain_id);

CREATE TABLE repository_upstreams (
    repository_id BIGINT  NOT NULL REFERENCES repositories (id),
    position      INTEGER NOT NULL,
    upstream_name TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (repository_id, position)
);

-- "Which repositories list X as an upstream" (downstreams_of, delete_repository).
CREATE INDEX repository_upstreams_by_name ON repository_upstreams (upstream_name);

CREATE TABLE packages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repository_id   BIGINT NOT NULL REFERENCES repositories (id),
    format          TEXT COLLATE "C" NOT NULL,
    namespace       TEXT COLLATE "C" NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    origin_publish  TEXT NOT NULL,
    origin_upstream TEXT NOT NULL,
    -- Also the index of ListPackages: (repository_id, format, namespace, name); and the arbiter of
    -- `INSERT … ON CONFLICT DO NOTHING` when concurrent publishes create the same package.
    UNIQUE (repository_id, format, namespace, name)
);

CREATE TABLE package_versions (
    id                         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    package_id                 BIGINT NOT NULL REFERENCES packages (id),
    version                    TEXT COLLATE "C" NOT NULL,
    -- 'Deleted' is never stored: a deleted version has no row.
    status                     TEXT NOT NULL CHECK (status <> 'Deleted'),
    revision                   TEXT NOT NULL,
    published_ms               BIGINT NOT NULL,
    origin_type                TEXT NOT NULL,
    origin_repository          TEXT,
    origin_external_connection TEXT,
    display_name               TEXT,
    summary                    TEXT,
    home_page                  TEXT,
    source_code_repository     TEXT,
    licenses_json              TEXT,
    -- Also the index of ListPackageVersions by version; and what makes two concurrent creations
    -- of one version collide (the loser gets a unique violation → PreconditionFailed).
    UNIQUE (package_id, version)
);

-- ListPackageVersions by publish time, and the latest published version.
CREATE INDEX package_versions_by_published ON package_versions (package_id, published_ms, version);

CREATE TABLE assets (
    version_id BIGINT NOT NULL REFERENCES package_versions (id),
    name       TEXT COLLATE "C" NOT NULL,
    -- Denormalised (a repository never changes domain): "bytes of distinct blobs in domain D" and
    -- "is SHA-256 X referenced in domain D" are answered from assets_by_domain_blob alone.
    domain_id  BIGINT NOT NULL REFERENCES domains (id),
    size       BIGINT NOT NULL CHECK (size >= 0),
    md5        TEXT NOT NULL,
    sha1       TEXT NOT NULL,
    sha256     TEXT COLLATE "C" NOT NULL,
    sha512     TEXT NOT NULL,
    PRIMARY KEY (version_id, name)
);

CREATE INDEX assets_by_domain_blob ON assets (domain_id, sha256, size);

CREATE TABLE tags (
    resource_arn TEXT COLLATE "C" NOT NULL,
    key          TEXT COLLATE "C" NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)
);
