package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ConsentView is the answer of GET /api/consent/{phone} (api/openapi.yaml).
type ConsentView struct {
	Phone           string     `json:"phone"`
	Status          string     `json:"status"`
	MessagingNumber string     `json:"messaging_number"`
	UpdatedAt       *time.Time `json:"updated_at"`
}

// Consent reads a customer's consent with the company: its status on the
// company's current messaging number (currentNumber). A customer the
// company never had is no, on that number, never updated; so is one whose
// status belongs to a former number.
func (q Queries) Consent(ctx context.Context, companyID, customerPhone, currentNumber string) (ConsentView, error) {
	v := ConsentView{Phone: customerPhone, Status: "no", MessagingNumber: currentNumber}
	var number, status string
	var updated time.Time
	err := q.Pool.QueryRow(ctx, `SELECT messaging_number, status, updated_at FROM consents
		WHERE company_id = $1 AND customer_phone = $2`, companyID, customerPhone).Scan(&number, &status, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, nil
	}
	if err != nil {
		return v, fmt.Errorf("read consent: %w", err)
	}
	if number == currentNumber {
		u := updated.UTC()
		v.Status, v.UpdatedAt = status, &u
	}
	return v, nil
}

// ConsentCustomers lists the customers of a company whose consent belongs to
// number (the reactor voids them when the company leaves that number).
func (q Queries) ConsentCustomers(ctx context.Context, tx pgx.Tx, companyID, number string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT customer_phone FROM consents WHERE company_id = $1 AND messaging_number = $2 ORDER BY customer_phone`, companyID, number)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
