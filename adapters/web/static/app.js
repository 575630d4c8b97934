// The Messages page: a client of smsinbox's public API (api/openapi.yaml).
// Its DOM hooks, live stream and timing marks are the contract of
// adapters/web/README.md.
//
// The page keeps little state: the threads of the list on screen (keyed by
// ID, in the API's order), the open thread, and positions. Positions are
// how it stays correct without polling: commands answer the position of
// what they appended (sent back as X-Min-Position, so the page reads its
// own writes), and every live frame carries the position its state is at.
// A thread's state is only ever replaced by one known to be at least as new.

import { SSEParser } from "./sse.js";
import { Formatter, sortKey, utcToZonedInput, zonedToUTC } from "./time.js";
import { $, announce, badge, h, setAttr, setBadge, setText } from "./dom.js";
import { twilioMediaURL } from "./media.js";
import { quietHoursRefusal } from "./quiethours.js";

const TOKEN_KEY = "smsinbox.token";
const PAGE_SIZE = 50;
const READ_ROLES = new Set(["admin", "agent", "compliance"]);
const WRITE_ROLES = new Set(["admin", "agent"]);
const AUDIT_ROLES = new Set(["admin", "compliance"]);
const LIVE_RETRY_CAP_MS = 30000;
// Three missed pings (one every 15 s) and the connection is taken for dead.
const LIVE_SILENCE_MS = 45000;
const NARROW = window.matchMedia("(max-width: 760px)");

// ───────────────────────────── state ─────────────────────────────

const state = {
  token: null,
  session: 0, // bumped at every sign-in and sign-out: late answers of an old session are dropped
  me: null,
  fmt: new Formatter("UTC"),
  tz: "UTC",
  canWrite: false,
  canAudit: false,
  folder: "inbox",
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
const el = {};

function lookUp() {
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

// ───────────────────────────── API ─────────────────────────────

class ApiError extends Error {
  constructor(status, code, message, fields, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || null;
    this.details = details || null; // the API's whole error object
  }
}

const maxPos = (...ps) => ps.reduce((a, b) => (b > a ? b : a), 0n);

function toPos(s) {
  try {
    return BigInt(s);
  } catch {
    return 0n;
  }
}

// api calls smsinbox with the session's token. It answers the parsed JSON
// (or, with raw, the Response), and throws ApiError with the API's own
// message. A 401 signs out, whatever asked.
async function api(path, { method = "GET", body, minPos = 0n, raw = false, signal } = {}) {
  const session = state.session;
  const headers = { Authorization: `Bearer ${state.token}` };
  const pos = maxPos(minPos, state.minPos);
  if (pos > 0n) headers["X-Min-Position"] = pos.toString();
  const init = { method, headers, cache: "no-store", signal };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const request = fetch(path, init).then((res) => (raw && res.ok ? { res, text: null } : res.text().then((text) => ({ res, text }))));
  return answer(request, session);
}

// answer turns a request ({res, text}: the response and its body read, as
// boot.js also makes them; text null for a raw answer) into api()'s answer.
async function answer(request, session) {
  let res;
  let text;
  try {
    ({ res, text } = await request);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "smsinbox could not be reached. Check the connection and try again.");
  }
  if (text === null) return res;
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (res.ok) return data;
  const e = data && data.error ? data.error : {};
  const err = new ApiError(res.status, e.code || `http_${res.status}`,
    e.message || `smsinbox answered ${res.status} ${res.statusText}.`, e.fields, e);
  if (session === state.session) {
    if (res.status === 401) signOut(err.message);
    else if (err.code === "sms_disabled") showBlocked("sms_disabled", err.message);
  }
  throw err;
}

// noteCommand keeps a command's position: later reads wait for it.
function noteCommand(answer) {
  if (answer && answer.position) state.minPos = maxPos(state.minPos, toPos(answer.position));
  return toPos(answer && answer.position);
}

// busy marks a button as working (or not). It stays focusable (a disabled
// button would drop the keyboard's focus); its action checks isBusy.
function busy(button, on) {
  setAttr(button, "aria-disabled", on ? "true" : null);
}
const isBusy = (button) => button.getAttribute("aria-disabled") === "true";

// quiet reports an error that was already dealt with (sign-out, blocked,
// or a request made moot by a newer one).
const quiet = (err) => err.name === "AbortError" || err.status === 401 || err.code === "sms_disabled";

// ───────────────────────────── views ─────────────────────────────

function showView(name) {
  el["signin-view"].hidden = name !== "signin";
  el["blocked-view"].hidden = name !== "blocked";
  el.app.hidden = name !== "app";
  // One sign-out button: in the header of the app, or on the closed page.
  if (name === "blocked") el.blocked.append(el.signout);
  else if (el.signout.parentElement !== el.topbar) el.topbar.append(el.signout);
}

function showSignin(message) {
  showView("signin");
  setText(el["signin-error"], message || "");
  el.token.value = "";
  el.token.focus();
}

const BLOCKED_TEXT = {
  sms_disabled: ["Messages are turned off",
    (company) => `Messages are turned off for ${company || "your company"}. Texts from customers are still recorded; an administrator can turn Messages back on.`],
  forbidden: ["Messages are not part of your role",
    (_company, role) => `Your role${role ? ` (${role})` : ""} does not include Messages. Ask an administrator of your company for access.`],
};

function showBlocked(reason, apiMessage) {
  stopLive();
  const [title, text] = BLOCKED_TEXT[reason] || BLOCKED_TEXT.forbidden;
  el.blocked.dataset.reason = reason;
  setText(el["blocked-title"], title);
  const me = state.me || {};
  // Our own words when we know the company; else the API's.
  const message = me.company || !apiMessage ? text(me.company && me.company.name, me.user && me.user.role) : apiMessage;
  setText(el["blocked-message"], message);
  showView("blocked");
  el["blocked-title"].focus();
}

// gate puts an element in the document or takes it out (it leaves a
// comment in its place to come back to): controls a role cannot use are
// not there at all, for eyes, keyboards and screen readers alike.
const placeholders = new Map();
function gate(node, on) {
  let ph = placeholders.get(node);
  if (!ph) {
    ph = document.createComment(node.id || "gated");
    placeholders.set(node, ph);
  }
  if (on && !node.isConnected && ph.isConnected) ph.replaceWith(node);
  if (!on && node.isConnected) node.replaceWith(ph);
}

// ─────────────────────────── sign-in ───────────────────────────

// start opens a session with token. fromForm: the user just signed in, so
// the focus (which was in the form, now gone) goes to the list.
async function start(token, fromForm = false) {
  stopLive();
  const session = ++state.session;
  state.token = token;
  resetSession();
  // Who we are and the first page, at once: the list is on screen one
  // round trip after the page loaded. boot.js may have asked already.
  const early = takeEarly(token);
  const me = (early ? answer(early.me, session) : api("/api/me")).then((v) => ({ v }), (err) => ({ err }));
  const page = (early ? answer(early.threads, session) : fetchPage("inbox", null)).then((v) => ({ v }), (err) => ({ err }));

  const who = await me;
  if (session !== state.session) return;
  if (who.err) {
    if (quiet(who.err)) return;
    if (who.err.status === 0 || who.err.status >= 500) {
      // smsinbox unreachable or unwell: the token may be fine, and stays
      // (a reload tries it again).
      showSignin(who.err.message);
      return;
    }
    if (who.err.status !== 404) {
      signOut(who.err.message);
      return;
    }
    // An older smsinbox without /api/me: the list says whether the token
    // and the role are good; the company's time zone is unknown (UTC).
    state.me = null;
  } else {
    state.me = who.v;
    const { user, company } = who.v;
    if (!company.sms_enabled) {
      sessionStorage.setItem(TOKEN_KEY, token);
      showBlocked("sms_disabled");
      return;
    }
    if (!READ_ROLES.has(user.role)) {
      sessionStorage.setItem(TOKEN_KEY, token);
      showBlocked("forbidden");
      return;
    }
  }

  const first = await page;
  if (session !== state.session) return;
  if (first.err) {
    if (quiet(first.err)) return;
    if (first.err.code === "forbidden") {
      sessionStorage.setItem(TOKEN_KEY, token);
      showBlocked("forbidden");
      return;
    }
    if (!state.me) {
      signOut(first.err.message);
      return;
    }
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  showApp();
  if (first.err) setText(el["list-error"], first.err.message);
  else renderFirstPage(first.v, state.seenPos);
  if (!state.inboxReady) {
    state.inboxReady = true;
    performance.mark("inbox-ready");
  }
  if (fromForm) {
    if (state.order.length) focusThreadAt(0);
    else el["tab-inbox"].focus();
  }
  connectLive();
}

// takeEarly hands over, once, the requests boot.js started with token.
function takeEarly(token) {
  const early = window.smsinboxEarly;
  window.smsinboxEarly = null;
  return early && early.token === token ? early : null;
}

function resetSession() {
  state.me = null;
  state.folder = "inbox";
  state.minPos = 0n;
  state.seenPos = 0n;
  state.lastEventId = null;
  state.drafts.clear();
  clearList();
  closeThread();
}

function signOut(message) {
  state.session++;
  stopLive();
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  if (el["lead-dialog"].open) el["lead-dialog"].close();
  resetSession();
  showSignin(message);
}

function showApp() {
  const me = state.me;
  const role = me ? me.user.role : "";
  state.tz = (me && me.company.time_zone) || "UTC";
  try {
    state.fmt = new Formatter(state.tz);
  } catch {
    state.tz = "UTC"; // a zone this browser does not know
    state.fmt = new Formatter("UTC");
  }
  // Without /api/me the role is unknown: every control shows, and the API
  // refuses what the role may not do (the audit then hides itself).
  state.canWrite = !me || WRITE_ROLES.has(role);
  state.canAudit = !me || AUDIT_ROLES.has(role);
  setText(el["company-name"], me ? me.company.name : "");
  setText(el["user-name"], me ? me.user.name : "");
  setText(el["user-role"], role ? `(${role})` : "");
  setText(el["company-tz"], state.tz);
  for (const n of document.querySelectorAll(".audit-tz")) setText(n, state.tz);
  gate(el["mark-unread"], state.canWrite);
  gate(el.archive, state.canWrite);
  gate(el.reply, state.canWrite);
  gate(el.audit, state.canAudit);
  selectTab("inbox", false);
  showView("app");
}

// ───────────────────────────── list ─────────────────────────────

function fetchPage(folder, cursor, minPos = 0n) {
  const q = new URLSearchParams({ folder, limit: String(PAGE_SIZE) });
  if (cursor) q.set("cursor", cursor);
  return api(`/api/threads?${q}`, { minPos });
}

// before says whether thread entry a comes before b: most recent activity
// first, then the greater ID (the API's order).
function before(a, b) {
  if (a.key !== b.key) return a.key > b.key;
  return a.t.id > b.t.id;
}

function clearList() {
  state.listGen++;
  state.threads.clear();
  state.order = [];
  state.nextCursor = null;
  state.boundary = null;
  state.pagesLoaded = 0;
  el.threads.replaceChildren();
  setText(el["list-error"], "");
  syncMore();
  syncEmpty();
}

function renderFirstPage(page, pos) {
  clearList();
  const frag = document.createDocumentFragment();
  for (const t of page.threads) {
    const e = newEntry(t, pos);
    state.order.push(t.id);
    frag.append(e.els.li);
  }
  el.threads.append(frag);
  setPageEnd(page);
  state.pagesLoaded = 1;
  syncMore();
  syncEmpty();
  syncTabStop();
}

// setPageEnd notes where the pages loaded end: the next page's cursor, and
// the thread the list covers up to (what sorts after it is not loaded).
function setPageEnd(page) {
  state.nextCursor = page.next_cursor;
  const last = page.threads[page.threads.length - 1];
  if (last) state.boundary = { t: last, key: sortKey(last.last_activity_at) };
}

function newEntry(t, pos) {
  const e = { t, pos, key: sortKey(t.last_activity_at), els: buildThreadItem(t.id) };
  state.threads.set(t.id, e);
  paintThread(e);
  return e;
}

function buildThreadItem(id) {
  const name = h("span", { class: "thread-name" });
  const time = h("time", { class: "thread-time" });
  const consent = badge("no");
  const preview = h("span", { class: "thread-preview" });
  const unread = h("span", { class: "sr-only" });
  const open = h("button", { type: "button", class: "thread-open", tabindex: "-1" },
    unread,
    h("span", { class: "thread-line" }, name, time),
    h("span", { class: "thread-line" }, h("span", { class: "sr-only" }, "Consent:"), consent, preview));
  const li = h("li", { class: "thread", dataset: { threadId: id } }, open);
  return { li, open, name, time, consent, preview, unread };
}

// paintThread writes a thread's state into its list item.
function paintThread(e) {
  const { t, els } = e;
  setAttr(els.li, "data-unread", t.unread ? "true" : "false");
  els.li.classList.toggle("unread", t.unread);
  setAttr(els.li, "aria-current", t.id === state.openId ? "true" : null);
  setText(els.unread, t.unread ? "Unread. " : "");
  setText(els.name, t.customer_name || t.customer_phone);
  if (t.last_customer_reply_at) {
    setText(els.time, state.fmt.listTime(t.last_customer_reply_at));
    setAttr(els.time, "datetime", t.last_customer_reply_at);
  } else {
    setText(els.time, "No reply yet");
    setAttr(els.time, "datetime", null);
  }
  setBadge(els.consent, t.consent);
  setText(els.preview, t.last_message_preview || "");
}

// applyThread takes a thread's state (a live frame, a re-read) known to be
// at position pos, at least, into the list: inserted, moved, updated or
// removed. An older state than the one shown is ignored.
function applyThread(t, pos) {
  const e = state.threads.get(t.id);
  if (e && pos < e.pos) return;
  const inFolder = t.archived === (state.folder === "archived");
  if (!inFolder) {
    if (e) removeThread(t.id);
    return;
  }
  const entry = e || { t, pos, key: "", els: null };
  entry.t = t;
  entry.pos = pos;
  entry.key = sortKey(t.last_activity_at);
  // Where it goes: binary search over the others.
  const others = state.order.filter((id) => id !== t.id);
  let lo = 0;
  let hi = others.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(state.threads.get(others[mid]), entry)) lo = mid + 1;
    else hi = mid;
  }
  // Past the pages loaded while there is another page: it belongs to a
  // page not loaded yet ("Load more" brings it).
  if (state.nextCursor && state.boundary && before(state.boundary, entry)) {
    if (e) removeThread(t.id);
    return;
  }
  if (!e) {
    entry.els = buildThreadItem(t.id);
    state.threads.set(t.id, entry);
  }
  paintThread(entry);
  others.splice(lo, 0, t.id);
  state.order = others;
  const next = lo + 1 < others.length ? state.threads.get(others[lo + 1]).els.li : null;
  if (entry.els.li.nextSibling !== next || !entry.els.li.isConnected) {
    // Moving the focused item would lose focus: keep it there.
    const focused = entry.els.li.contains(document.activeElement);
    el.threads.insertBefore(entry.els.li, next);
    if (focused) entry.els.open.focus();
  }
  syncEmpty();
  syncTabStop();
}

function removeThread(id) {
  const e = state.threads.get(id);
  if (!e) return;
  const hadFocus = e.els.li.contains(document.activeElement);
  const i = state.order.indexOf(id);
  state.order.splice(i, 1);
  state.threads.delete(id);
  e.els.li.remove();
  syncEmpty();
  syncTabStop();
  if (hadFocus) focusThreadAt(Math.min(i, state.order.length - 1));
}

function syncEmpty() {
  el["threads-empty"].hidden = state.order.length > 0 || state.pagesLoaded === 0;
}

function syncMore() {
  const slot = el["threads-more-slot"];
  if (state.nextCursor) {
    if (!el.more.isConnected) slot.append(el.more);
  } else if (el.more.isConnected) {
    const hadFocus = document.activeElement === el.more;
    el.more.remove();
    if (hadFocus) focusThreadAt(state.order.length - 1);
  }
}

async function loadMore() {
  const gen = state.listGen;
  const cursor = state.nextCursor;
  if (!cursor || isBusy(el.more)) return;
  busy(el.more, true);
  setText(el.more, "Loading…");
  try {
    const base = maxPos(state.seenPos, state.minPos);
    const page = await fetchPage(state.folder, cursor);
    if (gen !== state.listGen) return;
    setPageEnd(page);
    state.pagesLoaded++;
    for (const t of page.threads) applyThread(t, base);
    announce(`${page.threads.length} more conversations loaded.`);
  } catch (err) {
    if (!quiet(err)) setText(el["list-error"], err.message);
  } finally {
    busy(el.more, false);
    setText(el.more, "Load more");
    syncMore();
  }
}

// reloadList loads the first page again, for a reset (another tab, a
// reload frame): the list is replaced.
async function reloadList(minPos = 0n) {
  const gen = ++state.listGen;
  setAttr(el.threads, "aria-busy", "true");
  // Live frames that come while the page is read are kept and applied over
  // it: the page may have been read before their change.
  const frames = new Map();
  state.framesDuringReload = frames;
  try {
    const base = maxPos(state.seenPos, state.minPos, minPos);
    const page = await fetchPage(state.folder, null, minPos);
    if (gen !== state.listGen) return;
    renderFirstPage(page, base);
    for (const f of frames.values()) if (f.pos > base) applyThread(f.t, f.pos);
    announce(`${page.threads.length}${page.next_cursor ? " or more" : ""} conversations in ${state.folder === "inbox" ? "the Inbox" : "Archived"}.`);
  } catch (err) {
    if (!quiet(err) && gen === state.listGen) setText(el["list-error"], err.message);
  } finally {
    if (state.framesDuringReload === frames) state.framesDuringReload = null;
    setAttr(el.threads, "aria-busy", null);
  }
}

// resync reads the first page again at position pos (where the live stream
// starts) and merges it: whatever changed between the list's first read
// and the stream's start is not missed. Threads of that page's range that
// are not in it any more went elsewhere.
async function resync(pos) {
  const gen = state.listGen;
  try {
    const page = await fetchPage(state.folder, null, pos);
    if (gen !== state.listGen) return;
    const base = maxPos(pos, state.minPos);
    const seen = new Set(page.threads.map((t) => t.id));
    const last = page.threads.length ? page.threads[page.threads.length - 1] : null;
    const lastEntry = last && { t: last, key: sortKey(last.last_activity_at) };
    for (const id of [...state.order]) {
      const e = state.threads.get(id);
      const inRange = !page.next_cursor || !lastEntry || !before(lastEntry, e);
      if (inRange && !seen.has(id) && e.pos <= base) removeThread(id);
    }
    if (state.pagesLoaded <= 1) setPageEnd(page);
    for (const t of page.threads) applyThread(t, base);
    if (state.pagesLoaded === 0) state.pagesLoaded = 1;
    syncMore();
  } catch (err) {
    if (!quiet(err)) setText(el["list-error"], err.message);
  }
  if (state.openId) refreshOpen(pos);
}

// Roving tab stop: the list is one stop in the tab order (the open thread,
// else the first); the arrow keys move within it.
function syncTabStop() {
  const buttons = el.threads.querySelectorAll(".thread-open");
  let stop = null;
  for (const b of buttons) if (b === document.activeElement) stop = b;
  if (!stop && state.openId && state.threads.has(state.openId)) stop = state.threads.get(state.openId).els.open;
  if (!stop) stop = buttons[0] || null;
  for (const b of buttons) setAttr(b, "tabindex", b === stop ? "0" : "-1");
}

function focusThreadAt(i) {
  if (i < 0 || i >= state.order.length) {
    if (state.order.length === 0) el["tab-" + state.folder].focus();
    return;
  }
  const b = state.threads.get(state.order[i]).els.open;
  for (const o of el.threads.querySelectorAll(".thread-open")) setAttr(o, "tabindex", o === b ? "0" : "-1");
  b.focus();
}

function onListKey(ev) {
  const li = ev.target.closest("li.thread");
  if (!li) return;
  const i = state.order.indexOf(li.dataset.threadId);
  const moves = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: state.order.length - 1 };
  if (!(ev.key in moves)) return;
  ev.preventDefault();
  focusThreadAt(Math.max(0, Math.min(state.order.length - 1, moves[ev.key])));
}

function selectTab(folder, load = true) {
  state.folder = folder;
  for (const f of ["inbox", "archived"]) {
    const tab = el[`tab-${f}`];
    setAttr(tab, "aria-selected", f === folder ? "true" : "false");
    setAttr(tab, "tabindex", f === folder ? null : "-1");
  }
  setAttr(el["threads-panel"], "aria-labelledby", `tab-${folder}`);
  setAttr(el.threads, "aria-label", `${folder === "inbox" ? "Inbox" : "Archived"} conversations, most recent first`);
  if (load) {
    clearList();
    reloadList();
  }
}

function onTabKey(ev) {
  if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(ev.key)) return;
  ev.preventDefault();
  const next = state.folder === "inbox" ? "archived" : "inbox";
  const to = ev.key === "Home" ? "inbox" : ev.key === "End" ? "archived" : next;
  if (to !== state.folder) selectTab(to);
  el[`tab-${to}`].focus();
}

// ───────────────────────────── thread ─────────────────────────────

// openThread shows a thread; measure (a click) records the switch's time
// and, in the one-column layout, takes the focus to the thread.
async function openThread(id, { measure = false } = {}) {
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
      el.thread.dataset.threadId = id;
      const e = state.threads.get(id);
      setText(el["thread-title"], e ? e.t.customer_name || e.t.customer_phone : "Conversation");
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

// threadOnly is a thread as the list has it (no messages).
function threadOnly(t) {
  const { messages: _messages, ...rest } = t;
  return rest;
}

function showThreadShell() {
  el.thread.hidden = false;
  el["no-thread"].hidden = true;
  document.body.classList.add("thread-view");
  syncSide();
}

function closeThread() {
  saveDraft();
  state.openGen++;
  state.openId = null;
  state.open = null;
  state.openPos = 0n;
  state.headPos = 0n;
  state.messageEls.clear();
  el.messages.replaceChildren();
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
    countReply();
  }
  renderMessages(t.messages || [], switched);
}

// paintHead shows the open thread's name, consent and actions. A live
// frame paints them at once (the messages follow with a re-read), so the
// head and the list never disagree for long.
function paintHead(t, pos, force = false) {
  if (!force && pos < state.headPos) return;
  state.headPos = pos;
  const prev = state.open;
  // A change of consent is a new entry in the audit (unless the user is
  // looking at another instant).
  if (!force && prev && prev.consent !== t.consent && !state.auditChosen) loadAudit();
  state.open = { ...(prev || {}), ...t, messages: t.messages || (prev && prev.messages) || [] };
  setText(el["thread-title"], t.customer_name || t.customer_phone);
  setText(el.threadPhone, t.customer_name ? t.customer_phone : "");
  setBadge(el.threadBadge, t.consent);
  const action = t.archived ? "unarchive" : "archive";
  el.archive.dataset.action = action;
  setText(el.archive, t.archived ? "Unarchive" : "Archive");
  syncLeadButton(t);
  syncReplyHint(t);
}

function syncLeadButton(t) {
  const slot = el["lead-button-slot"];
  const want = t.lead_id ? el.showLead : state.canWrite ? el.createLead : null;
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
    const who = t.customer_name || t.customer_phone;
    hint = t.consent === "pending"
      ? `${who} has not confirmed consent yet (Pending): a reply will be refused.`
      : `${who} has not consented to texts from this number: a reply will be refused.`;
  }
  setText(el["reply-hint"], hint);
}

// renderMessages lays out the open thread's messages, oldest first. Items
// are kept by message ID, so a status change updates one line and the
// reader's scroll position and focus stay; the view follows the newest
// message only when it was already at the bottom.
function renderMessages(messages, switched) {
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
    if (inbound.length) announce(`New text from ${state.open.customer_name || state.open.customer_phone}: ${inbound[inbound.length - 1].body}`);
  }
  if (atBottom) ol.scrollTop = ol.scrollHeight;
}

const STATUS_WORDS = {
  queued: "Queued", sending: "Sending", sent: "Sent", delivered: "Delivered",
  undelivered: "Not delivered", failed: "Failed", received: "Received",
};

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
  const meta = h("p", { class: "message-meta" }, who, time, status, error);
  const li = h("li", { class: "message", dataset: { messageId: m.id } }, h("div", { class: "bubble" }, body, media), meta);
  const parts = { li, body, media, automated, who, time, status, error, mediaKey: null };
  paintMessage(parts, m);
  return parts;
}

function paintMessage(p, m) {
  const { li } = p;
  setAttr(li, "data-direction", m.direction);
  setAttr(li, "data-status", m.status);
  setAttr(li, "data-automated", m.automated ? "true" : "false");
  setText(p.who, m.direction === "inbound" ? "From the customer." : "Sent.");
  setText(p.body, m.body);
  p.body.hidden = !m.body;
  // Only automated texts carry the mark (not hidden text: it would be read).
  if (m.automated && !p.automated.isConnected) p.time.before(p.automated);
  else if (!m.automated && p.automated.isConnected) p.automated.remove();
  setText(p.time, state.fmt.time(m.created_at));
  setAttr(p.time, "datetime", m.created_at);
  setText(p.status, STATUS_WORDS[m.status] || m.status);
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

// refreshOpen reads the open thread again, at position minPos at least
// (after our own command, or a live frame). Calls while one is on its way
// are folded into one more read after it.
async function refreshOpen(minPos = 0n) {
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
function markRead(id) {
  command(id, "read");
}

async function markUnread() {
  const id = state.openId;
  if (!id) return;
  if (await command(id, "unread")) announce("Marked unread.");
}

async function toggleArchive() {
  const id = state.openId;
  if (!id) return;
  const action = el.archive.dataset.action;
  if (isBusy(el.archive)) return;
  busy(el.archive, true);
  const ok = await command(id, action);
  busy(el.archive, false);
  if (ok) announce(action === "archive" ? "Archived." : "Moved back to the Inbox.");
}

// ───────────────────────────── reply ─────────────────────────────

function saveDraft() {
  if (!state.openId || !el["reply-body"]) return;
  const text = el["reply-body"].value;
  if (text) state.drafts.set(state.openId, text);
  else state.drafts.delete(state.openId);
}

function countReply() {
  setText(el["reply-count"], `${el["reply-body"].value.length} / 1600`);
}

async function sendReply(ev) {
  ev.preventDefault();
  const id = state.openId;
  const box = el["reply-body"];
  const text = box.value;
  if (!id || isBusy(el["reply-send"])) return;
  if (!text.trim()) {
    setText(el["reply-error"], "Write the text to send.");
    box.focus();
    return;
  }
  setText(el["reply-error"], "");
  busy(el["reply-send"], true);
  setAttr(el.reply, "aria-busy", "true");
  try {
    const answer = await api(`/api/threads/${encodeURIComponent(id)}/messages`, { method: "POST", body: { body: text } });
    const pos = noteCommand(answer);
    state.drafts.delete(id);
    if (state.openId === id && box.value === text) {
      box.value = "";
      countReply();
    }
    announce("Reply sent.");
    // Answering a thread is reading it: one left unread (a text came while
    // it was open) is marked read. The reply itself changes no unread flag.
    const entry = state.threads.get(id);
    if (entry && entry.t.unread && state.canWrite) markRead(id);
    if (state.openId === id) await refreshOpen(pos);
  } catch (err) {
    if (quiet(err)) return;
    // Refused (consent_required, …): the text stays in the box.
    if (state.openId === id) {
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

// ─────────────────────────── downloads ───────────────────────────

// download fetches a CSV with the token (a plain link cannot send it) and
// hands it to the browser as a file.
async function download(button, path, fallbackName, errorEl) {
  if (isBusy(button)) return;
  const label = button.textContent;
  busy(button, true);
  setAttr(button, "aria-busy", "true");
  setText(button, "Preparing…");
  setText(errorEl, "");
  try {
    const res = await api(path, { raw: true });
    const blob = await res.blob();
    const name = fileName(res.headers.get("Content-Disposition")) || fallbackName;
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    announce(`${name} downloaded.`);
  } catch (err) {
    if (!quiet(err)) setText(errorEl, err.message);
  } finally {
    busy(button, false);
    setAttr(button, "aria-busy", null);
    setText(button, label);
  }
}

// fileName reads the file name of a Content-Disposition header, if any.
function fileName(header) {
  const m = /filename="?([^";]+)"?/i.exec(header || "");
  return m ? m[1].replace(/[\\/]/g, "_") : null;
}

function downloadThread() {
  const t = state.open;
  if (!t) return;
  download(el["download-thread"], `/api/threads/${encodeURIComponent(t.id)}/export.csv`,
    `thread-${t.customer_phone}.csv`, el["thread-error"]);
}

function downloadAll() {
  download(el["download-all"], "/api/messages/export.csv", "messages.csv", el["list-error"]);
}

// ───────────────────────────── leads ─────────────────────────────

const LEAD_FIELDS = [
  ["first_name", "lead-first-name", "First name"],
  ["last_name", "lead-last-name", "Last name"],
  ["email", "lead-email", "E-mail"],
];

function openLeadForm() {
  const t = state.open;
  if (!t) return;
  el["lead-form"].reset();
  clearLeadErrors();
  setText(el["lead-form-phone"], t.customer_phone);
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

async function submitLead(ev) {
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
      await refreshOpen(pos);
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

function hideLeadDetails() {
  state.leadId = null;
  el["lead-details"].hidden = true;
  syncSide();
}

function showLead(id, minPos = 0n) {
  state.leadId = id;
  el["lead-details"].hidden = false;
  setText(el["lead-details-error"], "");
  syncSide();
  el["lead-details-title"].focus();
  loadLead(id, minPos, true);
}

async function loadLead(id, minPos, fresh) {
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

const quote = (s) => `“${s}”`;

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

// words turns "SomeEventType" into "Some event type".
function words(type) {
  const s = String(type || "").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ───────────────────────────── audit ─────────────────────────────

async function loadAudit() {
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

// syncSide shows the side column when it has something to show.
function syncSide() {
  const open = !el.thread.hidden;
  const audit = open && state.canAudit && el.audit.isConnected;
  el.side.hidden = !(open && (audit || !el["lead-details"].hidden));
  el.layout.classList.toggle("with-side", !el.side.hidden);
}

// ───────────────────────────── live ─────────────────────────────

function setLive(s) {
  setAttr(el.live, "data-state", s);
  setText(el.live, { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", closed: "Live updates paused (open in other tabs)" }[s] || s);
}

function stopLive() {
  if (!state.live) return;
  state.live.stopped = true;
  state.live.ctrl.abort();
  clearTimeout(state.live.sleepTimer);
  if (state.live.wake) state.live.wake();
  state.live = null;
}

// connectLive keeps /api/events open for the session: read with fetch and
// a stream reader (EventSource cannot send the token), resumed after any
// drop from the last id seen (Last-Event-ID), with a growing pause between
// failed attempts. There is no polling: without the stream the page still
// works, it only stops changing by itself.
function connectLive() {
  stopLive();
  const live = { stopped: false, ctrl: new AbortController(), attempts: 0, retry: 2000, sleepTimer: null, wake: null };
  state.live = live;
  setLive("connecting");
  runLive(live);
}

async function runLive(live) {
  while (!live.stopped) {
    try {
      await streamOnce(live);
    } catch (err) {
      if (live.stopped) return;
      if (err.fatal) {
        setLive("reconnecting");
        return;
      }
    }
    if (live.stopped) return;
    if (live.closedReason === "too_many_streams") {
      // The user opened more streams elsewhere and this was the oldest: a
      // reconnection would close another one in turn. A reload resumes.
      setLive("closed");
      return;
    }
    setLive("reconnecting");
    const pause = Math.min(LIVE_RETRY_CAP_MS, live.retry * 2 ** Math.min(live.attempts, 6));
    live.attempts++;
    // Jitter, so that a restarted server is not met by every page at once.
    await sleep(live, pause * (0.75 + Math.random() * 0.5));
  }
}

function sleep(live, ms) {
  return new Promise((resolve) => {
    live.wake = resolve;
    live.sleepTimer = setTimeout(resolve, ms);
  });
}

// streamOnce reads one connection until it ends. It throws for an error
// answer; fatal ones end the loop.
async function streamOnce(live) {
  const attempt = new AbortController();
  const stopAttempt = () => attempt.abort();
  live.ctrl.signal.addEventListener("abort", stopAttempt, { once: true });
  const resumed = state.lastEventId !== null;
  const headers = { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" };
  if (resumed) headers["Last-Event-ID"] = state.lastEventId;
  let watchdog = null;
  const arm = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(stopAttempt, LIVE_SILENCE_MS);
  };
  try {
    arm();
    const res = await fetch("/api/events", { headers, cache: "no-store", signal: attempt.signal });
    if (!res.ok) await liveRefused(res);
    const parser = new SSEParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done || live.stopped) break;
      arm();
      for (const ev of parser.feed(value)) {
        if (live.stopped) return;
        onLiveEvent(live, ev, resumed);
      }
      if (parser.retry !== null) live.retry = parser.retry;
    }
  } finally {
    clearTimeout(watchdog);
    live.ctrl.signal.removeEventListener("abort", stopAttempt);
  }
}

// liveRefused deals with an error answer of /api/events and throws.
async function liveRefused(res) {
  let e = {};
  try {
    e = (await res.json()).error || {};
  } catch {
    e = {};
  }
  const err = new Error(e.message || `events answered ${res.status}`);
  if (res.status === 401) {
    signOut(e.message || "The token is not valid.");
    err.fatal = true;
  } else if (e.code === "sms_disabled") {
    showBlocked("sms_disabled", e.message);
    err.fatal = true;
  } else if (res.status === 403) {
    err.fatal = true; // the role has no stream: the page works without it
  } else if (e.code === "invalid_position") {
    // The position we resume from is not one this server knows (a new
    // database?): start afresh, and read the list again when it is ready.
    state.lastEventId = null;
  }
  throw err;
}

function onLiveEvent(live, ev, resumed) {
  let data = null;
  try {
    data = JSON.parse(ev.data);
  } catch {
    data = null;
  }
  const pos = toPos(ev.id);
  switch (ev.type) {
    case "ready":
      live.attempts = 0;
      setLive("live");
      state.lastEventId = ev.id || state.lastEventId;
      state.seenPos = maxPos(state.seenPos, pos);
      // A fresh start: what changed between our first reads and the
      // stream's start is read again. A resumed stream misses nothing.
      if (!resumed) resync(pos);
      return;
    case "thread":
      state.lastEventId = ev.id;
      state.seenPos = maxPos(state.seenPos, pos);
      if (data && data.id) {
        if (state.framesDuringReload) state.framesDuringReload.set(data.id, { t: data, pos });
        onThreadFrame(data, pos);
      }
      return;
    case "closed":
      // The server's last frame: why it closes the stream. signed_out
      // reconnects, and the reconnection's 401 signs the page out.
      live.closedReason = data && data.reason;
      return;
    case "reload":
      state.lastEventId = ev.id;
      state.seenPos = maxPos(state.seenPos, pos);
      reloadList(pos);
      if (state.openId) {
        refreshOpen(pos);
        // Company-wide: the number in use changed, so did the audit's now.
        if (!state.auditChosen) loadAudit();
      }
      return;
    default:
      if (ev.id) state.lastEventId = ev.id;
  }
}

function onThreadFrame(t, pos) {
  const prior = state.threads.get(t.id);
  const wasReply = prior ? prior.t.last_customer_reply_at : null;
  applyThread(t, pos);
  if (t.id !== state.openId) {
    if (t.unread && t.last_customer_reply_at && t.last_customer_reply_at !== wasReply) {
      announce(`New text from ${t.customer_name || t.customer_phone}.`);
    }
    return;
  }
  const open = state.open;
  // A keyword (HELP, …) may add to the audit without changing consent.
  if (open && open.consent === t.consent && open.last_customer_reply_at !== t.last_customer_reply_at && !state.auditChosen) loadAudit();
  if (open) paintHead(t, pos);
  refreshOpen(pos);
}

// ───────────────────────────── wiring ─────────────────────────────

function wire() {
  el.signin.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const token = el.token.value.trim();
    if (!token) {
      setText(el["signin-error"], "Enter your user token.");
      el.token.focus();
      return;
    }
    setText(el["signin-error"], "");
    start(token, true);
  });
  el.signout.addEventListener("click", () => signOut(""));

  el["tab-inbox"].addEventListener("click", () => state.folder !== "inbox" && selectTab("inbox"));
  el["tab-archived"].addEventListener("click", () => state.folder !== "archived" && selectTab("archived"));
  for (const tab of [el["tab-inbox"], el["tab-archived"]]) tab.addEventListener("keydown", onTabKey);

  el.threads.addEventListener("click", (ev) => {
    const button = ev.target.closest("button.thread-open");
    if (!button) return;
    performance.mark("thread-switch-start");
    openThread(button.closest("li.thread").dataset.threadId, { measure: true });
  });
  el.threads.addEventListener("keydown", onListKey);
  el.more.addEventListener("click", loadMore);
  el["download-all"].addEventListener("click", downloadAll);

  el.back.addEventListener("click", () => {
    const id = state.openId;
    document.body.classList.remove("thread-view");
    const e = id && state.threads.get(id);
    if (e) e.els.open.focus();
    else el[`tab-${state.folder}`].focus();
  });
  el["mark-unread"].addEventListener("click", markUnread);
  el.archive.addEventListener("click", toggleArchive);
  el["download-thread"].addEventListener("click", downloadThread);
  el.createLead.addEventListener("click", openLeadForm);
  el.showLead.addEventListener("click", () => state.open && state.open.lead_id && showLead(state.open.lead_id));

  el.reply.addEventListener("submit", sendReply);
  el["reply-body"].addEventListener("input", countReply);
  el["reply-body"].addEventListener("keydown", (ev) => {
    // Ctrl+Enter (⌘+Enter) sends; Enter alone is a new line.
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      el.reply.requestSubmit();
    }
  });

  el["lead-form"].addEventListener("submit", submitLead);
  el["lead-cancel"].addEventListener("click", () => el["lead-dialog"].close());
  el["lead-dialog"].addEventListener("close", () => {
    const back = state.open && state.open.lead_id ? el.showLead : el.createLead;
    if (back.isConnected) back.focus();
  });
  el["lead-details-close"].addEventListener("click", () => {
    hideLeadDetails();
    if (el.showLead.isConnected) el.showLead.focus();
  });

  el["audit-form"].addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.auditChosen = true;
    loadAudit();
  });
  el["audit-at"].addEventListener("change", () => {
    state.auditChosen = true;
    loadAudit();
  });
  el["audit-now"].addEventListener("click", () => {
    state.auditChosen = false;
    el["audit-at"].value = utcToZonedInput(Date.now(), state.tz);
    loadAudit();
  });

  // Back online: reconnect now rather than at the end of the pause.
  window.addEventListener("online", () => state.live && state.live.wake && state.live.wake());
  // Leaving the one-column layout shows both columns again.
  NARROW.addEventListener("change", () => {
    if (!NARROW.matches && state.openId) document.body.classList.add("thread-view");
  });
}

function boot() {
  lookUp();
  wire();
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) start(token);
  else showSignin("");
}

boot();
