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
LANGUAGE plpgsql
-- Every lookup below is by index. A generic plan cached while the table was
-- small would scan it whole once it is large (seen: 10x slower appends), so
-- the plans may not choose a sequential scan.
SET enable_seqscan = off
AS $$
DECLARE
    v_requests  integer := coalesce(cardinality(p_streams), 0);
    v_head      bigint;
    v_found     uuid[];    -- event ids of this batch already recorded
    v_names     text[];    -- distinct streams of the batch ...
    v_versions  bigint[];  -- ... and their last versions as the batch goes
    v_slot      integer;
    v_current   bigint;
    v_off       integer := 0;
    v_n         integer;
    v_ids       uuid[];
    v_cnt       integer;
    v_first     bigint;
    v_last      bigint;
    v_lastpos   bigint;
    -- the rows to insert, one entry per accepted event
    r_event     integer[] := '{}';
    r_position  bigint[]  := '{}';
    r_stream    text[]    := '{}';
    r_version   bigint[]  := '{}';
BEGIN
    -- The writers' lock (see the top of this file), then the head: from here
    -- to commit this transaction is the only writer, so every check below
    -- reads all that was committed before it.
    PERFORM pg_advisory_xact_lock(7190312400178520001);
    SELECT coalesce(max(e.position), 0) INTO v_head FROM es_events e;

    -- Set-based lookups for the whole batch: which ids are recorded already
    -- (normally none), and where each stream stands.
    SELECT coalesce(array_agg(e.event_id), '{}') INTO v_found FROM es_events e WHERE e.event_id = ANY (p_ids);
    SELECT array_agg(s.name), array_agg(coalesce((SELECT max(e.version) FROM es_events e WHERE e.stream_id = s.name), -1))
      INTO v_names, v_versions
      FROM (SELECT DISTINCT unnest(p_streams) AS name) s;

    FOR r IN 1 .. v_requests LOOP
        v_n := p_counts[r];
        v_ids := p_ids[v_off + 1 : v_off + v_n];
        v_slot := array_position(v_names, p_streams[r]);
        v_current := v_versions[v_slot];
        IF v_n > 0 AND v_ids && v_found THEN
            -- A retry (every id recorded in this stream, in this order) or a
            -- clash with events recorded elsewhere.
            SELECT count(*), min(e.version), max(e.version), max(e.position)
              INTO v_cnt, v_first, v_last, v_lastpos
              FROM es_events e WHERE e.event_id = ANY (v_ids);
            IF v_cnt = v_n AND NOT EXISTS (
                SELECT 1 FROM unnest(v_ids) WITH ORDINALITY AS i(id, n)
                  LEFT JOIN es_events e ON e.event_id = i.id
                 WHERE e.stream_id IS DISTINCT FROM p_streams[r] OR e.version <> v_first + i.n - 1)
            THEN
                status := 'idempotent'; version := v_last; "position" := v_lastpos;
            ELSE
                status := 'duplicate'; version := -1; "position" := 0;
            END IF;
        ELSIF (p_expected[r] = -2 AND v_current <> -1)
           OR (p_expected[r] = -3 AND v_current = -1)
           OR (p_expected[r] >= 0 AND v_current <> p_expected[r]) THEN
            status := 'conflict'; version := v_current; "position" := 0;
        ELSE
            FOR i IN 1 .. v_n LOOP
                r_event := r_event || (v_off + i);
                r_position := r_position || (v_head + i);
                r_stream := r_stream || p_streams[r];
                r_version := r_version || (v_current + i);
            END LOOP;
            v_head := v_head + v_n;
            v_versions[v_slot] := v_current + v_n;
            status := 'ok'; version := v_current + v_n; "position" := v_head;
        END IF;
        v_off := v_off + v_n;
        RETURN NEXT;
    END LOOP;

    IF cardinality(r_event) > 0 THEN
        INSERT INTO es_events (position, event_id, stream_id, version, type, schema_version, data, metadata, occurred_at)
        SELECT a.pos, p_ids[a.ev], a.stream, a.ver, p_types[a.ev], p_schema_versions[a.ev],
               p_data[a.ev]::json, p_metadata[a.ev]::jsonb, p_occurred_at[a.ev]
          FROM unnest(r_event, r_position, r_stream, r_version) AS a(ev, pos, stream, ver);
        -- One wake-up per transaction: identical notifications are folded.
        PERFORM pg_notify('es_appended', '');
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION es_append_batch;
DROP TABLE es_events;
