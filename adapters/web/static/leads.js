// Leads: the Create Lead form (field errors from the API) and Lead Details
// with the customer's journey.

import { api, noteCommand, quiet } from "./api.js";
import { $, announce, busy, h, isBusy, setBadge, setText, shownPhone } from "./dom.js";
import { STATUS_WORDS } from "./messages.js";
import { el, state } from "./state.js";
import { syncSide } from "./views.js";
import { quote, words } from "./words.js";

const LEAD_FIELDS = [
  ["first_name", "lead-first-name", "First name"],
  ["last_name", "lead-last-name", "Last name"],
  ["email", "lead-email", "E-mail"],
];

export function openLeadForm() {
  const t = state.open;
  if (!t) return;
  el["lead-form"].reset();
  clearLeadErrors();
  setText(el["lead-form-phone"], shownPhone(t));
  el["lead-dialog"].showModal();
  el["lead-first-name"].focus();
}

function clearLeadErrors() {
  for (const [, id] of LEAD_FIELDS) {
    setText(document.getElementById(`${id}-error`), "");
    el[id].removeAttribute("aria-invalid");
  }
  setText(el["lead-form-error"], "");
}

// submitLead creates the open thread's lead, then shows it. refresh reads
// the open thread again at a position (thread.js's refreshOpen, handed in:
// thread.js uses this module, not the other way round).
export async function submitLead(ev, refresh) {
  ev.preventDefault();
  const t = state.open;
  if (!t || isBusy(el["lead-submit"])) return;
  clearLeadErrors();
  const body = {};
  for (const [field, id] of LEAD_FIELDS) body[field] = el[id].value;
  busy(el["lead-submit"], true);
  try {
    const answer = await api(`/api/threads/${encodeURIComponent(t.id)}/lead`, { method: "POST", body });
    const pos = noteCommand(answer);
    el["lead-dialog"].close();
    announce("Lead created.");
    if (state.openId === t.id) {
      await refresh(pos);
      showLead(answer.lead_id, pos);
    }
  } catch (err) {
    if (quiet(err)) return;
    showLeadErrors(err);
  } finally {
    busy(el["lead-submit"], false);
  }
}

// showLeadErrors puts the API's field errors next to their fields and the
// rest (lead_exists, …) above the buttons.
function showLeadErrors(err) {
  let first = null;
  const fields = err.fields || {};
  for (const [field, id, label] of LEAD_FIELDS) {
    if (!fields[field]) continue;
    setText(document.getElementById(`${id}-error`), `${label} ${fields[field]}.`);
    el[id].setAttribute("aria-invalid", "true");
    if (!first) first = el[id];
  }
  const known = new Set(LEAD_FIELDS.map(([f]) => f));
  const others = Object.keys(fields).filter((f) => !known.has(f));
  if (!first || others.length) setText(el["lead-form-error"], err.message);
  // The first wrong field gets the focus, its text selected: typing
  // replaces it.
  if (first) {
    first.focus();
    first.select();
  } else {
    el["lead-first-name"].focus();
  }
}

export function hideLeadDetails() {
  state.leadId = null;
  el["lead-details"].hidden = true;
  syncSide();
}

export function showLead(id, minPos = 0n) {
  state.leadId = id;
  el["lead-details"].hidden = false;
  setText(el["lead-details-error"], "");
  syncSide();
  el["lead-details-title"].focus();
  loadLead(id, minPos, true);
}

export async function loadLead(id, minPos, fresh) {
  if (fresh) {
    for (const c of [".lead-name", ".lead-email", ".lead-phone"]) setText($(c, el["lead-details"]), "…");
    el.journey.replaceChildren();
  }
  try {
    const lead = await api(`/api/leads/${encodeURIComponent(id)}`, { minPos });
    if (state.leadId !== id) return;
    renderLead(lead);
  } catch (err) {
    if (!quiet(err) && state.leadId === id) setText(el["lead-details-error"], err.message);
  }
}

function renderLead(lead) {
  const box = el["lead-details"];
  setText($(".lead-name", box), `${lead.first_name} ${lead.last_name}`.trim());
  setText($(".lead-email", box), lead.email);
  setText($(".lead-phone", box), lead.phone);
  setBadge($(".consent-badge", box), lead.consent);
  el.journey.replaceChildren(...(lead.journey || []).map((j) =>
    h("li", { dataset: { type: j.type } },
      h("time", { datetime: j.occurred_at, title: state.fmt.title(j.occurred_at) }, state.fmt.time(j.occurred_at)),
      h("span", { class: "journey-text" }, journeyText(j)))));
}

// journeyText says what a journey entry was, in words.
function journeyText(j) {
  const d = j.details || {};
  const change = d.status_before && d.status_after ? ` (${d.status_before} → ${d.status_after})` : "";
  const name = [d.first_name, d.last_name].filter(Boolean).join(" ");
  switch (j.type) {
    case "LeadCreated": return `Lead created${name ? `: ${name}` : ""}${d.email ? `, ${d.email}` : ""}${source(d.source)}`;
    case "LeadUpdated": return `Lead updated${name ? `: ${name}` : ""}${d.email ? `, ${d.email}` : ""}${source(d.source)}`;
    case "FormSubmitted": return `Form submitted${d.app ? ` in ${d.app}` : ""}${d.opt_in === true ? ", opted in to texts" : d.opt_in === false ? ", no opt-in" : ""}`;
    case "MessageReceived": return `Customer texted${d.body ? ` ${quote(d.body)}` : ""}`;
    case "OutboundMessageQueued": return `${d.automated ? "Automated text" : "Reply"} queued${d.body ? `: ${quote(d.body)}` : ""}`;
    case "OutboundSendAttempted": return "Sending to Twilio";
    case "OutboundSendDeferred": return "Sending put off, to try again";
    case "OutboundMessageSent": return "Text sent";
    case "OutboundMessageStatusChanged": return `Text ${STATUS_WORDS[d.status] ? STATUS_WORDS[d.status].toLowerCase() : d.status || "status changed"}`;
    case "OutboundMessageFailed": return `Text not sent${d.error_code ? ` (error ${d.error_code})` : ""}`;
    case "ThreadRead": return "Conversation read";
    case "ThreadMarkedUnread": return "Conversation marked unread";
    case "ThreadArchived": return "Conversation archived";
    case "ThreadUnarchived": return "Conversation moved back to the Inbox";
    case "ConsentRequested": return `Consent requested${change}`;
    case "ConsentConfirmed": return `Consent confirmed${change}`;
    case "OptedOut": return `Opted out${change}`;
    case "OptedIn": return `Opted in again${change}`;
    case "HelpRequested": return "Asked for help";
    case "ConsentVoided": return `Consent ended by a change of the company's number${change}`;
    default: return words(j.type) + change;
  }
}

// source says where a lead's details came from.
function source(s) {
  if (!s) return "";
  if (s === "dashboard") return " (in Messages)";
  return s.startsWith("app:") ? ` (from the app ${s.slice(4)})` : ` (from ${s})`;
}
