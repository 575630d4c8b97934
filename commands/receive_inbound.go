package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/unrouted"
)

// Router finds the company that owns a messaging number, current or former.
type Router func(ctx context.Context, number phone.Number) (companyID string, found bool, err error)

// ReceiveInboundDeps are what ReceiveInboundHandler works with.
type ReceiveInboundDeps struct {
	Store  eventstore.Store
	Route  Router
	Now    func() time.Time
	Logger *slog.Logger
	// Texts queues the automated texts of consent (confirmations, help
	// reply). Without it none is queued and inbound texts that call for one
	// fail (so that Twilio delivers them again once it is there).
	Texts Handler[QueueAutomatedText, eventstore.Position]
	// CancelUnsent cancels the staff texts an opt-out stops.
	CancelUnsent Handler[CancelUnsent, eventstore.Position]
	// Companies remembers company states for the look at the company's
	// settings on every text (consent texts, auto-reply): each text's
	// append learns the company stream's version with its commit, and the
	// remembered state is used when it is that current (LoadCompany on
	// every text when nil).
	Companies *CompanyStates
	// HandOverWait bounds how long the answer to an opt-out text waits for
	// the staff texts whose call to Twilio was under way when it was
	// recorded (DefaultHandOverWait when 0; negative: no wait).
	HandOverWait time.Duration
}

// ReceiveInboundHandler records a text that Twilio delivered, then lets the
// customer's consent decide on it and queues the automated texts it calls
// for (POST /webhooks/twilio/sms). Its command is an InboundText.
type ReceiveInboundHandler struct {
	ReceiveInboundDeps
	// numbers remembers the numbers read before: the company's number comes
	// with every text, a customer's with each of theirs.
	numbers *phone.Memo
}

// NewReceiveInboundHandler returns a handler that works with d.
func NewReceiveInboundHandler(d ReceiveInboundDeps) *ReceiveInboundHandler {
	return &ReceiveInboundHandler{ReceiveInboundDeps: d, numbers: phone.NewMemo(0)}
}

// DefaultHandOverWait is ReceiveInboundDeps.HandOverWait's default: below
// Twilio's 15 s webhook time-out.
const DefaultHandOverWait = 10 * time.Second

// InboundText is a text a customer sent to a messaging number, as the HTTP
// layer read it from Twilio's webhook (adapters/httpapi maps it): the use
// case knows no carrier's wire format.
type InboundText struct {
	// MessageSID is the carrier's identity of the message: a webhook
	// delivered again carries the same one, and so records nothing twice.
	MessageSID string
	// From is the customer and To the company's number, as the carrier
	// sent them (E.164 normally; a short code or a channel address such as
	// "whatsapp:+1..." is no phone number, and goes to the unrouted stream).
	From, To string
	// Body is the text, possibly empty (an MMS without text).
	Body string
	// NumSegments is the number of SMS segments, 0 when the carrier did not
	// say.
	NumSegments int
	// Media are the items of an MMS, in order.
	Media []conversation.Media
	// OptOutType is the carrier's own opt-out verdict ("STOP", "START",
	// "HELP"), "" when it took none.
	OptOutType string
	// Params is every parameter the carrier sent, kept as the evidence of a
	// text no company took.
	Params map[string][]string
}

// numbers reads From and To as phone numbers (both are E.164 for ordinary
// SMS, so no region is needed) through memo; errors match phone.ErrInvalid.
func (in InboundText) numbers(memo *phone.Memo) (from, to phone.Number, err error) {
	if from, err = memo.Parse(in.From, phone.DefaultRegion); err != nil {
		return "", "", fmt.Errorf("From: %w", err)
	}
	if to, err = memo.Parse(in.To, phone.DefaultRegion); err != nil {
		return "", "", fmt.Errorf("To: %w", err)
	}
	return from, to, nil
}

// InboundResult says where a text went.
type InboundResult struct {
	Routed    bool
	CompanyID string
	ThreadID  uuid.UUID
	// Position is the last event the text appended (or the stream's last
	// event when a retried webhook appended nothing).
	Position eventstore.Position
}

var messageIDNamespace = uuid.MustParse("9a7f54a4-3c55-4f43-8f8e-3f1e6c1c2b77")

// InboundMessageID is the message ID of the text with Twilio's MessageSid,
// the same for every copy of the webhook.
func InboundMessageID(messageSID string) uuid.UUID {
	return uuid.NewSHA1(messageIDNamespace, []byte(messageSID))
}

// Handle records in, once, however often Twilio delivers it: in the
// company's conversation, or (when no company owns the number, or the
// sender is not a phone number) in the unrouted stream. A routed text then
// goes to the customer's consent (whatever sms_enabled says, and whichever of
// the company's numbers it was sent to: a STOP is never lost), the
// automated texts the consent events call for are queued, and, outside the
// company's business hours, its auto-reply (autoReply).
func (h *ReceiveInboundHandler) Handle(ctx context.Context, in InboundText) (InboundResult, error) {
	now := h.Now().UTC()
	from, to, err := in.numbers(h.numbers)
	if err != nil {
		return h.unrouted(ctx, in, now, "the sender or the recipient is not a phone number: "+err.Error())
	}
	companyID, found, err := h.Route(ctx, to)
	if err != nil {
		return InboundResult{}, fmt.Errorf("route %s: %w", to, err)
	}
	if !found {
		return h.unrouted(ctx, in, now, "no company owns "+string(to))
	}
	cmd := conversation.ReceiveMessage{
		MessageID:       InboundMessageID(in.MessageSID),
		CompanyID:       companyID,
		CustomerPhone:   from,
		MessagingNumber: to,
		MessageSID:      in.MessageSID,
		Body:            in.Body,
		Media:           in.Media,
		NumSegments:     in.NumSegments,
		OptOutType:      in.OptOutType,
		ReceivedAt:      now,
	}
	meta := eventstore.Metadata{CorrelationID: in.MessageSID, Actor: "customer:" + string(from)}
	// The append watches the company's stream: its commit tells whether
	// the company state this process remembers is current, so that the
	// decisions below (consent texts, auto-reply) take no read of it while
	// it does not change, and see a change, by any process, committed
	// before this text was.
	res, err := ExecuteWatching(ctx, h.Store, conversationDecider, conversation.StreamID(companyID, from), conversation.Command(cmd), meta,
		company.StreamID(companyID))
	if err != nil {
		return InboundResult{}, fmt.Errorf("record inbound %s: %w", in.MessageSID, err)
	}
	co, coErr := h.company(ctx, companyID, res.Watched)
	// A text that is no keyword, and that Twilio's Advanced Opt-Out did not
	// answer, changes no consent (docs/rules.md's consent table): the consent stream is
	// not read. (A number change is voided by the reactor, not by texts.)
	var pos eventstore.Position
	if consent.Classify(in.Body) != consent.None || in.OptOutType != "" {
		pos, err = h.consent(ctx, in, companyID, from, to, now, co, coErr)
	}
	if err != nil {
		return InboundResult{}, fmt.Errorf("consent of inbound %s: %w", in.MessageSID, err)
	}
	if consent.InboundKeyword(in.Body, in.OptOutType) == consent.OptOut {
		// A STOP cancels every staff text Twilio has not been handed.
		p, err := h.CancelUnsent.Handle(ctx, CancelUnsent{CompanyID: companyID, Customer: from, MessageSID: in.MessageSID, At: now})
		if err != nil {
			return InboundResult{}, fmt.Errorf("opt-out %s: %w", in.MessageSID, err)
		}
		pos = max(pos, p)
		if err := h.awaitHandOver(ctx, companyID, from, now, in.MessageSID); err != nil {
			return InboundResult{}, fmt.Errorf("opt-out %s: %w", in.MessageSID, err)
		}
	}
	replyPos, err := h.autoReply(ctx, in.MessageSID, in.Body, in.OptOutType, companyID, from, now, co, coErr)
	if err != nil {
		return InboundResult{}, fmt.Errorf("auto-reply to inbound %s: %w", in.MessageSID, err)
	}
	return InboundResult{Routed: true, CompanyID: companyID, ThreadID: conversation.ThreadID(companyID, from), Position: max(res.Position, pos, replyPos)}, nil
}

// consent runs consent.ReceiveInbound for the text on the customer's consent
// stream, with event IDs from the MessageSid (a retried webhook records
// nothing twice), and queues the automated texts of what it decided. On a
// retry that decided nothing it queues again the texts of the events this
// MessageSid caused, when they are still the stream's last: an earlier
// attempt may have stopped before queuing them (queuing is idempotent).
// co and err are the company as Handle found it (company).
func (h *ReceiveInboundHandler) consent(ctx context.Context, in InboundText, companyID string, from, to phone.Number, now time.Time, co company.State, err error) (eventstore.Position, error) {
	if errors.Is(err, company.ErrCompanyNotFound) {
		// An orphan claim (RouteNumber): no company to hold a consent.
		h.Logger.Warn("inbound text to a number whose company does not exist; consent not evaluated",
			"message_sid", in.MessageSID, "company_id", companyID)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	cmd := consent.ReceiveInbound{
		CompanyID: companyID, CustomerPhone: from, MessagingNumber: co.MessagingNumber, To: to,
		CompanyName: co.Name, Texts: co.Texts(), MessageSID: in.MessageSID, Body: in.Body, OptOutType: in.OptOutType,
		At: consentTime(now),
	}
	d := consentDecider
	d.EventID = func(e consent.Event) uuid.UUID { return consent.InboundEventID(in.MessageSID, e.EventType()) }
	out, err := Execute(ctx, h.Store, d, consent.StreamID(companyID, from), consent.Command(cmd),
		eventstore.Metadata{CorrelationID: in.MessageSID, Actor: "customer:" + string(from)})
	if err != nil {
		return 0, err
	}
	caused := appended(out)
	if len(caused) == 0 {
		caused = tail(out.State.History, func(r consentRecord) bool {
			ev, ok := r.Event.Evidence().(consent.InboundEvidence)
			return ok && ev.MessageSID == in.MessageSID
		})
	}
	return queueTexts(ctx, h.Texts, automatedTexts(caused, in.MessageSID), out.Position)
}

func (h *ReceiveInboundHandler) unrouted(ctx context.Context, in InboundText, now time.Time, reason string) (InboundResult, error) {
	ev := unrouted.MessageReceived{
		MessageSID: in.MessageSID, From: in.From, To: in.To, Body: in.Body, Reason: reason,
		Params: in.Params, ReceivedAt: now,
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return InboundResult{}, err
	}
	res, err := h.Store.Append(ctx, unrouted.StreamID, eventstore.Any(), eventstore.EventData{
		ID: unrouted.EventID(in.MessageSID), Type: ev.EventType(), SchemaVersion: unrouted.SchemaVersion,
		Data: data, Metadata: eventstore.Metadata{CorrelationID: in.MessageSID, Actor: "twilio"}, OccurredAt: now,
	})
	if err != nil {
		return InboundResult{}, fmt.Errorf("record unrouted %s: %w", in.MessageSID, err)
	}
	h.Logger.Warn("inbound text kept as unrouted", "message_sid", in.MessageSID, "to", in.To, "reason", reason)
	return InboundResult{Position: res.Position}, nil
}

// awaitHandOver returns once no staff text of the customer's conversation is
// in the middle of being handed to Twilio, or after HandOverWait.
//
// Why: the opt-out is recorded in the conversation before the sender's next
// decision, and that decision refuses a staff text (conversation.SendChecks),
// so no attempt is recorded after it. But an attempt recorded just before
// may not have reached Twilio yet: its call starts right after the append.
// Waiting here until each such call has an outcome recorded makes "once the
// opt-out's webhook has answered, no staff text reaches Twilio" hold
// strictly, not only almost always. The wait is bounded (a call that hangs
// has reached Twilio already, and Twilio gives up on a webhook after 15 s);
// only attempts made within the bound before the opt-out count (an older one
// without an outcome is a sender that died mid-call, whose call is over).
func (h *ReceiveInboundHandler) awaitHandOver(ctx context.Context, companyID string, customer phone.Number, now time.Time, sid string) error {
	wait := h.HandOverWait
	if wait == 0 {
		wait = DefaultHandOverWait
	}
	if wait < 0 {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	stream := conversation.StreamID(companyID, customer)
	pause, logged := 5*time.Millisecond, false
	for {
		s, _, _, err := Load(wctx, h.Store, conversationDecider, stream)
		if err != nil && wctx.Err() == nil {
			return err
		}
		var under []uuid.UUID
		if err == nil {
			under = s.CallsUnderWay(now.Add(-wait))
			if len(under) == 0 {
				return nil
			}
			if !logged {
				h.Logger.Info("an opt-out waits for staff texts being handed to Twilio before it answers",
					"message_sid", sid, "texts", len(under))
				logged = true
			}
		}
		select {
		case <-time.After(pause):
			pause = min(2*pause, 100*time.Millisecond)
		case <-wctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			h.Logger.Warn("an opt-out answers while a staff text's call to Twilio has no outcome yet",
				"message_sid", sid, "texts", len(under), "waited", wait)
			return nil
		}
	}
}
