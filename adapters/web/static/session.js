// The session: sign-in with a user token, who the user is (GET /api/me),
// the first page of the list, sign-out, and the closed page (Messages off
// for the company, or not part of the user's role).

import { answer, api, quiet } from "./api.js";
import { setText } from "./dom.js";
import { clearList, fetchPage, focusThreadAt, renderFirstPage, selectTab } from "./list.js";
import { connectLive, stopLive } from "./live.js";
import { gateSettings } from "./settings.js";
import { el, state } from "./state.js";
import { selectAssignee } from "./team.js";
import { gateTemplates } from "./templates.js";
import { closeThread } from "./thread.js";
import { Formatter } from "./time.js";
import { gate, showView } from "./views.js";

// Where the token is kept (this browser tab only); boot.js reads it too.
export const TOKEN_KEY = "smsinbox.token";

// allows says whether the user's role allows permission, as GET /api/me's
// permissions say (the server's rules: the page keeps no list of roles).
// Without /api/me, or without permissions in its answer, it is unknown:
// yes, and the API refuses what the role may not do.
function allows(me, permission) {
  return !me || !me.permissions || me.permissions[permission] === true;
}

export function showSignin(message) {
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

export function showBlocked(reason, apiMessage) {
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

// start opens a session with token. fromForm: the user just signed in, so
// the focus (which was in the form, now gone) goes to the list.
export async function start(token, fromForm = false) {
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
    const { company } = who.v;
    if (!company.sms_enabled) {
      sessionStorage.setItem(TOKEN_KEY, token);
      showBlocked("sms_disabled");
      return;
    }
    if (!allows(who.v, "read_messages")) {
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
  state.assignee = "";
  state.minPos = 0n;
  state.seenPos = 0n;
  state.lastEventId = null;
  state.drafts.clear();
  clearList();
  closeThread();
}

export function signOut(message) {
  state.session++;
  stopLive();
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
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
  state.canWrite = allows(me, "write_messages");
  state.canManageLeads = allows(me, "manage_leads");
  state.canAudit = allows(me, "audit");
  setText(el["company-name"], me ? me.company.name : "");
  setText(el["user-name"], me ? me.user.name : "");
  setText(el["user-role"], role ? `(${role})` : "");
  setText(el["company-tz"], state.tz);
  for (const n of document.querySelectorAll(".audit-tz")) setText(n, state.tz);
  gate(el["mark-unread"], state.canWrite);
  gate(el.archive, state.canWrite);
  gate(el.reply, state.canWrite);
  gate(el["note-form"], state.canWrite);
  gate(el.audit, state.canAudit);
  gateSettings(allows(me, "admin"));
  gateTemplates(allows(me, "manage_templates"));
  selectTab("inbox", false);
  selectAssignee("", false);
  showView("app");
}
