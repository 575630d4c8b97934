-- +goose Up
-- The live stream's read model (projector "live"): the last log position at
-- which each thread's view changed (a message in or out, a status, read,
-- unread, archive, consent, lead), and at which something company-wide
-- changed (the messaging number: every consent badge). GET /api/events reads
-- the rows of a company between two positions; a thread changed twice keeps
-- only its later position, which is all the stream needs (it sends states).
CREATE TABLE thread_changes (
    thread_id  uuid   PRIMARY KEY,
    company_id text   NOT NULL,
    position   bigint NOT NULL
);
CREATE INDEX thread_changes_company ON thread_changes (company_id, position);

CREATE TABLE company_changes (
    company_id text   PRIMARY KEY,
    position   bigint NOT NULL
);

-- +goose Down
DROP TABLE company_changes;
DROP TABLE thread_changes;
