// The open thread's messages, oldest first: each kept by its ID and
// painted in place (status, error, media), so a change updates one line.

import { announce, h, setAttr, setText, shownPhone } from "./dom.js";
import { twilioMediaURL } from "./media.js";
import { el, state } from "./state.js";

// renderMessages lays out the open thread's messages, oldest first. Items
// are kept by message ID, so a status change updates one line and the
// reader's scroll position and focus stay; the view follows the newest
// message only when it was already at the bottom.
export function renderMessages(messages, switched) {
  const ol = el.messages;
  const atBottom = switched || ol.scrollHeight - ol.scrollTop - ol.clientHeight < 60;
  if (switched) {
    state.messageEls.clear();
    const frag = document.createDocumentFragment();
    for (const m of messages) {
      const parts = buildMessage(m);
      state.messageEls.set(m.id, parts);
      frag.append(parts.li);
    }
    ol.replaceChildren(frag);
  } else {
    const keep = new Set();
    let prev = null;
    const fresh = [];
    for (const m of messages) {
      let parts = state.messageEls.get(m.id);
      if (parts) paintMessage(parts, m);
      else {
        parts = buildMessage(m);
        state.messageEls.set(m.id, parts);
        fresh.push(m);
      }
      keep.add(m.id);
      const want = prev ? prev.nextSibling : ol.firstChild;
      if (want !== parts.li) ol.insertBefore(parts.li, want);
      prev = parts.li;
    }
    for (const [id, parts] of state.messageEls) {
      if (!keep.has(id)) {
        parts.li.remove();
        state.messageEls.delete(id);
      }
    }
    const inbound = fresh.filter((m) => m.direction === "inbound");
    if (inbound.length) announce(`New text from ${state.open.customer_name || shownPhone(state.open)}: ${inbound[inbound.length - 1].body}`);
  }
  if (atBottom) ol.scrollTop = ol.scrollHeight;
}

export const STATUS_WORDS = {
  queued: "Queued", sending: "Sending", sent: "Sent", delivered: "Delivered",
  undelivered: "Not delivered", failed: "Failed", received: "Received",
  scheduled: "Scheduled", canceled: "Canceled",
};

// Why a scheduled text was canceled, in words.
const CANCEL_WORDS = {
  staff: "canceled by staff", consent: "the customer's consent no longer allows it",
  not_allowed: "Messages were turned off",
  quiet_hours: "it could only go out at an hour the customer may not be texted",
};

// statusWords is a message's status for people: a scheduled text says when
// it goes, a canceled one why it will not.
function statusWords(m) {
  if (m.status === "scheduled" && m.send_at) return `Scheduled for ${state.fmt.time(m.send_at)}`;
  if (m.status === "canceled") {
    const why = CANCEL_WORDS[m.cancel_reason];
    return why ? `Canceled: ${why}` : "Canceled";
  }
  return STATUS_WORDS[m.status] || m.status;
}

// A few of Twilio's error codes, in words; the others show their number.
const TWILIO_ERRORS = {
  21211: "invalid number", 21408: "region not enabled", 21610: "the customer has opted out",
  21614: "not a mobile number", 30003: "phone unreachable", 30004: "blocked",
  30005: "unknown number", 30006: "landline or unreachable carrier", 30007: "filtered by the carrier",
  30008: "unknown error",
};

function buildMessage(m) {
  const body = h("p", { class: "message-body" });
  const media = h("ul", { class: "media-list" });
  const automated = h("span", { class: "message-automated" }, "Automated");
  const who = h("span", { class: "sr-only" });
  const time = h("time", { class: "message-time" });
  const status = h("span", { class: "message-status" });
  const error = h("span", { class: "message-error" });
  const cancel = h("button", { type: "button", class: "cancel-scheduled link", "aria-label": "Cancel the scheduled text" }, "Cancel");
  const meta = h("p", { class: "message-meta" }, who, time, status, error);
  const li = h("li", { class: "message", dataset: { messageId: m.id } }, h("div", { class: "bubble" }, body, media), meta);
  const parts = { li, body, media, automated, who, time, status, error, cancel, mediaKey: null };
  paintMessage(parts, m);
  return parts;
}

function paintMessage(p, m) {
  const { li } = p;
  setAttr(li, "data-direction", m.direction);
  setAttr(li, "data-status", m.status);
  setAttr(li, "data-automated", m.automated ? "true" : "false");
  setText(p.who, m.direction === "inbound" ? "From the customer." : m.status === "scheduled" ? "Scheduled." : "Sent.");
  setText(p.body, m.body);
  p.body.hidden = !m.body;
  // Only automated texts carry the mark (not hidden text: it would be read).
  if (m.automated && !p.automated.isConnected) p.time.before(p.automated);
  else if (!m.automated && p.automated.isConnected) p.automated.remove();
  setText(p.time, state.fmt.time(m.created_at));
  setAttr(p.time, "datetime", m.created_at);
  setText(p.status, statusWords(m));
  // A scheduled text can be canceled until it leaves (by those who write).
  const cancelable = m.status === "scheduled" && state.canWrite;
  if (cancelable && !p.cancel.isConnected) p.status.after(p.cancel);
  else if (!cancelable && p.cancel.isConnected) p.cancel.remove();
  if (m.error_code !== null && m.error_code !== undefined) {
    const words = TWILIO_ERRORS[m.error_code];
    setText(p.error, `Error ${m.error_code}${words ? `: ${words}` : ""}`);
    if (!p.error.isConnected) p.li.lastChild.append(p.error);
  } else if (p.error.isConnected) {
    p.error.remove();
  }
  const items = m.media || [];
  const key = JSON.stringify(items);
  if (key !== p.mediaKey) {
    p.mediaKey = key;
    p.media.replaceChildren(...items.map((it, i) => h("li", {}, mediaLink(it, i, items.length))));
    p.media.hidden = items.length === 0;
  }
}

// mediaLink links an MMS item when it is on Twilio's media hosts (media.js);
// any other address is shown as text, never as a link.
function mediaLink(item, i, n) {
  const label = `${n > 1 ? `Attachment ${i + 1}` : "Attachment"}${item.content_type ? ` (${item.content_type})` : ""}`;
  const url = twilioMediaURL(item.url);
  if (!url) {
    return h("span", { class: "media-unsafe" }, `${label}, not from Twilio (not opened): ${item.url}`);
  }
  return h("a", { class: "media", href: url.href, target: "_blank", rel: "noopener noreferrer" }, label);
}
