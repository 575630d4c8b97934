package consent_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/domain/consent"
)

// startStates are the histories FuzzDecideInbound starts from.
var startStates = [][]consent.Event{fresh, isPending, isYes, optedOut, optedOutNever, helpOnly, resubscribed, pendingAgain, voidedToB, carrierOptedOut}

// FuzzDecideInbound: any inbound text, in any state, on the number in use or
// after a number change, with or without Twilio's OptOutType, decides a legal
// next state of the table, and never panics.
func FuzzDecideInbound(f *testing.F) {
	for i := range startStates {
		for _, body := range []string{"STOP", "stop!!", "YES", "start", "HELP", "info?", "stop by tomorrow", "hello", ""} {
			f.Add(uint8(i), body, "", false)
		}
		f.Add(uint8(i), "STOP", "STOP", false)
		f.Add(uint8(i), "YES", "START", true)
		f.Add(uint8(i), "ARRET", "STOP", true)
		f.Add(uint8(i), "help", "HELP", false)
	}
	f.Fuzz(func(t *testing.T, start uint8, body, optOutType string, numberChanged bool) {
		given := startStates[int(start)%len(startStates)]
		s := fold(given)
		cmd := text("SMfuzz", body, 10)
		cmd.OptOutType = optOutType
		if numberChanged {
			cmd = onB(cmd).(consent.ReceiveInbound)
		}
		got, err := consent.Decide(s, cmd)
		if err != nil {
			t.Fatalf("Decide: %v", err)
		}

		// Row 6 first, when the number in use is not the stream's.
		st := s
		if s.MessagingNumber != "" && s.MessagingNumber != cmd.MessagingNumber {
			if len(got) == 0 {
				t.Fatal("number changed, nothing voided")
			}
			v, ok := got[0].(consent.ConsentVoided)
			if !ok || v.StatusBefore != s.Status || v.StatusAfter != consent.StatusNo || v.AutomatedText != consent.TextNone ||
				v.NumberChange.PreviousNumber != s.MessagingNumber || v.MessagingNumber != cmd.MessagingNumber {
				t.Fatalf("number changed, first event %#v", got[0])
			}
			st = consent.Evolve(st, v)
			got = got[1:]
		}
		if len(got) > 1 {
			t.Fatalf("%d events for one text: %#v", len(got), got)
		}

		// The decider records text as valid UTF-8 without NUL.
		cleanBody, cleanType := cleanText(body), cleanText(optOutType)
		keyword := consent.Classify(cleanBody)
		answered := map[string]consent.Keyword{"STOP": consent.OptOut, "START": consent.OptIn, "HELP": consent.Help}[strings.ToUpper(strings.TrimSpace(cleanType))]
		if answered != "" {
			keyword = answered
		}
		// wantType, wantAfter, wantText: the table's answer from state st.
		var wantType string
		wantAfter := st.Status
		wantText := consent.TextNone
		switch {
		case keyword == consent.OptOut:
			wantType, wantAfter = consent.TypeOptedOut, consent.StatusNo
			if st.Status != consent.StatusNo && answered == "" {
				wantText = consent.TextOptOutConfirmation
			}
		case keyword == consent.OptIn && st.Status == consent.StatusPending:
			wantType, wantAfter = consent.TypeConsentConfirmed, consent.StatusYes
		case keyword == consent.OptIn && st.Status == consent.StatusNo && st.OptedOut:
			wantType, wantAfter = consent.TypeOptedIn, consent.StatusYes
			if answered == "" {
				wantText = consent.TextResubscribed
			}
		case keyword == consent.Help:
			wantType = consent.TypeHelpRequested
			if answered == "" {
				wantText = consent.TextHelpReply
			}
		}
		if wantType == "" {
			if len(got) != 0 {
				t.Fatalf("ordinary text %q (OptOutType %q) in %s decided %#v", body, optOutType, st.Status, got)
			}
		} else {
			if len(got) != 1 || got[0].EventType() != wantType {
				t.Fatalf("text %q (OptOutType %q) in %s decided %#v, want %s", body, optOutType, st.Status, got, wantType)
			}
			b := got[0].Base()
			if b.StatusBefore != st.Status || b.StatusAfter != wantAfter || b.AutomatedText != wantText ||
				b.MessagingNumber != cmd.MessagingNumber || (b.AutomatedTextBody == "") != (wantText == consent.TextNone) {
				t.Fatalf("text %q in %s: %#v", body, st.Status, got[0])
			}
			ev, ok := got[0].Evidence().(consent.InboundEvidence)
			if !ok || ev.MessageSID != cmd.MessageSID || ev.Text != cleanBody || ev.OptOutType != cleanType || ev.To != cmd.To || ev.Keyword != keyword {
				t.Fatalf("evidence %#v", got[0].Evidence())
			}
			st = consent.Evolve(st, got[0])
		}
		if st.Status != wantAfter {
			t.Fatalf("state after: %s, want %s", st.Status, wantAfter)
		}

		// Replayed from the store, the events give the same state; and the
		// same webhook again decides nothing.
		all, _ := consent.Decide(s, cmd)
		replayed := s
		for _, e := range all {
			data, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			back, err := consent.Decode(e.EventType(), data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, e) {
				t.Fatalf("round trip\n got %#v\nwant %#v", back, e)
			}
			replayed = consent.Evolve(replayed, back)
		}
		if replayed.Status != st.Status || replayed.MessagingNumber != st.MessagingNumber {
			t.Fatalf("replayed %+v, want %+v", replayed, st)
		}
		if again, err := consent.Decide(replayed, cmd); err != nil || len(again) != 0 {
			t.Fatalf("repeat decided %#v, %v", again, err)
		}
	})
}

func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
