-- +goose Up
-- Leads (projector "leads"): each customer's lead, one per (company, phone).
-- The thread's customer_name and lead_id are read from here (the queries
-- join it); the leads projector never writes the threads table.
CREATE TABLE leads (
    id             uuid        PRIMARY KEY,
    company_id     text        NOT NULL,
    customer_phone text        NOT NULL,
    thread_id      uuid        NOT NULL,
    first_name     text        NOT NULL,
    last_name      text        NOT NULL,
    email          text        NOT NULL,
    source         text        NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    UNIQUE (company_id, customer_phone)
);

-- +goose Down
DROP TABLE leads;
