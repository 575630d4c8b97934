-- +goose Up
-- The directory: companies and their users (projector "directory").
CREATE TABLE companies (
    id               text        PRIMARY KEY,
    name             text        NOT NULL,
    messaging_number text        NOT NULL,
    time_zone        text        NOT NULL,
    sms_enabled      boolean     NOT NULL,
    country          text        NOT NULL,
    created_at       timestamptz NOT NULL
);

CREATE TABLE users (
    id         text        PRIMARY KEY,
    company_id text        NOT NULL,
    name       text        NOT NULL,
    role       text        NOT NULL,
    token_hash text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

-- The inbox: threads and their messages (projector "inbox").
CREATE TABLE threads (
    id                     uuid        PRIMARY KEY,
    company_id             text        NOT NULL,
    customer_phone         text        NOT NULL,
    customer_name          text,
    lead_id                uuid,
    unread                 boolean     NOT NULL DEFAULT false,
    archived               boolean     NOT NULL DEFAULT false,
    consent                text        NOT NULL DEFAULT 'no',
    last_activity_at       timestamptz NOT NULL,
    last_customer_reply_at timestamptz,
    last_message_preview   text        NOT NULL DEFAULT '',
    UNIQUE (company_id, customer_phone)
);
-- Inbox and Archived, newest activity first, paged by (last_activity_at, id).
CREATE INDEX threads_folder ON threads (company_id, archived, last_activity_at DESC, id DESC);

CREATE TABLE messages (
    id          uuid        PRIMARY KEY,
    thread_id   uuid        NOT NULL,
    company_id  text        NOT NULL,
    direction   text        NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    from_number text        NOT NULL,
    to_number   text        NOT NULL,
    body        text        NOT NULL,
    media       jsonb       NOT NULL DEFAULT '[]',
    status      text        NOT NULL,
    error_code  integer,
    automated   boolean     NOT NULL DEFAULT false,
    app         text        NOT NULL,
    hidden      boolean     NOT NULL DEFAULT false,  -- not shown in the thread (the opt-out confirmation)
    twilio_sid  text        UNIQUE,
    created_at  timestamptz NOT NULL,
    position    bigint      NOT NULL                 -- of the event that recorded it: a stable order
);
CREATE INDEX messages_thread ON messages (thread_id, created_at, position);
CREATE INDEX messages_company ON messages (company_id, created_at, position);

-- +goose Down
DROP TABLE messages;
DROP TABLE threads;
DROP TABLE users;
DROP TABLE companies;
