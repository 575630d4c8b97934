// The team inbox: the open thread's assignee (the picker), its staff notes
// (shown apart from the texts, with their composer), and the list's
// Mine / Unassigned / All filter. The company's users (GET /api/users)
// name the choices and the notes' authors. thread.js paints through this
// module, so the commands take thread.js's refreshOpen from app.js (as
// leads.js does): the page's imports never go round in a circle.

import { api, noteCommand, quiet } from "./api.js";
import { announce, busy, h, isBusy, setAttr, setText } from "./dom.js";
import { clearList, reloadList } from "./list.js";
import { el, state } from "./state.js";

// users reads the company's users once a session (and again on demand):
// id → {id, name, role}.
let users = { session: -1, byId: new Map(), loading: null };

export function loadUsers(force = false) {
  const session = state.session;
  if (!force && users.session === session) return users.loading || Promise.resolve(users.byId);
  // Another session may be another company: its users are not ours.
  users = { session, byId: users.session === session ? users.byId : new Map(), loading: null };
  users.loading = api("/api/users").then((answer) => {
    if (session !== state.session) return users.byId;
    users.byId = new Map(answer.users.map((u) => [u.id, u]));
    users.loading = null;
    if (state.open) syncAssignee(state.open);
    return users.byId;
  }, (err) => {
    users.loading = null;
    if (!quiet(err)) setText(el["thread-error"], err.message);
    return users.byId;
  });
  return users.loading;
}

function nameOf(id) {
  const u = users.byId.get(id);
  return u ? u.name : id;
}

// syncAssignee shows the open thread's assignee in the picker: "Unassigned",
// then the users the API calls assignable, by name (and the assignee even
// if the list does not know them yet).
export function syncAssignee(t) {
  const select = el.assignee;
  if (users.session !== state.session) loadUsers();
  const want = t.assignee_id || "";
  const choices = [["", "Unassigned"]];
  for (const u of users.byId.values()) if (u.assignable) choices.push([u.id, u.name]);
  if (want && !choices.some(([id]) => id === want)) choices.push([want, nameOf(want)]);
  const key = JSON.stringify(choices);
  if (select.dataset.choices !== key) {
    select.dataset.choices = key;
    select.replaceChildren(...choices.map(([id, name]) => h("option", { value: id }, name)));
  }
  select.value = want;
  setAttr(select, "data-assignee", want);
  select.disabled = !state.canWrite;
}

// assignOpen assigns the open thread to the user the picker names (or
// unassigns it), then reads the thread again (refreshOpen) at the answer's
// position.
export async function assignOpen(refreshOpen) {
  const id = state.openId;
  if (!id) return;
  const userID = el.assignee.value || null;
  setText(el["thread-error"], "");
  try {
    const answer = await api(`/api/threads/${encodeURIComponent(id)}/assign`, { method: "POST", body: { user_id: userID } });
    const pos = noteCommand(answer);
    announce(userID ? `Assigned to ${nameOf(userID)}.` : "Unassigned.");
    if (state.openId === id) await refreshOpen(pos);
  } catch (err) {
    if (quiet(err)) return;
    if (state.openId === id) {
      setText(el["thread-error"], err.message);
      if (state.open) syncAssignee(state.open); // back to what the server has
    }
  }
}

// renderNotes lays out the open thread's notes, oldest first. They are a
// list of their own, never among the texts (ol#messages).
export function renderNotes(notes) {
  const items = notes.map((n) => {
    const time = h("time", { class: "note-time", datetime: n.created_at }, state.fmt.time(n.created_at));
    const author = h("span", { class: "note-author" }, n.author_name || nameOf(n.author_id));
    return h("li", { class: "note", dataset: { noteId: n.id } },
      h("p", { class: "note-meta" }, author, time),
      h("p", { class: "note-body" }, n.body));
  });
  el["notes-list"].replaceChildren(...items);
  setText(el["notes-count"], notes.length ? `(${notes.length})` : "");
}

// addNote records the note composer's text on the open thread, then reads
// the thread again (refreshOpen).
export async function addNote(ev, refreshOpen) {
  ev.preventDefault();
  const id = state.openId;
  const box = el["note-body"];
  const text = box.value;
  if (!id || isBusy(el["note-add"])) return;
  if (!text.trim()) {
    setText(el["note-error"], "Write the note.");
    box.focus();
    return;
  }
  setText(el["note-error"], "");
  busy(el["note-add"], true);
  try {
    const answer = await api(`/api/threads/${encodeURIComponent(id)}/notes`, { method: "POST", body: { body: text } });
    const pos = noteCommand(answer);
    if (state.openId === id && box.value === text) box.value = "";
    announce("Note added.");
    if (state.openId === id) await refreshOpen(pos);
  } catch (err) {
    if (quiet(err)) return;
    if (state.openId === id) {
      setText(el["note-error"], err.message);
      box.focus();
    }
  } finally {
    busy(el["note-add"], false);
  }
}

// selectAssignee shows the list's threads of one assignee: "me",
// "unassigned", or "" (all).
export function selectAssignee(filter, load = true) {
  state.assignee = filter;
  for (const b of el["assignee-filter"].querySelectorAll("button[data-assignee]")) {
    setAttr(b, "aria-pressed", b.dataset.assignee === filter ? "true" : "false");
  }
  if (load) {
    clearList();
    reloadList();
  }
}
