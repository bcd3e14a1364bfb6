-- Companion GIN indexes for FerretDB v1's postgresql handler. Applied by infra.sh to the
-- `ferretdb` database of the local cluster once per cluster and version of this file (idempotent:
-- safe to run again, e.g. `psql -h 127.0.0.1 -p 55432 -U ferretdb ferretdb -f gin-indexes.sql`).
--
-- Why: FerretDB v1 stores each document as `_jsonb` and creates B-tree indexes on expressions
-- like (_jsonb -> '_id'), but it pushes equality filters down as
--     _jsonb -> '_id' @> '"value"'
-- and a B-tree cannot serve `@>`, so every find/update/delete by _id or by an indexed field was a
-- sequential scan. A GIN index on the same expressions serves `@>`. Each FerretDB B-tree index on
-- top-level fields gets a companion GIN index on the same fields; the B-tree stays (it enforces
-- uniqueness and serves FerretDB's own `=`/`IN` lookups by _id).
--
-- The companion is invisible to MongoDB clients (FerretDB lists indexes from its own metadata),
-- is created and dropped together with its B-tree (event triggers below), and does not change
-- any result: PostgreSQL rechecks the condition on every row it returns. Needs
-- plan_cache_mode = force_custom_plan (set by infra.sh): FerretDB passes the field name as a
-- query parameter, and only a custom plan sees the literal expression the index is on.

CREATE OR REPLACE FUNCTION public.careloop_gin_name(btree_index name) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT 'careloop_gin_' || substr(md5(btree_index), 1, 20) $$;

-- Creates the companion GIN index of one B-tree index if all its keys are `_jsonb -> 'field'`.
CREATE OR REPLACE FUNCTION public.careloop_add_gin(btree_oid oid) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  idx record;
  k int;
  expr text;
  exprs text[] := '{}';
BEGIN
  SELECT i.indrelid, i.indnkeyatts, ic.relname AS index_name, tc.relname AS table_name,
         n.nspname AS schema_name, am.amname
    INTO idx
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_class tc ON tc.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = tc.relnamespace
    JOIN pg_am am ON am.oid = ic.relam
   WHERE i.indexrelid = btree_oid;
  IF NOT FOUND OR idx.amname <> 'btree' OR idx.index_name LIKE 'careloop\_gin\_%'
     OR idx.table_name LIKE '\_ferretdb\_%' OR idx.schema_name IN ('pg_catalog', 'information_schema') THEN
    RETURN;
  END IF;
  FOR k IN 1 .. idx.indnkeyatts LOOP
    expr := pg_get_indexdef(btree_oid, k, true);
    -- top-level fields only: FerretDB does not push down dotted paths
    IF expr !~ '^\(_jsonb -> ''([^'']|'''')*''::text\)$' THEN
      RETURN;
    END IF;
    exprs := exprs || expr;
  END LOOP;
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin (%s) WITH (fastupdate = off)',
                 public.careloop_gin_name(idx.index_name), idx.schema_name, idx.table_name,
                 array_to_string(exprs, ', '));
EXCEPTION WHEN others THEN
  -- never fail FerretDB's own statement because of an optional index
  RAISE WARNING 'careloop: no GIN companion for index %: %', btree_oid::regclass, SQLERRM;
END
$fn$;

CREATE OR REPLACE FUNCTION public.careloop_on_create_index() RETURNS event_trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  cmd record;
BEGIN
  FOR cmd IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index' LOOP
    PERFORM public.careloop_add_gin(cmd.objid);
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION public.careloop_on_drop_index() RETURNS event_trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  obj record;
  gin text;
BEGIN
  -- only an explicit DROP INDEX; dropping a table or schema drops the companions with it
  FOR obj IN SELECT schema_name, object_name FROM pg_event_trigger_dropped_objects()
              WHERE object_type = 'index' AND original AND object_name NOT LIKE 'careloop\_gin\_%' LOOP
    gin := public.careloop_gin_name(obj.object_name);
    IF to_regclass(format('%I.%I', obj.schema_name, gin)) IS NOT NULL THEN
      EXECUTE format('DROP INDEX %I.%I', obj.schema_name, gin);
    END IF;
  END LOOP;
END
$fn$;

DROP EVENT TRIGGER IF EXISTS careloop_gin_create;
CREATE EVENT TRIGGER careloop_gin_create ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION public.careloop_on_create_index();

DROP EVENT TRIGGER IF EXISTS careloop_gin_drop;
CREATE EVENT TRIGGER careloop_gin_drop ON sql_drop WHEN TAG IN ('DROP INDEX')
  EXECUTE FUNCTION public.careloop_on_drop_index();

-- Backfill: B-tree indexes created while the triggers were missing (e.g. an older cluster).
DO $$
BEGIN
  PERFORM public.careloop_add_gin(i.indexrelid)
     FROM pg_index i
     JOIN pg_class ic ON ic.oid = i.indexrelid
     JOIN pg_am am ON am.oid = ic.relam
     JOIN pg_namespace n ON n.oid = ic.relnamespace
    WHERE am.amname = 'btree' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND to_regclass(format('%I.%I', n.nspname, public.careloop_gin_name(ic.relname))) IS NULL;
END
$$;
