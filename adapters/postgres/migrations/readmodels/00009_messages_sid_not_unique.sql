-- +goose Up
-- A Twilio SID is not unique among the inbox's messages: a text from one
-- company's number to another company's number (both on smsinbox's Twilio
-- account) is one message at Twilio, recorded as the sender's outbound
-- message and as the recipient's inbound one, with the same SID. The log
-- holds both; a unique index here made the inbox projector fail on the
-- second and set it aside. Messages are keyed by their ID alone, and no
-- query looks a message up by its SID (status callbacks find theirs through
-- the event store's SID index), so the column keeps no index at all.
ALTER TABLE messages DROP CONSTRAINT messages_twilio_sid_key;

-- +goose Down
ALTER TABLE messages ADD CONSTRAINT messages_twilio_sid_key UNIQUE (twilio_sid);
