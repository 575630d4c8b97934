package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/autoreply"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

var autoReplyNamespace = uuid.MustParse("4c8e2a51-7f3d-4b9e-a1c6-2d5f8e9b0a37")

// AutoReplyMessageID is the message ID of the auto-reply that the inbound
// text with Twilio's MessageSid sid calls for (a UUID v5 of it): a webhook
// delivered again queues nothing twice.
func AutoReplyMessageID(sid string) uuid.UUID {
	return uuid.NewSHA1(autoReplyNamespace, []byte(sid))
}

// company answers the company's state for a text whose append watched the
// company's stream (watched: Result.Watched), from memory when the
// remembered state is current at that commit (CompanyStates.At), else read.
// Without a CompanyStates it reads.
func (h *ReceiveInboundHandler) company(ctx context.Context, companyID string, watched []int64) (company.State, error) {
	switch {
	case h.Companies == nil:
		return LoadCompany(ctx, h.Store, companyID)
	case len(watched) == 1:
		return h.Companies.At(ctx, companyID, watched[0])
	default: // a retry that appended nothing, or a store that cannot tell
		return h.Companies.Load(ctx, companyID)
	}
}

// autoReply answers a customer's text with the company's after-hours
// auto-reply when autoreply.Decide says so, through the outbound path
// (queued, then the sender, which checks consent again as for a staff
// text). The thread decides once more when the reply is queued, so that two
// texts at once get one reply. A company whose auto-reply is off reads
// nothing more (row 1). It answers the position of what it queued (0 when
// nothing).
// co and coErr are the company as Handle found it (company).
func (h *ReceiveInboundHandler) autoReply(ctx context.Context, sid, body, optOutType, companyID string, customer phone.Number, now time.Time, co company.State, coErr error) (eventstore.Position, error) {
	if errors.Is(coErr, company.ErrCompanyNotFound) {
		return 0, nil // an orphan claim: no company to answer for
	}
	if coErr != nil {
		return 0, coErr
	}
	settings := co.AutoReply()
	if !settings.Enabled {
		return 0, nil
	}
	cs, err := LoadConsent(ctx, h.Store, consent.StreamID(companyID, customer))
	if err != nil {
		return 0, err
	}
	thread, _, _, err := Load(ctx, h.Store, conversationDecider, conversation.StreamID(companyID, customer))
	if err != nil {
		return 0, err
	}
	decision := autoreply.Decide(settings, autoreply.Inbound{
		At: now, Location: co.Location(), MessagesOn: co.SMSEnabled,
		Keyword:       consent.InboundKeyword(body, optOutType) != consent.None,
		ConsentYes:    consent.CanSend(cs, co.MessagingNumber),
		LastAutoReply: thread.LastAutoReplyAt,
	})
	if !decision.Send {
		return 0, nil
	}
	cmd := conversation.QueueMessage{
		MessageID: AutoReplyMessageID(sid), CompanyID: companyID, CustomerPhone: customer, From: co.MessagingNumber,
		Body: settings.Render(co.Name), App: AppAutomated, Automated: true, AutoReply: true, At: now,
	}
	res, err := Execute(ctx, h.Store, outboundDecider, conversation.StreamID(companyID, customer), conversation.Command(cmd),
		eventstore.Metadata{Actor: consent.ActorSystem, CorrelationID: sid})
	if err != nil {
		return 0, fmt.Errorf("queue the auto-reply to %s: %w", sid, err)
	}
	if len(res.Events) > 0 {
		h.Logger.InfoContext(ctx, "after-hours auto-reply queued", "message_sid", sid, "company_id", companyID)
	}
	return res.Position, nil
}
