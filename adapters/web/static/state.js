// The page's state and its elements, shared by every module of the page.
//
// The page keeps little state: the threads of the list on screen (keyed by
// ID, in the API's order), the open thread, and positions. Positions are
// how it stays correct without polling: commands answer the position of
// what they appended (sent back as X-Min-Position, so the page reads its
// own writes), and every live frame carries the position its state is at.
// A thread's state is only ever replaced by one known to be at least as new.

import { $, h } from "./dom.js";
import { Formatter } from "./time.js";

export const state = {
  token: null,
  session: 0, // bumped at every sign-in and sign-out: late answers of an old session are dropped
  me: null,
  fmt: new Formatter("UTC"),
  tz: "UTC",
  canWrite: false,
  canManageLeads: false,
  canAudit: false,
  folder: "inbox",
  assignee: "", // the list's filter: "me", "unassigned" or "" (all)
  listGen: 0, // bumped when the list is reset (tab, reload)
  framesDuringReload: null, // thread id → {t, pos}: live frames that came while the list was read again
  threads: new Map(), // id → entry {t, pos, key, els}
  order: [], // ids, most recent activity first
  nextCursor: null,
  boundary: null, // the last thread of the pages loaded ({t, key}): the list covers up to it
  pagesLoaded: 0,
  openId: null,
  openGen: 0,
  open: null, // the open thread, as GET /api/threads/{id} answered it
  openPos: 0n, // the position the open thread's messages are known to be at, at least
  headPos: 0n, // the same for its head (name, consent, archived), which live frames paint
  messageEls: new Map(), // message id → its elements, for the open thread
  drafts: new Map(), // thread id → unsent reply text
  refresh: { busy: false, again: false, minPos: 0n },
  minPos: 0n, // the highest position our own commands answered
  seenPos: 0n, // the highest position the live stream delivered
  lastEventId: null,
  live: null,
  leadId: null, // the lead shown in Lead Details
  auditGen: 0,
  auditChosen: false, // the user picked an instant (else: now)
  inboxReady: false,
};

// Elements, looked up once. Some leave the document for roles that cannot
// use them (gate), so they are always reached through this table.
export const el = {};

export function lookUp() {
  for (const id of [
    "signin-view", "signin", "token", "signin-error", "blocked-view", "blocked", "blocked-title",
    "blocked-message", "app", "company-name", "user-name", "user-role", "company-tz", "live", "signout",
    "tab-inbox", "tab-archived", "threads-panel", "threads", "threads-empty", "threads-more-slot",
    "download-all", "list-error", "no-thread", "thread", "back", "thread-title", "thread-actions",
    "mark-unread", "archive", "download-thread", "lead-button-slot", "thread-error", "messages",
    "reply", "reply-body", "reply-hint", "reply-error", "reply-count", "reply-send", "side",
    "lead-details", "lead-details-title", "lead-details-close", "lead-details-error", "journey",
    "audit", "audit-form", "audit-at", "audit-now", "audit-status", "audit-detail", "audit-error",
    "audit-events", "layout", "lead-dialog", "lead-form", "lead-form-phone", "lead-first-name",
    "lead-last-name", "lead-email", "lead-form-error", "lead-cancel", "lead-submit",
    "schedule", "schedule-on", "schedule-fields", "schedule-at", "schedule-zone", "schedule-error", "schedule-next",
    "assignee", "assignee-filter", "notes", "notes-list", "notes-count", "note-form", "note-body", "note-add", "note-error",
    "reply-template", "reply-template-note", "reply-segments",
    "search", "search-q", "search-panel", "search-title", "search-clear", "search-error", "search-results",
    "search-empty", "search-more", "list-tools",
  ]) {
    el[id] = document.getElementById(id);
  }
  el.topbar = $(".topbar");
  el.threadPhone = $(".thread-phone", el.thread);
  el.threadBadge = $(".consent-badge", el.thread);
  el.createLead = h("button", { id: "create-lead", type: "button" }, "Create Lead");
  el.showLead = h("button", { id: "show-lead", type: "button" }, "Lead Details");
  el.more = h("button", { id: "threads-more", type: "button", class: "more" }, "Load more");
}
