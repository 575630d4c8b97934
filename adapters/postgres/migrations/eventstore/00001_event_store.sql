-- +goose Up
-- The event store. Every event has a version in its stream and a position in
-- one global order.
--
-- Ordering: es_append_batch takes one transaction-scoped advisory lock before
-- it reads the head and writes, and holds it until its transaction ends.
-- PostgreSQL makes a committed transaction visible before it releases its
-- locks, so a later position can only be written once every earlier one is
-- visible (or rolled back, when the next writer reuses its numbers). Readers
-- therefore see the log grow strictly in order and gap-free, across any number
-- of processes, and "position > checkpoint" can never pass over an append in
-- flight. No gap timeout is needed, so none can skip a live transaction.
CREATE TABLE es_events (
    position       bigint      PRIMARY KEY,
    event_id       uuid        NOT NULL UNIQUE,
    stream_id      text        NOT NULL,
    version        bigint      NOT NULL,
    type           text        NOT NULL,
    schema_version integer     NOT NULL,
    data           json        NOT NULL,  -- json, not jsonb: the bytes come back as written
    metadata       jsonb       NOT NULL,
    occurred_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (stream_id, version)
);

-- es_append_batch appends for several callers in one statement (the group
-- commit of one process's writer). Request r appends p_counts[r] events, taken
-- in order from the flat event arrays, to p_streams[r] if p_expected[r] holds
-- (-1 any, -2 no stream, -3 stream exists, >= 0 exact version). It answers one
-- row per request, in order, and never raises for a refused request, so one
-- refusal does not undo the others:
--   ok          appended; version and position of its last event
--   idempotent  every event id already recorded in this stream, in this order:
--               nothing new; the original version and position
--   conflict    the expected version did not hold; version is the stream's
--               last version (-1 for no stream)
--   duplicate   an event id is recorded elsewhere
-- +goose StatementBegin
CREATE FUNCTION es_append_batch(
    p_streams text[], p_expected bigint[], p_counts integer[],
    p_ids uuid[], p_types text[], p_schema_versions integer[], p_data text[], p_metadata text[], p_occurred_at timestamptz[])
RETURNS TABLE (status text, version bigint, "position" bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_head    bigint;
    v_current bigint;
    v_off     integer := 0;
    v_n       integer;
    v_found   integer;
    v_first   bigint;
    v_last    bigint;
    v_lastpos bigint;
    v_ids     uuid[];
BEGIN
    -- The writers' lock (see the top of this file), then the head: from here
    -- to commit this transaction is the only writer, so every check below
    -- reads all that was committed before it.
    PERFORM pg_advisory_xact_lock(7190312400178520001);
    SELECT coalesce(max(e.position), 0) INTO v_head FROM es_events e;
    FOR r IN 1 .. coalesce(cardinality(p_streams), 0) LOOP
        v_n := p_counts[r];
        v_ids := p_ids[v_off + 1 : v_off + v_n];
        v_found := 0;
        IF v_n > 0 THEN
            SELECT count(*), min(e.version), max(e.version), max(e.position)
              INTO v_found, v_first, v_last, v_lastpos
              FROM es_events e WHERE e.event_id = ANY (v_ids);
        END IF;
        IF v_found > 0 THEN
            IF v_found = v_n AND NOT EXISTS (
                SELECT 1 FROM unnest(v_ids) WITH ORDINALITY AS i(id, n)
                  LEFT JOIN es_events e ON e.event_id = i.id
                 WHERE e.stream_id IS DISTINCT FROM p_streams[r] OR e.version <> v_first + i.n - 1)
            THEN
                status := 'idempotent'; version := v_last; "position" := v_lastpos;
            ELSE
                status := 'duplicate'; version := -1; "position" := 0;
            END IF;
        ELSE
            SELECT max(e.version) INTO v_current FROM es_events e WHERE e.stream_id = p_streams[r];
            v_current := coalesce(v_current, -1);
            IF (p_expected[r] = -2 AND v_current <> -1)
               OR (p_expected[r] = -3 AND v_current = -1)
               OR (p_expected[r] >= 0 AND v_current <> p_expected[r]) THEN
                status := 'conflict'; version := v_current; "position" := 0;
            ELSIF v_n = 0 THEN
                status := 'ok'; version := v_current; "position" := v_head;
            ELSE
                INSERT INTO es_events (position, event_id, stream_id, version, type, schema_version, data, metadata, occurred_at)
                SELECT v_head + i.n, i.id, p_streams[r], v_current + i.n, i.typ, i.sv, i.dat::json, i.meta::jsonb, i.occ
                  FROM unnest(v_ids, p_types[v_off + 1 : v_off + v_n], p_schema_versions[v_off + 1 : v_off + v_n],
                              p_data[v_off + 1 : v_off + v_n], p_metadata[v_off + 1 : v_off + v_n], p_occurred_at[v_off + 1 : v_off + v_n])
                       WITH ORDINALITY AS i(id, typ, sv, dat, meta, occ, n);
                v_head := v_head + v_n;
                status := 'ok'; version := v_current + v_n; "position" := v_head;
            END IF;
        END IF;
        v_off := v_off + v_n;
        RETURN NEXT;
    END LOOP;
    PERFORM pg_notify('es_appended', '');
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION es_append_batch;
DROP TABLE es_events;
