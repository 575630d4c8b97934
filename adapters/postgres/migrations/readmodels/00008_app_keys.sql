-- +goose Up
-- App keys (projector "directory"): what lets a company's other apps submit
-- forms. Only the SHA-256 of each secret is kept.
CREATE TABLE app_keys (
    id         text        PRIMARY KEY,
    company_id text        NOT NULL,
    app        text        NOT NULL,
    token_hash text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

-- +goose Down
DROP TABLE app_keys;
