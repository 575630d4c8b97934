package app_test

// Browser test of the template manager (adapters/web/static/templates.js):
// list, create, edit and delete the company's templates from the page, with
// the API's refusals beside the field they name; shown only to the roles
// that may manage templates.

import (
	"net/http"
	"slices"
	"testing"
)

func TestBrowserTemplateManager(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	admin := e.newUser(a.ID, "admin")
	compliance := e.newUser(a.ID, "compliance")
	e.text(numA, cust1, "Is Tuesday free?")
	th := e.mustThread(a.agent, cust1)
	kept := e.mustSaveTemplate(a.agent, "Opening hours", "We are open 9 to 5.")

	p := newPage(t, e)
	p.signInLive(admin.Token)
	p.click("#templates-open")
	p.waitVisible("dialog#templates-dialog")
	item := func(id string) string { return `#templates-list li.template[data-template-id="` + id + `"]` }
	p.waitText(item(kept)+" .template-name", "Opening hours")
	p.waitText(item(kept)+" .template-body", "We are open 9 to 5.")

	// An unknown placeholder: refused, the API's message beside the text.
	p.typeInto("#template-name", "Running late")
	p.typeInto("#template-body", "Hi {{nickname}}, running late 😀")
	p.waitText("#template-cost", "UCS-2")
	p.click("#template-save")
	p.waitText("#template-body-error", "{{nickname}} is not a placeholder")
	p.waitAttr("#template-body", "aria-invalid", "true")
	if got := p.text("#template-name-error") + p.text("#template-form-error"); got != "" {
		p.fail("the refusal shows elsewhere too: %q", got)
	}

	// Fixed: created, listed, on the server.
	const late = "{{company_name}} is running 10 minutes late, {{first_name}}."
	p.typeInto("#template-body", late)
	p.click("#template-save")
	p.waitFor("two templates listed", `document.querySelectorAll("#templates-list li.template").length === 2`)
	p.waitFor("the form emptied", `document.querySelector("#template-name").value === "" && !document.querySelector("#template-body").hasAttribute("aria-invalid")`)
	saved := e.templates(a.agent)
	if len(saved) != 2 || saved[1].Name != "Running late" || saved[1].Body != late {
		t.Fatalf("the server has %+v", saved)
	}
	lateID := saved[1].ID
	p.waitText(item(lateID)+" .template-body", late)

	// The same name in another case: refused beside the name.
	p.typeInto("#template-name", " running LATE ")
	p.typeInto("#template-body", "Another text")
	p.click("#template-save")
	p.waitText("#template-name-error", "already has this name")
	p.waitAttr("#template-name", "aria-invalid", "true")
	// No name at all: refused beside the name, in the API's words.
	p.typeInto("#template-name", "")
	p.click("#template-save")
	p.waitText("#template-name-error", "Give the template a name")
	p.screenshot("templates-refused")

	// Edit: the form holds the template; saving changes it.
	p.click(item(lateID) + " button.template-edit")
	p.waitAttr("#template-form", "data-template-id", lateID)
	p.waitFor("the form filled", `document.querySelector("#template-body").value === `+js(late)+` && document.querySelector("#template-name-error").textContent === ""`)
	p.waitText("#template-save", "Save changes")
	p.typeInto("#template-body", "Running 10 minutes late, {{full_name}}. Sorry!")
	p.click("#template-save")
	p.waitText(item(lateID)+" .template-body", "Running 10 minutes late, {{full_name}}. Sorry!")
	p.waitText("#template-save", "Create template")
	if got := e.templates(a.agent); len(got) != 2 || got[1].ID != lateID || got[1].Body != "Running 10 minutes late, {{full_name}}. Sorry!" {
		t.Fatalf("after the edit the server has %+v", got)
	}
	p.screenshot("templates")

	// Delete, after saying yes in the row.
	p.click(item(kept) + " button.template-delete")
	p.click(item(kept) + " button.template-delete-cancel")
	p.waitVisible(item(kept) + " button.template-delete")
	p.click(item(kept) + " button.template-delete")
	p.click(item(kept) + " button.template-delete-confirm")
	p.waitGone(item(kept))
	if got := names(e.templates(a.agent)); !slices.Equal(got, []string{"Running late"}) {
		t.Fatalf("after the delete the server has %v", got)
	}
	p.click("#templates-close")
	p.waitGone("dialog#templates-dialog")

	// The composer's picker follows: the changed template, not the deleted one.
	p.openThread(th.ID)
	p.waitFor("the picker has the template", `!!document.querySelector(`+js(`#reply-template option[value="`+lateID+`"]`)+`)`)
	if n := p.count(`#reply-template option[value="` + kept + `"]`); n != 0 {
		p.fail("the picker still offers the deleted template")
	}

	// An agent manages templates too; a compliance officer has no manager
	// (the API would refuse: 403).
	q := newPage(t, e)
	q.signInLive(a.agent)
	q.waitVisible("#templates-open")
	c := newPage(t, e)
	c.signInLive(compliance.Token)
	if n := c.count("#templates-open"); n != 0 {
		c.fail("a compliance officer sees %d Templates buttons", n)
	}
	expect(t, e.saveTemplate(compliance.Token, "Mine", "x"), http.StatusForbidden, "forbidden")
}
