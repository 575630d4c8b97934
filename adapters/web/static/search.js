// The search box: texts (by their words), customers (by name) and phone
// numbers (by 3 or more digits) of the company, newest first, in pages.
// The results take the list's place until "Back to conversations"; one
// opens its thread at the message found.

import { api, quiet } from "./api.js";
import { busy, h, isBusy, setAttr, setText, shownPhone } from "./dom.js";
import { el, state } from "./state.js";

const PAGE = 20;
let gen = 0;
let query = "";
let cursor = null;

// runSearch searches for what the box holds (the form's submit).
export async function runSearch(ev) {
  ev.preventDefault();
  const q = el["search-q"].value.trim();
  if (!q) {
    closeSearch();
    return;
  }
  query = q;
  cursor = null;
  el["search-results"].replaceChildren();
  showPanel(true);
  await page();
}

// moreResults reads the next page.
export async function moreResults() {
  if (cursor && !isBusy(el["search-more"])) await page();
}

async function page() {
  const g = ++gen;
  const params = new URLSearchParams({ q: query, limit: String(PAGE) });
  if (cursor) params.set("cursor", cursor);
  setText(el["search-error"], "");
  busy(el["search-more"], true);
  setAttr(el["search-panel"], "aria-busy", "true");
  try {
    const answer = await api(`/api/search?${params}`);
    if (g !== gen) return;
    el["search-results"].append(...answer.results.map(resultItem));
    cursor = answer.next_cursor;
    const none = el["search-results"].childElementCount === 0;
    el["search-empty"].hidden = !none;
    el["search-more"].hidden = !cursor;
    setText(el["search-title"], none ? "No results" : `Results for “${query}”`);
  } catch (err) {
    if (g === gen && !quiet(err)) setText(el["search-error"], err.message);
  } finally {
    if (g === gen) {
      busy(el["search-more"], false);
      setAttr(el["search-panel"], "aria-busy", null);
    }
  }
}

// resultItem is one result, all of it text (a snippet is never markup).
function resultItem(r) {
  const who = r.customer_name || shownPhone(r);
  const time = h("time", { class: "search-time", datetime: r.created_at }, state.fmt.listTime(r.created_at));
  const open = h("button", { type: "button", class: "search-open" },
    h("span", { class: "thread-line" }, h("span", { class: "search-name" }, who), time),
    h("span", { class: "search-snippet" }, r.message_id ? r.snippet : `${r.customer_name ? shownPhone(r) + " · " : ""}${r.snippet}`));
  return h("li", { class: "search-result", dataset: { threadId: r.thread_id, messageId: r.message_id || "" } }, open);
}

// openResult opens a result's thread and, for a text, brings the text into
// view and marks it (data-found) until another is opened.
export async function openResult(ev, openThread) {
  const button = ev.target.closest("button.search-open");
  if (!button) return;
  const li = button.closest("li.search-result");
  const { threadId, messageId } = li.dataset;
  for (const other of el["search-results"].children) setAttr(other, "aria-current", other === li ? "true" : null);
  await openThread(threadId, { measure: true });
  if (!messageId || state.openId !== threadId) return;
  for (const found of el.messages.querySelectorAll("li.message[data-found]")) found.removeAttribute("data-found");
  const parts = state.messageEls.get(messageId);
  if (!parts) return;
  parts.li.setAttribute("data-found", "true");
  parts.li.scrollIntoView({ block: "center" });
}

// closeSearch gives the list its place back.
export function closeSearch() {
  gen++;
  query = "";
  cursor = null;
  el["search-q"].value = "";
  el["search-results"].replaceChildren();
  setText(el["search-error"], "");
  showPanel(false);
}

function showPanel(on) {
  el["search-panel"].hidden = !on;
  el["list-tools"].hidden = on;
  el["threads-panel"].hidden = on;
  if (!on) el["search-empty"].hidden = true;
}
