package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// SubmitForm is an app form submission (POST /api/forms/submissions).
type SubmitForm struct {
	CompanyID string
	// Phone, already parsed (phone.Parse with the company's country).
	Phone                      phone.Number
	FirstName, LastName, Email string
	// OptIn: the opt-in box was ticked.
	OptIn bool
	// App is the app whose form it was; IP and UserAgent the submitter's,
	// when the app gave them.
	App, IP, UserAgent string
	// ConsentText is the disclosure the customer saw beside the opt-in box
	// (at most 2,000 characters) and PageURL the form's page (an http or
	// https URL), when the app gave them: a carrier's proof of opt-in.
	ConsentText, PageURL string
	// Actor submitted it ("user:<id>").
	Actor string
}

// FormResult is what a form submission did.
type FormResult struct {
	LeadID uuid.UUID
	// Consent is the customer's consent on the company's current number
	// after the submission.
	Consent consent.Status
	// Position is the last event the submission appended.
	Position eventstore.Position
}

// SubmitFormHandler records form submissions.
type SubmitFormHandler struct {
	store eventstore.Store
	now   func() time.Time
	texts Handler[QueueAutomatedText, eventstore.Position]
}

// NewSubmitFormHandler returns a handler that records in store and queues
// the confirmation requests through texts.
func NewSubmitFormHandler(store eventstore.Store, now func() time.Time, texts Handler[QueueAutomatedText, eventstore.Position]) *SubmitFormHandler {
	return &SubmitFormHandler{store: store, now: now, texts: texts}
}

// Handle checks the form (lead.CheckForm), keeps it in the lead's stream
// and, when the opt-in box was ticked and consent is no, requests consent
// (pending) and queues the confirmation request (reply YES). A company with sms_enabled false
// texts nothing: its opt-in is kept in the form and consent stays no. When
// consent is already pending (a form submitted again, or a retry of one that
// stopped before queuing), the confirmation request of the pending request
// is queued again, which records nothing when it was queued already.
func (h *SubmitFormHandler) Handle(ctx context.Context, cmd SubmitForm) (FormResult, error) {
	at := consentTime(h.now())
	form, err := lead.CheckForm(lead.FormSubmitted{
		CompanyID: cmd.CompanyID, Phone: cmd.Phone, FirstName: cmd.FirstName, LastName: cmd.LastName, Email: cmd.Email,
		OptIn: cmd.OptIn, App: cmd.App, IP: cmd.IP, UserAgent: cmd.UserAgent, ConsentText: cmd.ConsentText, PageURL: cmd.PageURL,
		Actor: cmd.Actor, SubmittedAt: at,
	})
	if err != nil {
		return FormResult{}, err
	}
	co, err := LoadCompany(ctx, h.store, cmd.CompanyID)
	if err != nil {
		return FormResult{}, failed("form of "+cmd.CompanyID, err)
	}
	doc, err := json.Marshal(form)
	if err != nil {
		return FormResult{}, err
	}
	res, err := h.store.Append(ctx, lead.StreamID(cmd.CompanyID, cmd.Phone), eventstore.Any(), eventstore.EventData{
		ID: uuid.Must(uuid.NewV7()), Type: form.EventType(), SchemaVersion: 1, Data: doc,
		Metadata: eventstore.Metadata{Actor: cmd.Actor}, OccurredAt: at,
	})
	if err != nil {
		return FormResult{}, fmt.Errorf("record form submission: %w", err)
	}
	out := FormResult{LeadID: form.LeadID, Position: res.Position}
	leadPos, err := submitLead(ctx, h.store, form, cmd.Actor)
	if err != nil {
		return FormResult{}, fmt.Errorf("record the form's lead: %w", err)
	}
	out.Position = max(out.Position, leadPos)
	stream := consent.StreamID(cmd.CompanyID, cmd.Phone)
	var state consent.State
	if cmd.OptIn && co.SMSEnabled {
		run, err := Execute(ctx, h.store, consentDecider, stream,
			consent.Command(consent.RequestConsent{
				CompanyID: cmd.CompanyID, CustomerPhone: cmd.Phone, MessagingNumber: co.MessagingNumber,
				CompanyName: co.Name, Texts: co.Texts(), App: form.App, IP: form.IP, UserAgent: form.UserAgent,
				ConsentText: form.ConsentText, PageURL: form.PageURL, Actor: cmd.Actor, At: at,
			}),
			eventstore.Metadata{CorrelationID: form.LeadID.String(), Actor: cmd.Actor})
		if err != nil {
			return FormResult{}, fmt.Errorf("request consent: %w", err)
		}
		state = run.State.State
		caused := appended(run)
		if len(caused) == 0 && state.Status == consent.StatusPending && state.MessagingNumber == co.MessagingNumber {
			caused = tail(run.State.History, func(r consentRecord) bool { return r.Event.EventType() == consent.TypeConsentRequested })
			if len(caused) > 1 {
				caused = caused[len(caused)-1:]
			}
		}
		pos, err := queueTexts(ctx, h.texts, automatedTexts(caused, form.LeadID.String()), max(out.Position, run.Position))
		if err != nil {
			return FormResult{}, err
		}
		out.Position = pos
	} else if state, err = LoadConsent(ctx, h.store, stream); err != nil {
		return FormResult{}, err
	}
	if state.MessagingNumber == co.MessagingNumber {
		out.Consent = state.Status
	}
	return out, nil
}
