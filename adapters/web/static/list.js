// The thread list: the Inbox and Archived folders (tabs), its pages
// ("Load more"), threads placed by their latest state as frames and
// re-reads come, and keyboard moves within it.

import { api, maxPos, quiet } from "./api.js";
import { announce, badge, busy, h, isBusy, setAttr, setBadge, setText, shownPhone } from "./dom.js";
import { el, state } from "./state.js";
import { sortKey } from "./time.js";

const PAGE_SIZE = 50;

export function fetchPage(folder, cursor, minPos = 0n) {
  const q = new URLSearchParams({ folder, limit: String(PAGE_SIZE) });
  if (state.assignee) q.set("assignee", state.assignee);
  if (cursor) q.set("cursor", cursor);
  return api(`/api/threads?${q}`, { minPos });
}

// before says whether thread entry a comes before b: most recent activity
// first, then the greater ID (the API's order).
function before(a, b) {
  if (a.key !== b.key) return a.key > b.key;
  return a.t.id > b.t.id;
}

export function clearList() {
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

export function renderFirstPage(page, pos) {
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
  setText(els.name, t.customer_name || shownPhone(t));
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
export function applyThread(t, pos) {
  const e = state.threads.get(t.id);
  if (e && pos < e.pos) return;
  const inFolder = t.archived === (state.folder === "archived") && ofAssignee(t);
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

// ofAssignee says whether the list's assignee filter (Mine, Unassigned,
// All) lets thread t in: a live frame of a thread assigned elsewhere
// leaves the list.
function ofAssignee(t) {
  switch (state.assignee) {
    case "me": return !!state.me && t.assignee_id === state.me.user.id;
    case "unassigned": return !t.assignee_id;
    default: return true;
  }
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

export async function loadMore() {
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
export async function reloadList(minPos = 0n) {
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
// are not in it any more went elsewhere. It answers false when the list
// was reset meanwhile (the reset reads it anew), else true.
export async function resync(pos) {
  const gen = state.listGen;
  try {
    const page = await fetchPage(state.folder, null, pos);
    if (gen !== state.listGen) return false;
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
  return true;
}

// Roving tab stop: the list is one stop in the tab order (the open thread,
// else the first); the arrow keys move within it.
export function syncTabStop() {
  const buttons = el.threads.querySelectorAll(".thread-open");
  let stop = null;
  for (const b of buttons) if (b === document.activeElement) stop = b;
  if (!stop && state.openId && state.threads.has(state.openId)) stop = state.threads.get(state.openId).els.open;
  if (!stop) stop = buttons[0] || null;
  for (const b of buttons) setAttr(b, "tabindex", b === stop ? "0" : "-1");
}

export function focusThreadAt(i) {
  if (i < 0 || i >= state.order.length) {
    if (state.order.length === 0) el["tab-" + state.folder].focus();
    return;
  }
  const b = state.threads.get(state.order[i]).els.open;
  for (const o of el.threads.querySelectorAll(".thread-open")) setAttr(o, "tabindex", o === b ? "0" : "-1");
  b.focus();
}

export function onListKey(ev) {
  const li = ev.target.closest("li.thread");
  if (!li) return;
  const i = state.order.indexOf(li.dataset.threadId);
  const moves = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: state.order.length - 1 };
  if (!(ev.key in moves)) return;
  ev.preventDefault();
  focusThreadAt(Math.max(0, Math.min(state.order.length - 1, moves[ev.key])));
}

export function selectTab(folder, load = true) {
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

export function onTabKey(ev) {
  if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(ev.key)) return;
  ev.preventDefault();
  const next = state.folder === "inbox" ? "archived" : "inbox";
  const to = ev.key === "Home" ? "inbox" : ev.key === "End" ? "archived" : next;
  if (to !== state.folder) selectTab(to);
  el[`tab-${to}`].focus();
}
