package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/template"
)

// Templates projects each company's live templates (canned replies) into
// the templates table.
type Templates struct{}

func (Templates) Name() string     { return "templates" }
func (Templates) Tables() []string { return []string{"templates"} }

func (Templates) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	switch e.Type {
	case template.TypeTemplateCreated, template.TypeTemplateUpdated, template.TypeTemplateDeleted:
	default:
		return nil
	}
	ev, err := template.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	switch ev := ev.(type) {
	case template.TemplateCreated:
		err = saveTemplate(ctx, tx, ev.TemplateID, ev.CompanyID, ev.Name, ev.Body, ev.At)
	case template.TemplateUpdated:
		err = saveTemplate(ctx, tx, ev.TemplateID, ev.CompanyID, ev.Name, ev.Body, ev.At)
	case template.TemplateDeleted:
		_, err = tx.Exec(ctx, `DELETE FROM templates WHERE id = $1`, ev.TemplateID)
	}
	if err != nil {
		return fmt.Errorf("templates %s: %w", e.Type, err)
	}
	return nil
}

func saveTemplate(ctx context.Context, tx pgx.Tx, id uuid.UUID, companyID, name, body string, at time.Time) error {
	_, err := tx.Exec(ctx, `
INSERT INTO templates (id, company_id, name, body, updated_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, body = excluded.body, updated_at = excluded.updated_at`,
		id, companyID, name, body, at)
	return err
}

// TemplateView is a template as GET /api/templates lists it.
type TemplateView struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Body      string    `json:"body"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Templates lists the company's templates by name (case-insensitive).
func (q Queries) Templates(ctx context.Context, companyID string) ([]TemplateView, error) {
	rows, err := q.Pool.Query(ctx, `SELECT id, name, body, updated_at FROM templates
		WHERE company_id = $1 ORDER BY lower(name), id`, companyID)
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (TemplateView, error) {
		var t TemplateView
		err := row.Scan(&t.ID, &t.Name, &t.Body, &t.UpdatedAt)
		t.UpdatedAt = t.UpdatedAt.UTC()
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	return out, nil
}
