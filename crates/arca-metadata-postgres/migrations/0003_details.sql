-- Per-package and per-version data beside the version rows (mirrors
-- arca-metadata-sqlite/migrations/0003_details.sql). Expand-only: new tables and a nullable
-- column (no default, so no table rewrite). Every new row references its version with
-- ON DELETE CASCADE, so a replica of the previous release, which deletes versions and packages
-- without knowing these tables, still can, and takes their rows with them.

-- npm dist-tags. A tag points at a version that exists (the composite key), and goes when it does.
CREATE TABLE dist_tags (
    package_id BIGINT NOT NULL,
    tag        TEXT COLLATE "C" NOT NULL,
    version    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (package_id, tag),
    FOREIGN KEY (package_id, version) REFERENCES package_versions (package_id, version)
        ON DELETE CASCADE
);

CREATE INDEX dist_tags_by_version ON dist_tags (package_id, version);

CREATE TABLE version_details (
    version_id BIGINT PRIMARY KEY REFERENCES package_versions (id) ON DELETE CASCADE,
    deprecated TEXT,
    readme     TEXT
);

CREATE TABLE version_dependencies (
    version_id          BIGINT NOT NULL REFERENCES package_versions (id) ON DELETE CASCADE,
    position            BIGINT NOT NULL,
    namespace           TEXT NOT NULL,
    package             TEXT NOT NULL,
    dependency_type     TEXT,
    version_requirement TEXT,
    PRIMARY KEY (version_id, position)
);

-- PyPI: the file's Requires-Python as uploaded.
ALTER TABLE assets ADD COLUMN requires_python TEXT;
