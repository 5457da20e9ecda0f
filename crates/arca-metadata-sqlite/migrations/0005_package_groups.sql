-- Package groups (mirrors the PostgreSQL twin). Expand-only: a new column with a constant default
-- and new tables; a replica of the previous release ignores them (it creates domains without their
-- root group, which the service adds when it first reads the domain's groups).

-- Changes with every write of the domain's groups: a reader that cached them compares it.
ALTER TABLE domains ADD COLUMN package_groups_revision INTEGER NOT NULL DEFAULT 0;

CREATE TABLE package_groups (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id              INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    -- Canonical pattern (the service parses and renders it), e.g. '/npm/acme/*'.
    pattern                TEXT    NOT NULL,
    created_ms             INTEGER NOT NULL,
    contact_info           TEXT,
    description            TEXT,
    -- ALLOW, BLOCK, ALLOW_SPECIFIC_REPOSITORIES or INHERIT.
    publish_mode           TEXT    NOT NULL,
    external_upstream_mode TEXT    NOT NULL,
    internal_upstream_mode TEXT    NOT NULL,
    UNIQUE (domain_id, pattern)
);

-- The allowed-repository lists (one per restriction type). Entries go with their group or their
-- repository.
CREATE TABLE package_group_repositories (
    group_id      INTEGER NOT NULL REFERENCES package_groups (id) ON DELETE CASCADE,
    restriction   TEXT    NOT NULL,
    repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, restriction, repository_id)
);

CREATE INDEX package_group_repositories_by_repository ON package_group_repositories (repository_id);

-- The root group of every existing domain.
INSERT INTO package_groups (domain_id, pattern, created_ms, publish_mode, external_upstream_mode,
                            internal_upstream_mode)
SELECT id, '/*', created_ms, 'ALLOW', 'ALLOW', 'ALLOW' FROM domains;
