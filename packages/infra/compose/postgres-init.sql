-- Run once by the postgres image on an empty volume, as the superuser `app`, in database `app`.
-- btree_gist backs EXCLUDE constraints; in template1 too so per-test databases inherit it.
CREATE EXTENSION IF NOT EXISTS btree_gist;
\connect template1
CREATE EXTENSION IF NOT EXISTS btree_gist;
