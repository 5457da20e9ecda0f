-- Upstreams: the external connection of a repository (mirrors the SQLite twin).
-- Expand-only: one nullable column without a default (no table rewrite); a replica of the previous
-- release ignores it.

-- At most one per repository (AWS: "one external connection is allowed per repository"), hence a
-- column and not a table. NULL: none. Never ordered, compared as a range or unique, so no COLLATE "C".
ALTER TABLE repositories ADD COLUMN external_connection TEXT;
