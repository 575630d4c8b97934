package projections

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// AssigneeFilter narrows the thread list by assignee: the zero value
// (AnyAssignee) lists every thread; Unassigned those without one; UserID
// those of that user.
type AssigneeFilter struct {
	Unassigned bool
	UserID     string
}

// AnyAssignee lists every thread.
var AnyAssignee = AssigneeFilter{}

// where is the filter's condition on threads, its value appended to args.
// Each form matches one of the partial indexes of migration 00014 exactly
// (assignee_id IS NULL, or = a user, which implies IS NOT NULL).
func (f AssigneeFilter) where(args *[]any) string {
	switch {
	case f.Unassigned:
		return ` AND assignee_id IS NULL`
	case f.UserID != "":
		*args = append(*args, f.UserID)
		return ` AND assignee_id = $` + strconv.Itoa(len(*args))
	}
	return ""
}

// Note is a staff note on a thread, as GET /api/threads/{id} shows it.
type Note struct {
	ID       uuid.UUID `json:"id"`
	AuthorID string    `json:"author_id"`
	// AuthorName is the author's name in the directory (a removed user's
	// too); empty in the moment before the directory knows them.
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

// Notes lists a thread's notes, oldest first.
func (q Queries) Notes(ctx context.Context, companyID string, threadID uuid.UUID) ([]Note, error) {
	rows, err := q.Pool.Query(ctx, notesSQL, companyID, threadID)
	if err != nil {
		return nil, fmt.Errorf("list notes: %w", err)
	}
	return scanNotes(rows)
}

// notesSQL lists the notes of a company's ($1) thread ($2).
const notesSQL = `SELECT n.id, n.author_id, coalesce(u.name, ''), n.body, n.created_at
		FROM notes n LEFT JOIN users u ON u.id = n.author_id AND u.company_id = n.company_id
		WHERE n.company_id = $1 AND n.thread_id = $2 ORDER BY n.created_at, n.position`

// scanNotes reads the rows of notesSQL and closes them.
func scanNotes(rows pgx.Rows) ([]Note, error) {
	defer rows.Close()
	out := []Note{}
	for rows.Next() {
		var n Note
		if err := rows.Scan(&n.ID, &n.AuthorID, &n.AuthorName, &n.Body, &n.CreatedAt); err != nil {
			return nil, fmt.Errorf("list notes: %w", err)
		}
		n.CreatedAt = n.CreatedAt.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

// CompanyUser is one of a company's current users, as GET /api/users lists
// them.
type CompanyUser struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// CompanyUsers lists the company's current (not removed) users by name.
func (q Queries) CompanyUsers(ctx context.Context, companyID string) ([]CompanyUser, error) {
	rows, err := q.Pool.Query(ctx, `SELECT id, name, role FROM users
		WHERE company_id = $1 AND removed_at IS NULL ORDER BY name, id`, companyID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []CompanyUser{}
	for rows.Next() {
		var u CompanyUser
		if err := rows.Scan(&u.ID, &u.Name, &u.Role); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// AssignedTo lists the customer phones of the company's threads assigned
// to userID, read in tx.
func (Queries) AssignedTo(ctx context.Context, tx pgx.Tx, companyID, userID string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT customer_phone FROM threads WHERE company_id = $1 AND assignee_id = $2 ORDER BY customer_phone`, companyID, userID)
	if err != nil {
		return nil, fmt.Errorf("threads of %s: %w", userID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
