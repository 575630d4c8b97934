// The company's messaging settings (role admin): the after-hours auto-reply
// (GET|PUT /api/settings/auto-reply) and the wording of consent's automated
// texts (GET|PUT /api/settings/texts), in a dialog opened from the header;
// and, beside the consent audit (roles admin and compliance), the download
// of the company's consent evidence (GET /api/audit/consent/export.csv).
//
// Its elements are built here, not in index.html, and gated like the rest:
// initSettings builds them once, gateSettings shows the settings to admins.

import { api, noteCommand, quiet } from "./api.js";
import { announce, busy, field, h, isBusy, setText } from "./dom.js";
import { download } from "./download.js";
import { el, state } from "./state.js";
import { zonedToUTC } from "./time.js";
import { gate } from "./views.js";

const DAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"],
  ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]];

const TEXTS = [
  ["confirmation_request", "Confirmation request", "Names the company; says YES, STOP, HELP and “Msg&data rates may apply”."],
  ["help_reply", "Help reply", "Names the company, says STOP and gives a contact (e-mail, URL or phone)."],
  ["opt_out_confirmation", "Opt-out confirmation", "Names the company, says no more messages will be sent; no link."],
  ["resubscribed", "Re-subscribed", "Says STOP."],
];

// initSettings builds the settings button and dialog, and the evidence
// download in the audit section.
export function initSettings() {
  el.settingsOpen = h("button", { id: "settings-open", type: "button" }, "Settings");
  el.live.after(el.settingsOpen);
  el.settingsOpen.addEventListener("click", openSettings);

  const hours = DAYS.map(([day, name]) => field(`hours-${day}`, name,
    h("input", { id: `hours-${day}`, autocomplete: "off", spellcheck: "false", placeholder: "closed",
      "aria-describedby": `hours-${day}-error` })));
  el.autoReplyForm = h("form", { id: "auto-reply-form", novalidate: true },
    h("h3", {}, "Auto-reply outside business hours"),
    h("p", { class: "hint" }, "A customer who has consented and texts outside these hours gets this reply, at most once in 12 hours. Keywords (STOP, HELP, …) never get it."),
    h("label", { class: "check" }, h("input", { id: "auto-reply-enabled", type: "checkbox" }), " On"),
    field("auto-reply-body", "Reply", h("textarea", { id: "auto-reply-body", rows: 3, maxlength: 320, "aria-describedby": "auto-reply-body-error" }),
      "{{company_name}} is your company's name."),
    h("fieldset", { class: "hours" }, h("legend", {}, "Business hours (", h("span", { class: "settings-tz" }), "), such as 09:00-12:00, 13:00-17:00"), hours),
    h("p", { id: "auto-reply-error", class: "error", role: "alert" }),
    h("div", { class: "dialog-actions" }, h("button", { id: "auto-reply-save", type: "submit", class: "primary" }, "Save auto-reply")));
  el.autoReplyForm.addEventListener("submit", saveAutoReply);

  el.textsForm = h("form", { id: "texts-form", novalidate: true },
    h("h3", {}, "Automated texts"),
    h("p", { class: "hint" }, "{{company_name}} is your company's name, {{messaging_number}} its number. Each is at most 320 characters."),
    TEXTS.map(([key, label, hint]) => field(`text-${key}`, label,
      h("textarea", { id: `text-${key}`, rows: 3, maxlength: 320, "aria-describedby": `text-${key}-hint text-${key}-error` }), hint)),
    h("p", { id: "texts-error", class: "error", role: "alert" }),
    h("div", { class: "dialog-actions" }, h("button", { id: "texts-save", type: "submit", class: "primary" }, "Save texts")));
  el.textsForm.addEventListener("submit", saveTexts);

  el.settingsDialog = h("dialog", { id: "settings-dialog", "aria-labelledby": "settings-title", class: "settings" },
    h("h2", { id: "settings-title" }, "Settings"),
    h("p", { id: "settings-error", class: "error", role: "alert" }),
    el.autoReplyForm, el.textsForm,
    h("div", { class: "dialog-actions" }, h("button", { id: "settings-close", type: "button" }, "Close")));
  el.settingsDialog.querySelector("#settings-close").addEventListener("click", () => el.settingsDialog.close());
  el.settingsDialog.addEventListener("close", () => el.settingsOpen.isConnected && el.settingsOpen.focus());
  el.app.append(el.settingsDialog);

  el.evidenceForm = h("form", { id: "evidence-form", class: "evidence" },
    h("h3", {}, "Consent evidence"),
    h("p", { class: "hint" }, "Every consent change of the company, for a carrier's audit (CSV). Leave the dates empty for all of it."),
    h("div", { class: "audit-controls" },
      h("label", { for: "evidence-from" }, "From"), h("input", { id: "evidence-from", type: "datetime-local" }),
      h("label", { for: "evidence-to" }, "To"), h("input", { id: "evidence-to", type: "datetime-local" })),
    h("p", { id: "evidence-error", class: "error", role: "alert" }),
    h("button", { id: "evidence-download", type: "submit" }, "Download consent evidence"));
  el.evidenceForm.addEventListener("submit", downloadEvidence);
  el.audit.append(el.evidenceForm);
}

// gateSettings shows the settings when the role allows them (GET /api/me's
// permissions.admin; unknown: shown, and the API refuses the others).
export function gateSettings(on) {
  gate(el.settingsOpen, on);
  if (el.settingsDialog.open) el.settingsDialog.close();
}

async function openSettings() {
  for (const n of el.settingsDialog.querySelectorAll(".settings-tz")) setText(n, state.tz);
  clearErrors();
  el.settingsDialog.showModal();
  try {
    const [reply, texts] = await Promise.all([api("/api/settings/auto-reply"), api("/api/settings/texts")]);
    fillAutoReply(reply);
    for (const [key] of TEXTS) byId(`text-${key}`).value = texts[key] || "";
    byId("auto-reply-enabled").focus();
  } catch (err) {
    if (!quiet(err)) setText(byId("settings-error"), err.message);
  }
}

const byId = (id) => document.getElementById(id);

function fillAutoReply(s) {
  byId("auto-reply-enabled").checked = !!s.enabled;
  byId("auto-reply-body").value = s.body || "";
  for (const [day] of DAYS) {
    byId(`hours-${day}`).value = (s.business_hours[day] || []).map(([a, b]) => `${a}-${b}`).join(", ");
  }
}

function clearErrors() {
  for (const n of el.settingsDialog.querySelectorAll(".error, .field-error")) setText(n, "");
  for (const n of el.settingsDialog.querySelectorAll("[aria-invalid]")) n.removeAttribute("aria-invalid");
}

// readHours reads "09:00-12:00, 13:00-17:00" per day; a day that is not
// that shape is marked and null is answered (the API checks the rest).
function readHours() {
  const out = {};
  let ok = true;
  for (const [day, name] of DAYS) {
    const input = byId(`hours-${day}`);
    const text = input.value.trim();
    out[day] = [];
    if (!text) continue;
    for (const part of text.split(",")) {
      const m = /^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$/.exec(part);
      if (!m) {
        setText(byId(`hours-${day}-error`), `${name}: write ranges as 09:00-17:00, separated by commas.`);
        input.setAttribute("aria-invalid", "true");
        ok = false;
        break;
      }
      out[day].push([m[1].padStart(5, "0"), m[2].padStart(5, "0")]);
    }
  }
  return ok ? out : null;
}

async function saveAutoReply(ev) {
  ev.preventDefault();
  const button = byId("auto-reply-save");
  if (isBusy(button)) return;
  clearErrors();
  const hours = readHours();
  if (!hours) return;
  busy(button, true);
  try {
    const answer = await api("/api/settings/auto-reply", {
      method: "PUT",
      body: { enabled: byId("auto-reply-enabled").checked, body: byId("auto-reply-body").value, business_hours: hours },
    });
    noteCommand(answer);
    fillAutoReply(answer);
    announce("Auto-reply saved.");
    setText(byId("auto-reply-error"), "");
  } catch (err) {
    if (quiet(err)) return;
    const target = err.code === "invalid_auto_reply" ? "auto-reply-body-error" : "auto-reply-error";
    setText(byId(target), err.message);
  } finally {
    busy(button, false);
  }
}

async function saveTexts(ev) {
  ev.preventDefault();
  const button = byId("texts-save");
  if (isBusy(button)) return;
  clearErrors();
  const body = {};
  for (const [key] of TEXTS) body[key] = byId(`text-${key}`).value;
  busy(button, true);
  try {
    noteCommand(await api("/api/settings/texts", { method: "PUT", body }));
    announce("Automated texts saved.");
  } catch (err) {
    if (quiet(err)) return;
    setText(byId("texts-error"), err.message);
    // Each text's own misses beside it (error.missing).
    for (const m of (err.details && err.details.missing) || []) {
      const box = byId(`text-${m.text}-error`);
      if (!box) continue;
      setText(box, box.textContent ? `${box.textContent}; ${m.missing}` : `It ${m.missing}`);
      byId(`text-${m.text}`).setAttribute("aria-invalid", "true");
    }
  } finally {
    busy(button, false);
  }
}

function downloadEvidence(ev) {
  ev.preventDefault();
  const q = new URLSearchParams();
  for (const [name, id] of [["from", "evidence-from"], ["to", "evidence-to"]]) {
    const v = byId(id).value;
    if (!v) continue;
    const at = zonedToUTC(v, state.tz);
    if (!at) {
      setText(byId("evidence-error"), "Choose a date and time, or leave it empty.");
      return;
    }
    q.set(name, at);
  }
  const query = q.toString();
  download(byId("evidence-download"), `/api/audit/consent/export.csv${query ? `?${query}` : ""}`,
    "consent-evidence.csv", byId("evidence-error"));
}
