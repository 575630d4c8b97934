-- +goose Up
-- Search (projector "search"): what the Messages page's search box finds.
-- pg_trgm (trigram indexes, for digits anywhere in a phone number) and
-- btree_gin (a company's ID inside a GIN index, so that a word common
-- across companies is narrowed to one company inside the index) ship with
-- PostgreSQL's contrib; both are trusted extensions, so the database's
-- owner may create them without being a superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- Every text a thread shows (never the hidden opt-out confirmation, never
-- a text without words), with its words for full-text search.
CREATE TABLE search_messages (
    message_id uuid        PRIMARY KEY,
    company_id text        NOT NULL,
    thread_id  uuid        NOT NULL,
    body       text        NOT NULL,
    created_at timestamptz NOT NULL,
    words      tsvector    GENERATED ALWAYS AS (to_tsvector('english', body)) STORED
);
CREATE INDEX search_messages_words ON search_messages USING gin (company_id, words);
-- A company's texts newest first: for a common word the planner walks this
-- and stops at the page's end, rather than sorting thousands of matches.
CREATE INDEX search_messages_recent ON search_messages (company_id, created_at DESC, message_id DESC);

-- Every customer of a company: phone digits, name, and the thread's last
-- shown text and activity (null until the thread shows a message).
CREATE TABLE search_threads (
    thread_id        uuid        PRIMARY KEY,
    company_id       text        NOT NULL,
    customer_phone   text        NOT NULL,
    customer_name    text,
    last_activity_at timestamptz,
    last_text        text        NOT NULL DEFAULT '',
    phone_digits     text        GENERATED ALWAYS AS (ltrim(customer_phone, '+')) STORED,
    name_words       tsvector    GENERATED ALWAYS AS (to_tsvector('simple', coalesce(customer_name, ''))) STORED
);
CREATE INDEX search_threads_phone ON search_threads USING gin (company_id, phone_digits gin_trgm_ops);
CREATE INDEX search_threads_name ON search_threads USING gin (company_id, name_words);

-- +goose Down
DROP TABLE search_threads;
DROP TABLE search_messages;
