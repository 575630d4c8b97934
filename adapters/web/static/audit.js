// The consent audit of the open thread's customer (roles admin and
// compliance): the status at an instant, in the company's time zone, and
// the history of consent events with their evidence.

import { api, quiet } from "./api.js";
import { h, setAttr, setBadge, setText } from "./dom.js";
import { el, state } from "./state.js";
import { sortKey, zonedToUTC } from "./time.js";
import { gate, syncSide } from "./views.js";
import { quote, words } from "./words.js";

export async function loadAudit() {
  const t = state.open;
  if (!state.canAudit || !t) return;
  const gen = ++state.auditGen;
  let query = "";
  if (state.auditChosen) {
    const at = zonedToUTC(el["audit-at"].value, state.tz);
    if (!at) {
      setText(el["audit-error"], "Choose a date and time.");
      return;
    }
    query = `?at=${encodeURIComponent(at)}`;
  }
  setText(el["audit-error"], "");
  setAttr(el.audit, "aria-busy", "true");
  try {
    const audit = await api(`/api/audit/consent/${encodeURIComponent(t.customer_phone)}${query}`);
    if (gen !== state.auditGen) return;
    renderAudit(audit);
  } catch (err) {
    if (gen !== state.auditGen || quiet(err)) return;
    if (err.code === "forbidden") {
      // The role was not known (no /api/me): now it is.
      state.canAudit = false;
      gate(el.audit, false);
      syncSide();
      return;
    }
    setText(el["audit-error"], err.message);
  } finally {
    if (gen === state.auditGen) setAttr(el.audit, "aria-busy", null);
  }
}

const AUDIT_TYPES = {
  ConsentRequested: "Consent requested",
  ConsentConfirmed: "Consent confirmed",
  OptedOut: "Opted out",
  OptedIn: "Opted in again",
  HelpRequested: "Asked for help",
  ConsentVoided: "Consent ended: the company's number changed",
  MessagingNumberChanged: "The company's messaging number changed",
};

const TEXT_KINDS = {
  confirmation_request: "Confirmation request",
  opt_out_confirmation: "Opt-out confirmation",
  resubscribed_confirmation: "Re-subscribed confirmation",
  help_reply: "Help reply",
};

function renderAudit(a) {
  setBadge(el["audit-status"], a.status_at);
  const at = a.at ? state.fmt.time(a.at) : "";
  setText(el["audit-detail"], `on ${at}${a.messaging_number_at ? `, for the number ${a.messaging_number_at}` : ""}`);
  const atKey = sortKey(a.at);
  const items = (a.events || []).map((e) => {
    const later = atKey && sortKey(e.occurred_at) > atKey;
    return h("li", { dataset: { type: e.type }, class: later ? "after-at" : null },
      h("p", { class: "audit-line" },
        h("time", { datetime: e.occurred_at, title: state.fmt.title(e.occurred_at) }, state.fmt.time(e.occurred_at)),
        " ", h("strong", {}, AUDIT_TYPES[e.type] || words(e.type)),
        " ", h("span", { class: "audit-change" }, `${e.status_before || "?"} → ${e.status_after || "?"}`),
        later ? h("span", { class: "hint" }, " (after the chosen time)") : null),
      h("p", { class: "hint" }, `${actorText(e.actor)}; number in use ${e.messaging_number || "unknown"}.`),
      evidenceText(e.evidence) ? h("p", { class: "hint" }, evidenceText(e.evidence)) : null,
      e.automated_text ? h("p", { class: "hint" }, automatedText(e.automated_text)) : null);
  });
  el["audit-events"].replaceChildren(...items);
  if (a.events && a.events.length === 0) el["audit-events"].append(h("li", { class: "empty" }, "No consent events yet."));
  if (a.chain && a.chain.valid === false) {
    setText(el["audit-error"], `The consent history does not check out${a.chain.broken_at !== null ? ` from entry ${a.chain.broken_at + 1}` : ""}${a.chain.reason ? `: ${a.chain.reason}` : ""}.`);
  }
}

function actorText(actor) {
  const s = String(actor || "");
  if (s.startsWith("customer:")) return "By the customer";
  if (s.startsWith("user:")) return `By a user of your company (${s.slice(5)})`;
  if (s.startsWith("app:")) return `By the app ${s.slice(4)}`;
  if (s === "system") return "By smsinbox";
  if (s === "twilio") return "By Twilio (the carrier)";
  return s ? `By ${s}` : "By an unknown actor";
}

function evidenceText(ev) {
  if (!ev) return "";
  const parts = [];
  if (ev.text !== undefined) parts.push(`Text ${quote(ev.text)}${ev.to ? ` to ${ev.to}` : ""}`);
  if (ev.message_sid) parts.push(`Twilio SID ${ev.message_sid}`);
  if (ev.opt_out_type) parts.push(`Twilio Advanced Opt-Out: ${ev.opt_out_type}`);
  if (ev.app) parts.push(`Form in ${ev.app}`);
  if (ev.submitted_at) parts.push(`submitted ${state.fmt.time(ev.submitted_at)}`);
  if (ev.ip) parts.push(`IP ${ev.ip}`);
  if (ev.user_agent) parts.push(`browser ${ev.user_agent}`);
  if (ev.page_url) parts.push(`page ${ev.page_url}`);
  if (ev.consent_text) parts.push(`disclosure shown ${quote(ev.consent_text)}`);
  if (ev.previous_number) parts.push(`previous number ${ev.previous_number}`);
  if (ev.carrier_opt_out) parts.push(`carrier opt-out${ev.error_code ? ` (error ${ev.error_code})` : ""}`);
  return parts.length ? `Evidence: ${parts.join(", ")}.` : "";
}

function automatedText(t) {
  const kind = TEXT_KINDS[t.kind] || words(t.kind);
  const shown = t.shown_in_thread ? "" : " (not shown in the thread)";
  const sid = t.twilio_sid ? `, Twilio SID ${t.twilio_sid}` : "";
  return `${kind}${shown}: ${quote(t.text)}${sid}.`;
}
