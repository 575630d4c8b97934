// The reply composer's tools: the template picker (a company's canned
// replies, which the server fills in for the thread's customer when sent)
// and the live cost of the text ("N characters · M segments · UCS-2
// (because of “😀”)"), counted in the page (segments.js) as it is typed.

import { api, quiet } from "./api.js";
import { h, setText } from "./dom.js";
import { describe } from "./segments.js";
import { el, state } from "./state.js";

// The template chosen for the open thread's reply, or null.
let chosen = null;
// The text that was in the box before a template was chosen, restored when
// the choice is undone.
let typed = "";
let loadGen = 0;

// loadTemplates reads the company's templates into the picker, keeping the
// choice when that template is still there.
export async function loadTemplates() {
  const select = el["reply-template"];
  if (!select || !select.isConnected) return;
  const gen = ++loadGen;
  let list;
  try {
    ({ templates: list } = await api("/api/templates"));
  } catch (err) {
    if (!quiet(err)) setText(el["reply-error"], err.message);
    return;
  }
  if (gen !== loadGen) return;
  const keep = chosen && list.find((t) => t.id === chosen.id);
  select.replaceChildren(
    h("option", { value: "" }, list.length ? "None: write the text" : "No templates yet"),
    ...list.map((t) => h("option", { value: t.id }, t.name)),
  );
  select.disabled = list.length === 0;
  state.templates = new Map(list.map((t) => [t.id, t]));
  if (keep) {
    select.value = keep.id;
    choose(keep);
  } else if (chosen) {
    choose(null);
  }
}

function choose(t) {
  if (t === chosen) return;
  const box = el["reply-body"];
  if (t && !chosen) typed = box.value;
  chosen = t;
  box.readOnly = !!t;
  box.value = t ? t.body : typed;
  if (!t) typed = "";
  setText(el["reply-template-note"], t
    ? `From the template “${t.name}”: {{first_name}}, {{last_name}}, {{full_name}} and {{company_name}} are filled in for this customer when it is sent.`
    : "");
  showCost();
}

// onPick is the picker's change.
export function onPick() {
  const id = el["reply-template"].value;
  choose(id ? (state.templates && state.templates.get(id)) || null : null);
}

// resetComposer forgets the template choice (another thread opens, or the
// reply was sent) and reads the templates again.
export function resetComposer() {
  chosen = null;
  typed = "";
  const select = el["reply-template"];
  if (select) select.value = "";
  el["reply-body"].readOnly = false;
  setText(el["reply-template-note"], "");
  showCost();
  loadTemplates();
}

// replyRequest is the body of the send: the chosen template, else the text.
export function replyRequest(text) {
  return chosen ? { template_id: chosen.id } : { body: text };
}

// draftText is what to keep as the thread's draft: what was typed, not a
// template's text.
export const draftText = () => (chosen ? typed : el["reply-body"].value);

// hasTemplate says whether the reply goes from a template.
export const hasTemplate = () => chosen !== null;

// showCost shows what the text in the box costs. A template's cost is that
// of its text before the names are filled in, and says so.
export function showCost() {
  const text = el["reply-body"].value;
  const line = text ? describe(text) : "";
  setText(el["reply-segments"], chosen && line ? `${line}, before placeholders are filled` : line);
}
