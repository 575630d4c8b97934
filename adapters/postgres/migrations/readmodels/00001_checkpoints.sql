-- +goose Up
-- Each projector's checkpoint: the global position of the last event it has
-- applied. A projector writes it in the same transaction as its read-model
-- changes, so a crash neither loses nor applies twice any event.
CREATE TABLE projection_checkpoints (
    projector  text        PRIMARY KEY,
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE projection_checkpoints;
