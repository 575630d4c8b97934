package app_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// An admin sets the auto-reply and its business hours from the page, a text
// without STOP is refused with what it misses shown beside it, and the
// consent evidence downloads from beside the audit; an agent has no
// Settings.
func TestBrowserSettingsAndEvidence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenantIn("Acme Dental", numA, "America/New_York")
	admin := a.admin(e)
	e.submitForm(a.agent, formBody(cust1, true))
	e.text(numA, cust1, "YES")
	threadID := e.mustThread(a.agent, cust1).ID

	p := newPage(t, e)
	p.signInLive(admin)
	p.click("#settings-open")
	p.waitVisible("dialog#settings-dialog")
	p.waitFor("the auto-reply loaded", `document.querySelector("#auto-reply-body").value !== ""`)
	if got := p.text("dialog#settings-dialog .settings-tz"); got != "America/New_York" {
		p.fail("the hours' time zone says %q", got)
	}
	if got := eval[string](p, `document.querySelector("#hours-mon").value`); got != "09:00-17:00" {
		p.fail("Monday's hours show %q", got)
	}
	p.click("#auto-reply-enabled")
	p.typeInto("#auto-reply-body", "{{company_name}}: closed now, back at 8.")
	p.typeInto("#hours-mon", "08:00-12:00, 13:00-18:00")
	p.typeInto("#hours-sat", "10:00-14:00")
	p.click("#auto-reply-save")
	e.until("the auto-reply saved", func() bool {
		r := e.do(req{method: "GET", path: "/api/settings/auto-reply", token: a.agent})
		var s struct {
			Enabled       bool                  `json:"enabled"`
			Body          string                `json:"body"`
			BusinessHours map[string][][]string `json:"business_hours"`
		}
		r.json(t, &s)
		return s.Enabled && s.Body == "{{company_name}}: closed now, back at 8." && len(s.BusinessHours["mon"]) == 2 &&
			slices.Equal(s.BusinessHours["mon"][1], []string{"13:00", "18:00"}) && slices.Equal(s.BusinessHours["sat"][0], []string{"10:00", "14:00"})
	})

	// A re-subscribed text without STOP: refused, the miss beside it.
	p.typeInto("#text-resubscribed", "Welcome back to Acme Dental.")
	p.click("#texts-save")
	p.waitText("#text-resubscribed-error", "does not say STOP")
	p.waitText("#texts-error", "resubscribed does not say STOP")
	if got := eval[string](p, `document.querySelector("#text-resubscribed").getAttribute("aria-invalid")`); got != "true" {
		p.fail("the refused text is not marked invalid: %q", got)
	}
	p.screenshot("settings")
	p.click("#settings-close")
	p.waitGone("dialog#settings-dialog")

	// The evidence, beside the audit of the open thread.
	p.openThread(threadID)
	p.waitVisible("section#audit #evidence-download")
	csv := string(p.download("#evidence-download"))
	lines := strings.Split(strings.TrimSpace(csv), "\r\n")
	if len(lines) != 3 || lines[0] != evidenceHeaderLine || !strings.Contains(lines[1], ",form,text_us_now,") || !strings.Contains(lines[2], ",keyword,") {
		p.fail("evidence CSV:\n%s", csv)
	}

	// An agent sees no Settings (the API would refuse them: 403).
	q := newPage(t, e)
	q.signInLive(a.agent)
	if n := q.count("#settings-open"); n != 0 {
		q.fail("an agent sees %d Settings buttons", n)
	}
	expect(t, e.do(req{method: "PUT", path: "/api/settings/texts", token: a.agent, body: map[string]any{}}), http.StatusForbidden, "forbidden")
}
