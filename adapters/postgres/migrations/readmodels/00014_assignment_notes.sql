-- +goose Up
-- The team inbox (projector "inbox"): a thread's assignee, and staff notes.
ALTER TABLE threads ADD COLUMN assignee_id text;

-- The thread list filtered by assignee, newest activity first, paged by
-- (last_activity_at, id) like threads_folder: "unassigned" reads the partial
-- index of threads without one, "me" or a user the one of assigned threads,
-- so a page costs the same however many threads the company has.
CREATE INDEX threads_unassigned ON threads (company_id, archived, last_activity_at DESC, id DESC)
    WHERE assignee_id IS NULL;
CREATE INDEX threads_assignee ON threads (company_id, assignee_id, archived, last_activity_at DESC, id DESC)
    WHERE assignee_id IS NOT NULL;

-- Notes are not messages: a table of their own, which no export, preview or
-- search reads.
CREATE TABLE notes (
    id         uuid        PRIMARY KEY,
    thread_id  uuid        NOT NULL,
    company_id text        NOT NULL,
    author_id  text        NOT NULL,
    body       text        NOT NULL,
    created_at timestamptz NOT NULL,
    position   bigint      NOT NULL  -- of the event that recorded it: a stable order
);
CREATE INDEX notes_thread ON notes (thread_id, created_at, position);

-- +goose Down
DROP TABLE notes;
DROP INDEX threads_assignee;
DROP INDEX threads_unassigned;
ALTER TABLE threads DROP COLUMN assignee_id;
