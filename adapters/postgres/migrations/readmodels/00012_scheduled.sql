-- +goose Up
-- Scheduled messages. The inbox's messages keep when a scheduled one is due
-- and why a canceled one was (projector "inbox"); scheduled_messages holds
-- those not released nor canceled yet, which the due-scheduler reads by
-- send_at (projector "scheduled").
ALTER TABLE messages ADD COLUMN send_at timestamptz, ADD COLUMN cancel_reason text;

CREATE TABLE scheduled_messages (
    message_id     uuid        PRIMARY KEY,
    company_id     text        NOT NULL,
    customer_phone text        NOT NULL,
    send_at        timestamptz NOT NULL
);
CREATE INDEX scheduled_messages_due ON scheduled_messages (send_at, message_id);

-- +goose Down
DROP TABLE scheduled_messages;
ALTER TABLE messages DROP COLUMN cancel_reason, DROP COLUMN send_at;
