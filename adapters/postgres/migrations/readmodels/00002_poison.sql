-- +goose Up
-- Events a projector failed on after its retries, set aside so that it could
-- go on; fix the cause, then `smsinbox rebuild PROJECTOR`.
CREATE TABLE projection_poison (
    projector  text        NOT NULL,
    position   bigint      NOT NULL,
    event_id   uuid        NOT NULL,
    type       text        NOT NULL,
    reason     text        NOT NULL,
    set_aside_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projector, position)
);

-- +goose Down
DROP TABLE projection_poison;
