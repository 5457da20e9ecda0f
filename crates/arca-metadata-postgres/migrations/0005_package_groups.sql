-- Package groups (mirrors the SQLite twin). Expand-only: a new column with a constant default
-- and new tables; a replica of the previous release ignores them (it creates domains without their
-- root group, which the service adds when it first reads the domain's groups).

-- Changes with every write of the domain's groups: a reader that cached them compares it.
ALTER TABLE domains ADD COLUMN package_groups_revision BIGINT NOT NULL DEFAULT 0;

CREATE TABLE package_groups (
    id                     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id              BIGINT  NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    -- Canonical pattern (the service parses and renders it), e.g. '/npm/acme/*'.
    pattern                TEXT COLLATE "C" NOT NULL,
    created_ms             BIGINT  NOT NULL,
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
    group_id      BIGINT  NOT NULL REFERENCES package_groups (id) ON DELETE CASCADE,
    restriction   TEXT COLLATE "C" NOT NULL,
    repository_id BIGINT  NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, restriction, repository_id)
);

CREATE INDEX package_group_repositories_by_repository ON package_group_repositories (repository_id);

-- The root group of every existing domain.
INSERT INTO package_groups (domain_id, pattern, created_ms, publish_mode, external_upstream_mode,
                            internal_upstream_mode)
SELECT id, '/*', created_ms, 'ALLOW', 'ALLOW', 'ALLOW' FROM domains;
