-- +goose Up
-- Templates (projector "templates"): each company's live canned replies;
-- a deleted one's row goes. The picker lists them by name.
CREATE TABLE templates (
    id         uuid        PRIMARY KEY,
    company_id text        NOT NULL,
    name       text        NOT NULL,
    body       text        NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX templates_company ON templates (company_id, lower(name), id);

-- A staff text filled from a template names it (projector "inbox").
ALTER TABLE messages ADD COLUMN template_id uuid;

-- +goose Down
ALTER TABLE messages DROP COLUMN template_id;
DROP TABLE templates;
