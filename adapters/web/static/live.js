// The live stream (GET /api/events): kept open for the session, resumed
// from the last id seen, its frames applied to the list and the open
// thread. There is no polling.

import { endSession, maxPos, toPos } from "./api.js";
import { loadAudit } from "./audit.js";
import { announce, setAttr, setText, shownPhone } from "./dom.js";
import { applyThread, reloadList, resync } from "./list.js";
import { SSEParser } from "./sse.js";
import { el, state } from "./state.js";
import { paintHead, refreshOpen } from "./thread.js";

const LIVE_RETRY_CAP_MS = 30000;
// Three missed pings (one every 15 s) and the connection is taken for dead.
const LIVE_SILENCE_MS = 45000;

function setLive(s) {
  setAttr(el.live, "data-state", s);
  setText(el.live, { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", closed: "Live updates paused (open in other tabs)" }[s] || s);
}

export function stopLive() {
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
export function connectLive() {
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
  const message = res.status === 401 ? e.message || "The token is not valid." : e.message;
  if (endSession(res.status, e.code, message)) {
    err.fatal = true; // signed out, or the closed page
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
      // stream's start is read again (the list, then the open thread). A
      // resumed stream misses nothing.
      if (!resumed) {
        resync(pos).then((current) => {
          if (current && state.openId) refreshOpen(pos);
        });
      }
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
      announce(`New text from ${t.customer_name || shownPhone(t)}.`);
    }
    return;
  }
  const open = state.open;
  // A keyword (HELP, …) may add to the audit without changing consent.
  if (open && open.consent === t.consent && open.last_customer_reply_at !== t.last_customer_reply_at && !state.auditChosen) loadAudit();
  if (open) paintHead(t, pos);
  refreshOpen(pos);
}

// wakeLive ends the pause before the next attempt, if any: back online,
// reconnect now.
export function wakeLive() {
  if (state.live && state.live.wake) state.live.wake();
}
