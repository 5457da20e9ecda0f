-- Principals and permission policies (mirrors the PostgreSQL twin). Expand-only: new tables, which a
-- replica of the previous release ignores.

-- IAM-style users besides each account's root. The secret is sealed under the server secret (SigV4
-- needs the secret itself to verify a signature, so it cannot be a one-way hash).
CREATE TABLE principals (
    arn           TEXT    PRIMARY KEY,
    account       TEXT    NOT NULL,
    access_key_id TEXT    NOT NULL UNIQUE,
    sealed_secret TEXT    NOT NULL,
    policy        TEXT,
    org_id        TEXT,
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL
);

-- Domain (repository_id NULL) and repository permission policies; they go with their resource.
CREATE TABLE resource_policies (
    resource_arn  TEXT    PRIMARY KEY,
    domain_id     INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    repository_id INTEGER REFERENCES repositories (id) ON DELETE CASCADE,
    revision      TEXT    NOT NULL,
    document      TEXT    NOT NULL,
    updated_ms    INTEGER NOT NULL
);

CREATE INDEX resource_policies_by_repository ON resource_policies (repository_id);
