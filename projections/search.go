package projections

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// Search projects what the search box finds: every text a thread shows
// (search_messages: its words in a tsvector) and every customer
// (search_threads: phone digits, name, the thread's last shown text and
// activity). The hidden opt-out confirmation is never in it, nor a text
// without words (an MMS of media only), nor anything that is not a text
// (notes are other events, which it ignores).
type Search struct{}

func (Search) Name() string     { return "search" }
func (Search) Tables() []string { return []string{"search_messages", "search_threads"} }

func (Search) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	switch e.Type {
	case conversation.TypeMessageReceived, conversation.TypeOutboundMessageQueued:
		ev, err := conversation.Decode(e.Type, e.Data)
		if err != nil {
			return err
		}
		switch m := ev.(type) {
		case conversation.MessageReceived:
			return indexText(ctx, tx, m.MessageID, m.Thread, m.Body, len(m.Media), m.ReceivedAt)
		case conversation.OutboundMessageQueued:
			if m.Hidden {
				return nil
			}
			return indexText(ctx, tx, m.MessageID, m.Thread, m.Body, 0, m.QueuedAt)
		}
	case lead.TypeLeadCreated, lead.TypeLeadUpdated:
		ev, err := lead.Decode(e.Type, e.Data)
		if err != nil {
			return err
		}
		d, _ := lead.DetailsOf(ev)
		return indexName(ctx, tx, d)
	}
	return nil
}

// indexText records a shown text: its words (when it has any) and its
// thread's activity and last text, which move forward only.
func indexText(ctx context.Context, tx pgx.Tx, id uuid.UUID, t conversation.Thread, body string, media int, at time.Time) error {
	_, err := tx.Exec(ctx, `
INSERT INTO search_threads (thread_id, company_id, customer_phone, last_activity_at, last_text)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (thread_id) DO UPDATE SET
    last_text = CASE WHEN search_threads.last_activity_at IS NULL OR excluded.last_activity_at >= search_threads.last_activity_at
                     THEN excluded.last_text ELSE search_threads.last_text END,
    last_activity_at = greatest(search_threads.last_activity_at, excluded.last_activity_at)`,
		t.ThreadID, t.CompanyID, string(t.CustomerPhone), at, preview(body, media))
	if err != nil {
		return fmt.Errorf("search thread %s: %w", t.ThreadID, err)
	}
	if strings.TrimSpace(body) == "" {
		return nil
	}
	_, err = tx.Exec(ctx, `
INSERT INTO search_messages (message_id, company_id, thread_id, body, created_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (message_id) DO NOTHING`, id, t.CompanyID, t.ThreadID, body, at)
	if err != nil {
		return fmt.Errorf("search message %s: %w", id, err)
	}
	return nil
}

// indexName records the customer's name from their lead; a lead made
// before any text opens the customer's row, which the search shows only
// once the thread shows a text.
func indexName(ctx context.Context, tx pgx.Tx, d lead.Details) error {
	_, err := tx.Exec(ctx, `
INSERT INTO search_threads (thread_id, company_id, customer_phone, customer_name) VALUES ($1, $2, $3, $4)
ON CONFLICT (thread_id) DO UPDATE SET customer_name = excluded.customer_name`,
		d.ThreadID, d.CompanyID, string(d.CustomerPhone), d.FirstName+" "+d.LastName)
	if err != nil {
		return fmt.Errorf("search name %s: %w", d.ThreadID, err)
	}
	return nil
}

// SearchResult is one thing the search found: a message (MessageID set) or
// a thread whose customer's name or phone number matched (MessageID nil,
// Snippet the thread's last text, CreatedAt its last activity).
type SearchResult struct {
	ThreadID      uuid.UUID    `json:"thread_id"`
	MessageID     *uuid.UUID   `json:"message_id"`
	CustomerPhone phone.Number `json:"customer_phone"`
	// CustomerPhoneDisplay: as Thread's, for showing only.
	CustomerPhoneDisplay string  `json:"customer_phone_display"`
	CustomerName         *string `json:"customer_name"`
	// Snippet is plain text (never markup): a text of at most
	// snippetLength characters whole, else PostgreSQL's headline of it
	// around the words found.
	Snippet   string    `json:"snippet"`
	CreatedAt time.Time `json:"created_at"`
}
