// The Messages page: a client of smsinbox's public API (api/openapi.yaml).
// Its DOM hooks, live stream and timing marks are the contract of
// adapters/web/README.md.
//
// This module only wires: it looks the elements up, connects the page's
// events to the modules that handle them, and starts. Each module holds
// one part of the page (see adapters/web/README.md, "Modules"):
// state.js (shared state), api.js (requests), session.js (sign-in),
// views.js, list.js, thread.js, messages.js, schedule.js, team.js (assignee
// and notes), leads.js, audit.js, download.js, settings.js, templates.js (the
// template manager) and live.js (the live stream).

import { onSessionEnd } from "./api.js";
import { loadAudit } from "./audit.js";
import { onPick } from "./composer.js";
import { setText } from "./dom.js";
import { downloadAll, downloadThread } from "./download.js";
import { hideLeadDetails, openLeadForm, showLead, submitLead } from "./leads.js";
import { wakeLive } from "./live.js";
import { loadMore, onListKey, onTabKey, selectTab } from "./list.js";
import { closeSearch, moreResults, openResult, runSearch } from "./search.js";
import { showBlocked, showSignin, signOut, start, TOKEN_KEY } from "./session.js";
import { initSchedule, onMessagesClick } from "./schedule.js";
import { initSettings } from "./settings.js";
import { el, lookUp, state } from "./state.js";
import { addNote, assignOpen, selectAssignee } from "./team.js";
import { initTemplates } from "./templates.js";
import { countReply, markUnread, openThread, refreshOpen, sendReply, toggleArchive } from "./thread.js";
import { utcToZonedInput } from "./time.js";
import { NARROW } from "./views.js";

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
  el["assignee-filter"].addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-assignee]");
    if (b && b.dataset.assignee !== state.assignee) selectAssignee(b.dataset.assignee);
  });
  el.more.addEventListener("click", loadMore);
  el["download-all"].addEventListener("click", downloadAll);

  el.search.addEventListener("submit", runSearch);
  el["search-clear"].addEventListener("click", () => {
    closeSearch();
    el["search-q"].focus();
  });
  el["search-more"].addEventListener("click", moreResults);
  el["search-results"].addEventListener("click", (ev) => {
    if (ev.target.closest("button.search-open")) performance.mark("thread-switch-start");
    openResult(ev, openThread);
  });

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

  el.assignee.addEventListener("change", () => assignOpen(refreshOpen));
  el["note-form"].addEventListener("submit", (ev) => addNote(ev, refreshOpen));
  el["note-body"].addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      el["note-form"].requestSubmit();
    }
  });
  el.reply.addEventListener("submit", sendReply);
  initSchedule();
  el.messages.addEventListener("click", (ev) => onMessagesClick(ev, refreshOpen));
  el["reply-body"].addEventListener("input", countReply);
  el["reply-template"].addEventListener("change", onPick);
  el["reply-body"].addEventListener("keydown", (ev) => {
    // Ctrl+Enter (⌘+Enter) sends; Enter alone is a new line.
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      el.reply.requestSubmit();
    }
  });

  el["lead-form"].addEventListener("submit", (ev) => submitLead(ev, refreshOpen));
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
  window.addEventListener("online", wakeLive);
  // Leaving the one-column layout shows both columns again.
  NARROW.addEventListener("change", () => {
    if (!NARROW.matches && state.openId) document.body.classList.add("thread-view");
  });
}

function boot() {
  lookUp();
  initSettings();
  initTemplates();
  onSessionEnd({ signedOut: signOut, smsDisabled: (message) => showBlocked("sms_disabled", message) });
  wire();
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) start(token);
  else showSignin("");
}

boot();
