// The open thread: its head (name, consent, actions), its messages read
// again after every change, the thread commands (read, unread, archive)
// and the reply composer with its drafts.

import { api, maxPos, noteCommand, quiet } from "./api.js";
import { loadAudit } from "./audit.js";
import { draftText, hasTemplate, replyRequest, resetComposer, showCost } from "./composer.js";
import { announce, busy, isBusy, setAttr, setBadge, setText, shownPhone } from "./dom.js";
import { hideLeadDetails, loadLead } from "./leads.js";
import { applyThread, syncTabStop } from "./list.js";
import { renderMessages } from "./messages.js";
import { clearScheduleRefusal, resetSchedule, scheduleFields, showScheduleRefusal } from "./schedule.js";
import { el, state } from "./state.js";
import { renderNotes, syncAssignee } from "./team.js";
import { utcToZonedInput } from "./time.js";
import { NARROW, syncSide } from "./views.js";
import { quietHoursRefusal } from "./quiethours.js";

// openThread shows a thread; measure (a click) records the switch's time
// and, in the one-column layout, takes the focus to the thread.
export async function openThread(id, { measure = false } = {}) {
  const gen = ++state.openGen;
  const switched = id !== state.openId;
  if (switched) {
    saveDraft();
    state.openId = id;
    state.open = null;
    state.openPos = 0n;
    state.headPos = 0n;
    hideLeadDetails();
    setText(el["thread-error"], "");
    setText(el["reply-error"], "");
  }
  for (const e of state.threads.values()) setAttr(e.els.li, "aria-current", e.t.id === id ? "true" : null);
  syncTabStop();
  const base = maxPos(state.seenPos, state.minPos);
  let t;
  try {
    t = await api(`/api/threads/${encodeURIComponent(id)}`);
  } catch (err) {
    if (gen !== state.openGen || quiet(err)) return;
    if (switched) {
      // Not the previous thread's messages under this one's selection.
      state.messageEls.clear();
      el.messages.replaceChildren();
      renderNotes([]);
      el.thread.dataset.threadId = id;
      const e = state.threads.get(id);
      setText(el["thread-title"], e ? e.t.customer_name || shownPhone(e.t) : "Conversation");
    }
    showThreadShell();
    setText(el["thread-error"], err.message);
    return;
  }
  if (gen !== state.openGen) return;
  renderThread(t, base, switched);
  if (measure) {
    try {
      performance.measure("thread-switch", "thread-switch-start");
    } catch {
      // no start mark: nothing to measure
    }
    if (NARROW.matches) el["thread-title"].focus();
  }
  applyThread(threadOnly(t), base);
  if (switched) {
    state.auditChosen = false;
    el["audit-at"].value = utcToZonedInput(Date.now(), state.tz);
    loadAudit();
  }
  if (t.unread && state.canWrite) markRead(id);
}

// threadOnly is a thread as the list has it (no messages, no notes).
function threadOnly(t) {
  const { messages: _messages, notes: _notes, ...rest } = t;
  return rest;
}

function showThreadShell() {
  el.thread.hidden = false;
  el["no-thread"].hidden = true;
  document.body.classList.add("thread-view");
  syncSide();
}

export function closeThread() {
  saveDraft();
  state.openGen++;
  state.openId = null;
  state.open = null;
  state.openPos = 0n;
  state.headPos = 0n;
  state.messageEls.clear();
  el.messages.replaceChildren();
  renderNotes([]);
  el.thread.hidden = true;
  el["no-thread"].hidden = false;
  delete el.thread.dataset.threadId;
  document.body.classList.remove("thread-view");
  hideLeadDetails();
  el["audit-events"].replaceChildren();
  syncSide();
}

// renderThread shows the open thread, known to be at position pos at
// least; a switch renders from scratch, a refresh in place.
function renderThread(t, pos, switched) {
  if (!switched && pos < state.openPos) return;
  state.openPos = pos;
  if (switched) state.open = null;
  showThreadShell();
  el.thread.dataset.threadId = t.id;
  paintHead(t, pos, switched); // unless a live frame painted a newer head
  state.open = { ...state.open, messages: t.messages || [] };
  if (switched) {
    el["reply-body"].value = state.drafts.get(t.id) || "";
    resetComposer();
    countReply();
  }
  renderMessages(t.messages || [], switched);
  renderNotes(t.notes || []);
}

// paintHead shows the open thread's name, consent and actions. A live
// frame paints them at once (the messages follow with a re-read), so the
// head and the list never disagree for long.
export function paintHead(t, pos, force = false) {
  if (!force && pos < state.headPos) return;
  state.headPos = pos;
  const prev = state.open;
  // A change of consent is a new entry in the audit (unless the user is
  // looking at another instant).
  if (!force && prev && prev.consent !== t.consent && !state.auditChosen) loadAudit();
  state.open = { ...(prev || {}), ...t, messages: t.messages || (prev && prev.messages) || [] };
  setText(el["thread-title"], t.customer_name || shownPhone(t));
  setText(el.threadPhone, t.customer_name ? shownPhone(t) : "");
  setBadge(el.threadBadge, t.consent);
  const action = t.archived ? "unarchive" : "archive";
  el.archive.dataset.action = action;
  setText(el.archive, t.archived ? "Unarchive" : "Archive");
  syncLeadButton(t);
  syncReplyHint(t);
  syncAssignee(t);
}

function syncLeadButton(t) {
  const slot = el["lead-button-slot"];
  const want = t.lead_id ? el.showLead : state.canManageLeads ? el.createLead : null;
  for (const b of [el.createLead, el.showLead]) {
    if (b !== want && b.isConnected) {
      const hadFocus = document.activeElement === b;
      b.remove();
      if (hadFocus && want) {
        slot.append(want);
        want.focus();
      }
    }
  }
  if (want && !want.isConnected) slot.append(want);
}

function syncReplyHint(t) {
  let hint = "";
  if (t.consent !== "yes") {
    const who = t.customer_name || shownPhone(t);
    hint = t.consent === "pending"
      ? `${who} has not confirmed consent yet (Pending): a reply will be refused.`
      : `${who} has not consented to texts from this number: a reply will be refused.`;
  }
  setText(el["reply-hint"], hint);
}

// refreshOpen reads the open thread again, at position minPos at least
// (after our own command, or a live frame). Calls while one is on its way
// are folded into one more read after it.
export async function refreshOpen(minPos = 0n) {
  const r = state.refresh;
  r.minPos = maxPos(r.minPos, minPos);
  if (r.busy) {
    r.again = true;
    return;
  }
  const id = state.openId;
  if (!id) return;
  r.busy = true;
  const want = r.minPos;
  r.minPos = 0n;
  const gen = state.openGen;
  try {
    const base = maxPos(state.seenPos, state.minPos, want);
    const t = await api(`/api/threads/${encodeURIComponent(id)}`, { minPos: want });
    if (gen === state.openGen && state.openId === id) {
      renderThread(t, base, false);
      applyThread(threadOnly(t), base);
      if (state.leadId && t.lead_id === state.leadId && !el["lead-details"].hidden) loadLead(state.leadId, want, false);
    }
  } catch (err) {
    if (!quiet(err) && gen === state.openGen) setText(el["thread-error"], err.message);
  } finally {
    r.busy = false;
    if (r.again) {
      r.again = false;
      refreshOpen(r.minPos);
    }
  }
}

// command sends a thread command (read, unread, archive, unarchive) and
// reads the thread again at the position it answers.
async function command(id, action) {
  if (id === state.openId) setText(el["thread-error"], "");
  try {
    const answer = await api(`/api/threads/${encodeURIComponent(id)}/${action}`, { method: "POST", body: {} });
    const pos = noteCommand(answer);
    if (id === state.openId) await refreshOpen(pos);
    return true;
  } catch (err) {
    if (!quiet(err) && id === state.openId) setText(el["thread-error"], err.message);
    return false;
  }
}

// markRead records that the thread was read. The list shows it read from
// the re-read at the command's position (not before): what the page shows
// is what the server has.
export function markRead(id) {
  command(id, "read");
}

export async function markUnread() {
  const id = state.openId;
  if (!id) return;
  if (await command(id, "unread")) announce("Marked unread.");
}

export async function toggleArchive() {
  const id = state.openId;
  if (!id) return;
  const action = el.archive.dataset.action;
  if (isBusy(el.archive)) return;
  busy(el.archive, true);
  const ok = await command(id, action);
  busy(el.archive, false);
  if (ok) announce(action === "archive" ? "Archived." : "Moved back to the Inbox.");
}

function saveDraft() {
  if (!state.openId || !el["reply-body"]) return;
  const text = draftText();
  if (text) state.drafts.set(state.openId, text);
  else state.drafts.delete(state.openId);
}

// The longest text, in characters (Unicode code points) as the API counts
// them. The box has no maxlength: a browser's counts UTF-16 units, and would
// cut a text of emoji at half the length the API takes; over the limit, the
// count says so and the API's refusal keeps the text.
const MAX_TEXT = 1600;

export function countReply() {
  const n = [...el["reply-body"].value].length;
  setText(el["reply-count"], `${n} / ${MAX_TEXT}`);
  setAttr(el["reply-count"], "data-over", n > MAX_TEXT ? "true" : null);
  showCost();
}

export async function sendReply(ev) {
  ev.preventDefault();
  const id = state.openId;
  const box = el["reply-body"];
  const text = box.value;
  if (!id || isBusy(el["reply-send"])) return;
  if (!text.trim() && !hasTemplate()) {
    setText(el["reply-error"], "Write the text to send.");
    box.focus();
    return;
  }
  setText(el["reply-error"], "");
  clearScheduleRefusal();
  const later = scheduleFields();
  if (!later) return;
  busy(el["reply-send"], true);
  setAttr(el.reply, "aria-busy", "true");
  try {
    const answer = await api(`/api/threads/${encodeURIComponent(id)}/messages`, { method: "POST", body: { ...replyRequest(text), ...later } });
    const pos = noteCommand(answer);
    state.drafts.delete(id);
    if (state.openId === id && box.value === text) {
      if (hasTemplate()) resetComposer();
      box.value = "";
      countReply();
    }
    if (later.send_at) resetSchedule();
    announce(later.send_at ? "Reply scheduled." : "Reply sent.");
    // Answering a thread is reading it: one left unread (a text came while
    // it was open) is marked read. The reply itself changes no unread flag.
    const entry = state.threads.get(id);
    if (entry && entry.t.unread && state.canWrite) markRead(id);
    if (state.openId === id) await refreshOpen(pos);
  } catch (err) {
    if (quiet(err)) return;
    // Refused (consent_required, quiet_hours, …): the text stays in the box;
    // a refused time to send it later shows beside the schedule option.
    if (state.openId === id && !showScheduleRefusal(err)) {
      const qh = quietHoursRefusal(err, state.fmt);
      if (qh) el["reply-error"].replaceChildren(...qh);
      else setText(el["reply-error"], err.message);
      box.focus();
    }
  } finally {
    busy(el["reply-send"], false);
    setAttr(el.reply, "aria-busy", null);
  }
}
