package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// The consent audit (docs/rules.md, "Audit"): a customer's whole consent history
// replayed from the event store, never from a read model. It reads the
// customer's consent stream, the company's stream (for the numbers it has
// had) and, for the Twilio SIDs of automated texts, the conversation stream.

// TypeNumberChangeEntry is the type of an audit entry for a change of the
// company's messaging number that no ConsentVoided event of the customer's
// stream records (yet): the reactor has not reached it, or the customer had
// nothing to void.
const TypeNumberChangeEntry = company.TypeMessagingNumberChanged

// Entry is one entry of a consent audit.
type Entry struct {
	Type            string    `json:"type"`
	OccurredAt      time.Time `json:"occurred_at"`
	StatusBefore    string    `json:"status_before"`
	StatusAfter     string    `json:"status_after"`
	MessagingNumber string    `json:"messaging_number"`
	// Evidence is the event's evidence: the inbound text (message_sid, text,
	// to, keyword, opt_out_type), the form (app, submitted_at, ip,
	// user_agent), the number change (previous_number) or Twilio's refusal
	// of a carrier-level opt-out (carrier_opt_out, error_code, message_id).
	Evidence json.RawMessage `json:"evidence"`
	Actor    string          `json:"actor"`
	// AutomatedText is the text the event called for, null when none.
	AutomatedText *Text `json:"automated_text"`
	// EventID, StreamVersion and Position locate the event in the store
	// (the company's event for a number-change entry).
	EventID       uuid.UUID           `json:"event_id"`
	Stream        eventstore.StreamID `json:"stream"`
	StreamVersion uint64              `json:"stream_version"`
	Position      eventstore.Position `json:"position,string"`
	// PrevHash is the consent event's prev_hash (hash chain); "" otherwise.
	PrevHash string `json:"prev_hash,omitempty"`
}

// Text is an automated text of the audit: its words and, once Twilio
// has answered the send, its SID.
type Text struct {
	Kind          string    `json:"kind"`
	Text          string    `json:"text"`
	ShownInThread bool      `json:"shown_in_thread"`
	MessageID     uuid.UUID `json:"message_id"`
	// TwilioSID is null until smsinbox has recorded Twilio's answer.
	TwilioSID *string `json:"twilio_sid"`
}

// Number is one messaging number the company has had, and when.
type Number struct {
	Number phone.Number `json:"number"`
	From   time.Time    `json:"from"`
	// Until is null for the number in use.
	Until *time.Time `json:"until"`
}

// ChainCheck is the verdict on the hash chain of the customer's consent
// events.
type ChainCheck struct {
	Valid bool `json:"valid"`
	// Length is how many consent events the chain holds.
	Length int `json:"length"`
	// BrokenAt is the index in Events of the first entry whose event does
	// not match the chain (it was edited, or its predecessor was); null
	// when the chain is valid.
	BrokenAt *int   `json:"broken_at"`
	Reason   string `json:"reason,omitempty"`
}

// Report is the audit of one customer's consent with one company.
type Report struct {
	CompanyID string       `json:"company_id"`
	Phone     phone.Number `json:"phone"`
	// At is the instant StatusAt answers for (now when none was asked).
	At time.Time `json:"at"`
	// StatusAt is the consent at At, on MessagingNumberAt, the company's
	// number in use then.
	StatusAt          string       `json:"status_at"`
	MessagingNumberAt phone.Number `json:"messaging_number_at"`
	MessagingNumbers  []Number     `json:"messaging_numbers"`
	Events            []Entry      `json:"events"`
	Chain             ChainCheck   `json:"chain"`
}

// Consent replays the consent of customer with companyID from the event
// store: every consent event in order, the company's number changes, the
// status at instant at, and the verdict on the hash chain. A company that
// does not exist matches company.ErrCompanyNotFound; a customer the company
// never had has no events and status no.
func Consent(ctx context.Context, store eventstore.Store, companyID string, customer phone.Number, at time.Time) (Report, error) {
	co, err := company.FromHistory(companyID, store.ReadStream(ctx, company.StreamID(companyID), 0))
	if err != nil {
		return Report{}, err
	}
	numbers, changes, err := numberHistory(ctx, store, companyID)
	if err != nil {
		return Report{}, err
	}
	a := Report{CompanyID: co.CompanyID, Phone: customer, At: at.UTC(), MessagingNumbers: numbers, Events: []Entry{}}

	var recs []eventstore.RecordedEvent
	for rec, err := range store.ReadStream(ctx, consent.StreamID(companyID, customer), 0) {
		if err != nil {
			return Report{}, fmt.Errorf("read consent of %s: %w", customer, err)
		}
		recs = append(recs, rec)
	}
	stored := make([]consent.StoredEvent, len(recs))
	for i, rec := range recs {
		stored[i] = consent.StoredEvent{Type: rec.Type, Data: rec.Data, OccurredAt: rec.OccurredAt}
	}
	chain := consent.VerifyChain(stored)
	breakAt := chain.BrokenAt
	a.Chain.Valid, a.Chain.Reason = chain.Valid(), chain.Reason

	var consentEntries []Entry
	var decoded []consent.Event
	for i, rec := range recs {
		entry := Entry{
			Type: rec.Type, OccurredAt: rec.OccurredAt.UTC(), EventID: rec.ID, Stream: rec.Stream,
			StreamVersion: rec.Version, Position: rec.Position, PrevHash: chain.Links[i].PrevHash, Evidence: json.RawMessage("null"),
		}
		if ev, err := consent.Decode(rec.Type, rec.Data); err == nil {
			fillEntry(&entry, rec.ID, ev)
			decoded = append(decoded, ev)
		}
		consentEntries = append(consentEntries, entry)
	}
	a.Chain.Length = len(consentEntries)

	// Number changes that no ConsentVoided records are entries of their own,
	// once the customer has a consent history to void.
	covered := make([]bool, len(changes))
	for _, e := range decoded {
		v, ok := e.(consent.ConsentVoided)
		if !ok {
			continue
		}
		for j, c := range changes {
			if !covered[j] && c.change.PreviousNumber == v.NumberChange.PreviousNumber && c.change.MessagingNumber == v.MessagingNumber {
				covered[j] = true
				break
			}
		}
	}
	var first time.Time
	if len(consentEntries) > 0 {
		first = consentEntries[0].OccurredAt
	}
	ci := 0
	var state consent.State
	di := 0
	for j, c := range changes {
		if covered[j] || len(consentEntries) == 0 || c.change.At.Before(first) {
			continue
		}
		for ci < len(consentEntries) && !consentEntries[ci].OccurredAt.After(c.change.At) {
			if ci == breakAt && a.Chain.BrokenAt == nil {
				n := len(a.Events)
				a.Chain.BrokenAt = &n
			}
			a.Events = append(a.Events, consentEntries[ci])
			if consentEntries[ci].StatusAfter != "" {
				state = consent.Evolve(state, decoded[di])
				di++
			}
			ci++
		}
		before := consent.StatusNo
		if state.MessagingNumber == c.change.PreviousNumber {
			before = state.Status
		}
		evidence, _ := json.Marshal(map[string]phone.Number{"previous_number": c.change.PreviousNumber, "messaging_number": c.change.MessagingNumber})
		a.Events = append(a.Events, Entry{
			Type: TypeNumberChangeEntry, OccurredAt: c.change.At.UTC(), StatusBefore: before.String(), StatusAfter: consent.StatusNo.String(),
			MessagingNumber: string(c.change.MessagingNumber), Evidence: evidence, Actor: consent.ActorSystem,
			EventID: c.rec.ID, Stream: c.rec.Stream, StreamVersion: c.rec.Version, Position: c.rec.Position,
		})
	}
	for ; ci < len(consentEntries); ci++ {
		if ci == breakAt && a.Chain.BrokenAt == nil {
			n := len(a.Events)
			a.Chain.BrokenAt = &n
		}
		a.Events = append(a.Events, consentEntries[ci])
	}

	if err := findTextSIDs(ctx, store, companyID, customer, a.Events); err != nil {
		return Report{}, err
	}

	status, number := consent.StatusAt(decoded, a.At)
	a.MessagingNumberAt = numberAt(numbers, a.At)
	if number == a.MessagingNumberAt && number != "" {
		a.StatusAt = status.String()
	} else {
		a.StatusAt = consent.StatusNo.String()
	}
	return a, nil
}

// fillEntry sets what a decoded consent event says.
func fillEntry(entry *Entry, id uuid.UUID, ev consent.Event) {
	c := ev.Base()
	entry.StatusBefore, entry.StatusAfter = c.StatusBefore.String(), c.StatusAfter.String()
	entry.MessagingNumber, entry.Actor = string(c.MessagingNumber), c.Actor
	entry.OccurredAt = c.At.UTC()
	if ev, err := json.Marshal(ev.Evidence()); err == nil {
		entry.Evidence = ev
	}
	if c.AutomatedText != consent.TextNone && c.AutomatedText != "" {
		entry.AutomatedText = &Text{
			Kind: string(c.AutomatedText), Text: c.AutomatedTextBody, ShownInThread: c.AutomatedText.ShownInThread(),
			MessageID: consent.AutomatedMessageID(id),
		}
	}
}

// numberChange is a MessagingNumberChanged of the company stream.
type numberChange struct {
	change company.MessagingNumberChanged
	rec    eventstore.RecordedEvent
}

// numberHistory reads the company's numbers and their changes, in order.
func numberHistory(ctx context.Context, store eventstore.Store, companyID string) ([]Number, []numberChange, error) {
	var numbers []Number
	var changes []numberChange
	for rec, err := range store.ReadStream(ctx, company.StreamID(companyID), 0) {
		if err != nil {
			return nil, nil, fmt.Errorf("read company %s: %w", companyID, err)
		}
		if rec.Type != company.TypeCompanyCreated && rec.Type != company.TypeMessagingNumberChanged {
			continue
		}
		ev, err := company.Decode(rec.Type, rec.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("read company %s: %w", companyID, err)
		}
		switch ev := ev.(type) {
		case company.CompanyCreated:
			numbers = append(numbers, Number{Number: ev.MessagingNumber, From: ev.At.UTC()})
		case company.MessagingNumberChanged:
			at := ev.At.UTC()
			if n := len(numbers); n > 0 {
				numbers[n-1].Until = &at
			}
			numbers = append(numbers, Number{Number: ev.MessagingNumber, From: at})
			changes = append(changes, numberChange{change: ev, rec: rec})
		}
	}
	return numbers, changes, nil
}

// numberAt is the number in use at t ("" before the company existed).
func numberAt(numbers []Number, t time.Time) phone.Number {
	var n phone.Number
	for _, p := range numbers {
		if p.From.After(t) {
			break
		}
		n = p.Number
	}
	return n
}

// findTextSIDs fills in the Twilio SIDs of the entries' automated texts,
// from the conversation's outbound events (the automated text's message ID
// is consent.AutomatedMessageID of its consent event).
func findTextSIDs(ctx context.Context, store eventstore.Store, companyID string, customer phone.Number, entries []Entry) error {
	texts := map[uuid.UUID]*Text{}
	for i := range entries {
		if t := entries[i].AutomatedText; t != nil {
			texts[t.MessageID] = t
		}
	}
	if len(texts) == 0 {
		return nil
	}
	for rec, err := range store.ReadStream(ctx, conversation.StreamID(companyID, customer), 0) {
		if err != nil {
			return fmt.Errorf("read conversation of %s: %w", customer, err)
		}
		if rec.Type != conversation.TypeOutboundMessageSent && rec.Type != conversation.TypeOutboundMessageStatusChanged {
			continue
		}
		var doc struct {
			MessageID uuid.UUID `json:"message_id"`
			TwilioSID string    `json:"twilio_sid"`
		}
		if json.Unmarshal(rec.Data, &doc) != nil || doc.TwilioSID == "" {
			continue
		}
		if t, ok := texts[doc.MessageID]; ok && t.TwilioSID == nil {
			sid := doc.TwilioSID
			t.TwilioSID = &sid
		}
	}
	return nil
}
