package app_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/adapters/twilio/twiliofake"
)

// The STOP race of issue 14: twenty staff replies are queued (all recorded
// before the first is answered) while Twilio answers each slowly; the
// customer texts STOP while they drain. Once the STOP's webhook has answered
// 200, no reply reaches Twilio any more: every reply still queued then is
// not sent (canceled by the STOP, or failed for consent), and only the
// opt-out confirmation follows.
func TestStopRaceTwentyQueuedRepliesSlowTwilio(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	threadID := e.consentingThread(a, cust1)

	// The first call is held until all twenty are queued; every later one
	// (the confirmation too) is answered after a delay.
	hold := make(chan struct{})
	e.fake.Script(cust1, twiliofake.Answer{Hold: hold})
	for range 25 {
		e.fake.Script(cust1, twiliofake.Answer{Delay: 25 * time.Millisecond})
	}
	var ids []string
	for i := range 20 {
		ids = append(ids, e.mustReply(a.agent, threadID, "Queued reply "+string(rune('A'+i))))
	}
	e.waitFake(t, "the first reply, held", func() bool { return len(e.fake.Arrived()) == 1 })
	close(hold)
	e.waitFake(t, "three replies", func() bool { return len(e.fake.Arrived()) >= 3 })

	e.customerTexts(numA, cust1, "STOP") // returns once the webhook answered 200
	atAnswer := len(e.fake.Arrived())

	failedForConsent := e.awaitSettled(a.ID, cust1, ids)
	e.waitFake(t, "the opt-out confirmation", func() bool {
		return slices.ContainsFunc(e.fake.Arrived(), func(r twiliofake.Request) bool { return strings.Contains(r.Body, "unsubscribed") })
	})
	after := e.fake.Arrived()[atAnswer:]
	for _, r := range after {
		if !strings.Contains(r.Body, "unsubscribed") {
			t.Fatalf("after the STOP answered (%d requests), Twilio got %q", atAnswer, bodies(after))
		}
	}
	replies := 0
	for _, r := range e.fake.Arrived() {
		if strings.HasPrefix(r.Body, "Queued reply") {
			replies++
		}
	}
	if replies+failedForConsent != len(ids) || failedForConsent == 0 {
		t.Fatalf("%d replies reached Twilio and %d were stopped, of %d; the STOP came too late to test anything",
			replies, failedForConsent, len(ids))
	}
	t.Logf("%d replies reached Twilio before the STOP answered, %d were stopped", replies, failedForConsent)
}
