-- +goose Up
-- The event store. Every event has a version in its stream and a position in
-- one global order. Positions are handed out by es_append under the lock of
-- the single es_head row, which is held until commit: a later position can
-- only be written after every earlier one has committed (or rolled back and
-- given its positions back), so the global log becomes visible strictly in
-- order and a reader of "position > checkpoint" can never pass over an append
-- still in flight. Positions are gap-free.
CREATE TABLE es_head (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    position bigint  NOT NULL
);
INSERT INTO es_head (id, position) VALUES (true, 0);

CREATE TABLE es_streams (
    stream_id text   PRIMARY KEY,
    version   bigint NOT NULL
);

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
CREATE INDEX es_events_type ON es_events (type, position);

-- es_append appends events to one stream, or explains why not, without
-- raising: several calls share one transaction when appends are committed
-- together, and one refused append must not undo the others.
--   p_expected: -1 any, -2 no stream, -3 stream exists, >= 0 exact version.
--   status: 'ok', 'idempotent' (every event id already recorded, in this
--   stream, in this order: nothing new), 'conflict' (version holds the
--   stream's last version, -1 for none), 'duplicate' (an event id is recorded
--   elsewhere).
-- +goose StatementBegin
CREATE FUNCTION es_append(
    p_stream text, p_expected bigint, p_ids uuid[], p_types text[],
    p_schema_versions integer[], p_data text[], p_metadata text[], p_occurred_at timestamptz[],
    OUT status text, OUT version bigint, OUT "position" bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_head    bigint;
    v_current bigint;
    v_n       integer := coalesce(cardinality(p_ids), 0);
    v_found   integer;
    v_first   bigint;
    v_last    bigint;
BEGIN
    -- Take the head first: from here to commit this transaction is the only
    -- writer, so every check below reads everything committed before it.
    SELECT h.position INTO v_head FROM es_head h WHERE h.id FOR UPDATE;

    IF v_n > 0 THEN
        SELECT count(*), min(e.version), max(e.version), max(e.position)
          INTO v_found, v_first, v_last, "position"
          FROM es_events e WHERE e.event_id = ANY (p_ids);
        IF v_found > 0 THEN
            IF v_found = v_n AND NOT EXISTS (
                SELECT 1 FROM unnest(p_ids) WITH ORDINALITY AS i(id, n)
                  LEFT JOIN es_events e ON e.event_id = i.id
                 WHERE e.stream_id IS DISTINCT FROM p_stream OR e.version <> v_first + i.n - 1)
            THEN
                status := 'idempotent'; version := v_last;
            ELSE
                status := 'duplicate'; version := -1; "position" := 0;
            END IF;
            RETURN;
        END IF;
    END IF;

    SELECT s.version INTO v_current FROM es_streams s WHERE s.stream_id = p_stream;
    v_current := coalesce(v_current, -1);
    IF (p_expected = -2 AND v_current <> -1)
       OR (p_expected = -3 AND v_current = -1)
       OR (p_expected >= 0 AND v_current <> p_expected) THEN
        status := 'conflict'; version := v_current; "position" := 0;
        RETURN;
    END IF;
    IF v_n = 0 THEN
        status := 'ok'; version := v_current; "position" := v_head;
        RETURN;
    END IF;

    INSERT INTO es_events (position, event_id, stream_id, version, type, schema_version, data, metadata, occurred_at)
    SELECT v_head + i.n, i.id, p_stream, v_current + i.n, i.typ, i.sv, i.dat::json, i.meta::jsonb, i.occ
      FROM unnest(p_ids, p_types, p_schema_versions, p_data, p_metadata, p_occurred_at)
           WITH ORDINALITY AS i(id, typ, sv, dat, meta, occ, n);

    INSERT INTO es_streams AS s (stream_id, version) VALUES (p_stream, v_current + v_n)
        ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version;
    UPDATE es_head SET position = v_head + v_n WHERE id;
    -- One wake-up per transaction: identical notifications are folded.
    PERFORM pg_notify('es_appended', '');

    status := 'ok'; version := v_current + v_n; "position" := v_head + v_n;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION es_append;
DROP TABLE es_events;
DROP TABLE es_streams;
DROP TABLE es_head;
