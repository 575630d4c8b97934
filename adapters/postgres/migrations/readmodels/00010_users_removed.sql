-- +goose Up
-- Users may be removed (projector "directory"): the row stays, so that what
-- they did can still name them, and sign-in skips it. A rotated token
-- replaces token_hash in place.
ALTER TABLE users ADD COLUMN removed_at timestamptz;

-- +goose Down
ALTER TABLE users DROP COLUMN removed_at;
