-- +goose Up
-- Consent (projector "consent"): each customer's consent as its stream last
-- said, and the messaging number that status belongs to. A status counts
-- only while messaging_number is the company's current number (queries
-- check it against companies.messaging_number); otherwise it is 'no'.
CREATE TABLE consents (
    company_id       text        NOT NULL,
    customer_phone   text        NOT NULL,
    messaging_number text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('no', 'pending', 'yes')),
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (company_id, customer_phone)
);

-- +goose Down
DROP TABLE consents;
