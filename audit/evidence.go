package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// EvidencePage is one page of a company's consent evidence (the carrier's
// export, GET /api/audit/consent/export.csv).
type EvidencePage struct {
	// Proofs are the consent changes of the page, in log order.
	Proofs []consent.Proof
	// Next is where the next page starts (the last event read).
	Next eventstore.Position
	// Done: the log holds nothing more for the export.
	Done bool
}

// evidenceScan bounds how many consent events of the company one page reads
// (most are kept; those outside the window are not), so that a page is short
// however few of them fall in the window.
const evidenceScan = 5000

// Evidence reads a page of the company's consent changes that
// occurred in [from, to), replayed from the event store's global log (never
// a read model): every event of the company's consent streams after
// position after, read as consent.ProofOf, at most limit of them. Paging
// keeps memory bounded whatever the company's history; each page is one or
// a few short reads of the log. Number changes are the ConsentVoided events
// that the number-change reactor records for every customer whose consent
// was on the previous number.
func Evidence(ctx context.Context, store eventstore.Store, companyID string, from, to time.Time, after eventstore.Position, limit int) (EvidencePage, error) {
	page := EvidencePage{Next: after}
	filter := eventstore.Filter{
		StreamPrefixes: []string{consent.StreamPrefix + companyID + "-"},
		EventTypes:     consent.EventTypes(),
	}
	scanned := 0
	for rec, err := range store.ReadAll(ctx, after, filter) {
		if err != nil {
			return page, fmt.Errorf("read the consent evidence of %s: %w", companyID, err)
		}
		page.Next = rec.Position
		scanned++
		ev, err := consent.Decode(rec.Type, rec.Data)
		if err != nil {
			return page, fmt.Errorf("consent evidence of %s: %s at position %d: %w", companyID, rec.Stream, rec.Position, err)
		}
		// A company ID that starts another's ("a" and "a-b") shares the
		// prefix: the event says whose it is.
		if ev.Base().CompanyID != companyID {
			continue
		}
		if at := ev.OccurredAt(); !at.Before(from) && at.Before(to) {
			if p, ok := consent.ProofOf(ev); ok {
				page.Proofs = append(page.Proofs, p)
			}
		}
		if len(page.Proofs) >= limit || scanned >= evidenceScan {
			return page, nil
		}
	}
	page.Done = true
	return page, nil
}
