package httpapi

import (
	"net/url"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/conversation"
)

// Twilio's webhooks become the use cases' own inputs here, so that no use
// case knows Twilio's wire format (commands imports no adapter).

// inboundText is the text of Twilio's inbound-message webhook.
func inboundText(in twilio.Inbound) commands.InboundText {
	media := make([]conversation.Media, len(in.Media))
	for i, m := range in.Media {
		media[i] = conversation.Media{URL: m.URL, ContentType: m.ContentType}
	}
	return commands.InboundText{
		MessageSID: in.MessageSID, From: in.From, To: in.To, Body: in.Body, NumSegments: in.NumSegments,
		Media: media, OptOutType: in.OptOutType, Params: in.Params,
	}
}

// statusCallback is Twilio's status callback, with smsinbox's reference to
// the message from the callback URL's query (twilio.CallbackRef), when the
// sender put one there.
func statusCallback(sc twilio.StatusCallback, query url.Values) commands.StatusCallback {
	out := commands.StatusCallback{
		MessageSID: sc.MessageSID, To: sc.To, MessageStatus: sc.MessageStatus,
		ErrorCode: sc.ErrorCode, ErrorMessage: sc.ErrorMessage,
	}
	out.CompanyID, out.MessageID, _ = twilio.CallbackRef(query)
	return out
}
