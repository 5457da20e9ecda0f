-- Upstreams: the external connection of a repository (mirrors the PostgreSQL twin).
-- Expand-only: one nullable column; a replica of the previous release ignores it.

-- At most one per repository (AWS: "one external connection is allowed per repository"), hence a
-- column and not a table. NULL: none.
ALTER TABLE repositories ADD COLUMN external_connection TEXT;
