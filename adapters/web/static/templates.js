// The company's templates (canned replies), managed by the roles that may
// (GET /api/me's permissions.manage_templates): a dialog opened from the
// header lists them (GET /api/templates), creates one (POST), changes one
// (PUT) and deletes one (DELETE /api/templates/{id}). A refused save shows
// the API's message beside the field it names (the error's "field": name or
// body), else under the form. The composer's picker (composer.js) is read
// again after every change.
//
// Its elements are built here, not in index.html, and gated like the rest:
// initTemplates builds them once, gateTemplates shows them to the roles
// that may use them.

import { api, noteCommand, quiet } from "./api.js";
import { loadTemplates } from "./composer.js";
import { announce, busy, field, h, isBusy, setAttr, setText } from "./dom.js";
import { describe } from "./segments.js";
import { el } from "./state.js";
import { quote } from "./words.js";
import { gate } from "./views.js";

const byId = (id) => document.getElementById(id);

// The fields of the form, by the name the API gives them in error.field.
const FIELDS = { name: "template-name", body: "template-body" };

// editing is the ID of the template the form changes ("" for a new one);
// list the templates as last read; gen drops answers of an older read.
let editing = "";
let list = [];
let gen = 0;

// initTemplates builds the header's Templates button and its dialog.
export function initTemplates() {
  el.templatesOpen = h("button", { id: "templates-open", type: "button" }, "Templates");
  el.live.after(el.templatesOpen);
  el.templatesOpen.addEventListener("click", openTemplates);

  el.templateForm = h("form", { id: "template-form", novalidate: true },
    h("h3", { id: "template-form-title" }, "New template"),
    field("template-name", "Name",
      h("input", { id: "template-name", autocomplete: "off", "aria-describedby": "template-name-error" })),
    field("template-body", "Text",
      h("textarea", { id: "template-body", rows: 4, "aria-describedby": "template-body-hint template-cost template-body-error" }),
      "{{first_name}}, {{last_name}}, {{full_name}} and {{company_name}} are filled in for the customer when it is sent."),
    h("p", { id: "template-cost", class: "hint" }),
    h("p", { id: "template-form-error", class: "error", role: "alert" }),
    h("div", { class: "dialog-actions" },
      h("button", { id: "template-cancel", type: "button", hidden: true }, "Cancel"),
      h("button", { id: "template-save", type: "submit", class: "primary" }, "Create template")));
  el.templateForm.addEventListener("submit", saveTemplate);
  el.templateForm.querySelector("#template-cancel").addEventListener("click", () => editTemplate(""));
  el.templateForm.querySelector("#template-body").addEventListener("input", showCost);

  el.templatesDialog = h("dialog", { id: "templates-dialog", "aria-labelledby": "templates-title", class: "templates" },
    h("h2", { id: "templates-title" }, "Templates"),
    h("p", { class: "hint" }, "Canned replies your team picks in the reply box."),
    h("p", { id: "templates-error", class: "error", role: "alert" }),
    h("ul", { id: "templates-list", "aria-label": "The company's templates, by name" }),
    h("p", { id: "templates-empty", class: "empty", hidden: true }, "No templates yet."),
    el.templateForm,
    h("div", { class: "dialog-actions" }, h("button", { id: "templates-close", type: "button" }, "Close")));
  el.templatesDialog.querySelector("#templates-close").addEventListener("click", () => el.templatesDialog.close());
  el.templatesDialog.addEventListener("close", () => el.templatesOpen.isConnected && el.templatesOpen.focus());
  el.templatesDialog.querySelector("#templates-list").addEventListener("click", onListClick);
  el.app.append(el.templatesDialog);
}

// gateTemplates shows the Templates button when the role may manage them
// (unknown: shown, and the API refuses the others).
export function gateTemplates(on) {
  gate(el.templatesOpen, on);
  if (el.templatesDialog.open) el.templatesDialog.close();
}

async function openTemplates() {
  editTemplate("");
  setText(byId("templates-error"), "");
  el.templatesDialog.showModal();
  byId("template-name").focus();
  await readTemplates();
}

// readTemplates reads the company's templates into the dialog.
async function readTemplates() {
  const mine = ++gen;
  try {
    const answer = await api("/api/templates");
    if (mine !== gen) return;
    list = answer.templates;
    renderList();
  } catch (err) {
    if (!quiet(err) && mine === gen) setText(byId("templates-error"), err.message);
  }
}

function renderList() {
  const ul = byId("templates-list");
  ul.replaceChildren(...list.map((t) => h("li", { class: "template", dataset: { templateId: t.id } },
    h("div", { class: "template-text" },
      h("p", { class: "template-name" }, t.name),
      h("p", { class: "template-body" }, t.body)),
    h("div", { class: "template-actions" },
      h("button", { type: "button", class: "template-edit", "aria-label": `Edit ${quote(t.name)}` }, "Edit"),
      h("button", { type: "button", class: "template-delete", "aria-label": `Delete ${quote(t.name)}` }, "Delete")))));
  byId("templates-empty").hidden = list.length > 0;
  // A template deleted elsewhere while it was being changed: the form
  // starts a new one.
  if (editing && !list.some((t) => t.id === editing)) editTemplate("");
}

function onListClick(ev) {
  const li = ev.target.closest("li.template");
  if (!li) return;
  const id = li.dataset.templateId;
  if (ev.target.closest("button.template-edit")) {
    editTemplate(id);
    byId("template-name").focus();
  } else if (ev.target.closest("button.template-delete")) {
    askDelete(li);
  } else if (ev.target.closest("button.template-delete-confirm")) {
    deleteTemplate(id, ev.target.closest("button"));
  } else if (ev.target.closest("button.template-delete-cancel")) {
    renderList();
    const again = byId("templates-list").querySelector(`li.template[data-template-id="${CSS.escape(id)}"] button.template-delete`);
    if (again) again.focus();
  }
}

// askDelete asks, in the template's row, whether to delete it.
function askDelete(li) {
  const t = list.find((x) => x.id === li.dataset.templateId);
  if (!t) return;
  const yes = h("button", { type: "button", class: "template-delete-confirm danger" }, "Delete");
  li.querySelector(".template-actions").replaceChildren(
    h("span", { class: "template-ask" }, `Delete ${quote(t.name)}?`), yes,
    h("button", { type: "button", class: "template-delete-cancel" }, "Keep"));
  yes.focus();
}

async function deleteTemplate(id, button) {
  if (isBusy(button)) return;
  busy(button, true);
  setText(byId("templates-error"), "");
  try {
    noteCommand(await api(`/api/templates/${encodeURIComponent(id)}`, { method: "DELETE" }));
    announce("Template deleted.");
    if (editing === id) editTemplate("");
    await readTemplates();
    loadTemplates();
    byId("template-name").focus();
  } catch (err) {
    if (quiet(err)) return;
    setText(byId("templates-error"), err.message);
    if (err.status === 404) {
      // Gone already (another tab, a colleague): the list says so.
      await readTemplates();
      loadTemplates();
    }
  } finally {
    busy(button, false);
  }
}

// editTemplate fills the form with template id to change it, or empties it
// for a new one ("").
function editTemplate(id) {
  const t = id ? list.find((x) => x.id === id) : null;
  editing = t ? t.id : "";
  clearErrors();
  byId("template-name").value = t ? t.name : "";
  byId("template-body").value = t ? t.body : "";
  setText(byId("template-form-title"), t ? `Edit ${quote(t.name)}` : "New template");
  setText(byId("template-save"), t ? "Save changes" : "Create template");
  byId("template-cancel").hidden = !t;
  setAttr(el.templateForm, "data-template-id", editing || null);
  for (const li of byId("templates-list").querySelectorAll("li.template")) {
    setAttr(li, "aria-current", li.dataset.templateId === editing ? "true" : null);
  }
  showCost();
}

// showCost says what the text costs as SMS before its names are filled in.
function showCost() {
  const text = byId("template-body").value;
  setText(byId("template-cost"), text ? `${describe(text)}, before placeholders are filled` : "");
}

function clearErrors() {
  for (const n of el.templateForm.querySelectorAll(".error, .field-error")) setText(n, "");
  for (const n of el.templateForm.querySelectorAll("[aria-invalid]")) n.removeAttribute("aria-invalid");
}

async function saveTemplate(ev) {
  ev.preventDefault();
  const button = byId("template-save");
  if (isBusy(button)) return;
  clearErrors();
  const id = editing;
  const body = { name: byId("template-name").value, body: byId("template-body").value };
  busy(button, true);
  try {
    const path = id ? `/api/templates/${encodeURIComponent(id)}` : "/api/templates";
    noteCommand(await api(path, { method: id ? "PUT" : "POST", body }));
    announce(id ? "Template saved." : "Template created.");
    await readTemplates();
    loadTemplates();
    editTemplate("");
    byId("template-name").focus();
  } catch (err) {
    if (quiet(err)) return;
    showRefusal(err);
    if (err.status === 404 && id) await readTemplates();
  } finally {
    busy(button, false);
  }
}

// showRefusal puts the API's message beside the field it names, else under
// the form.
function showRefusal(err) {
  const input = FIELDS[err.details && err.details.field];
  if (!input) {
    setText(byId("template-form-error"), err.message);
    return;
  }
  // The API's message names its field first ("name: …"); beside the
  // field, that is said already.
  const prefix = `${err.details.field}: `;
  const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  setText(byId(`${input}-error`), message.charAt(0).toUpperCase() + message.slice(1));
  const control = byId(input);
  control.setAttribute("aria-invalid", "true");
  control.focus();
}
