// Which view shows (sign-in, closed, the app), the controls a role cannot
// use, and the layout's side column.

import { el, state } from "./state.js";

// The one-column layout (a phone): the list or the open thread, not both.
export const NARROW = window.matchMedia("(max-width: 760px)");

export function showView(name) {
  // Leaving the app closes its dialogs: a modal one left open keeps the
  // rest of the document inert even once the app is hidden, and the
  // sign-in form could not be used.
  if (name !== "app") for (const d of document.querySelectorAll("dialog[open]")) d.close();
  el["signin-view"].hidden = name !== "signin";
  el["blocked-view"].hidden = name !== "blocked";
  el.app.hidden = name !== "app";
  // One sign-out button: in the header of the app, or on the closed page.
  if (name === "blocked") el.blocked.append(el.signout);
  else if (el.signout.parentElement !== el.topbar) el.topbar.append(el.signout);
}

// gate puts an element in the document or takes it out (it leaves a
// comment in its place to come back to): controls a role cannot use are
// not there at all, for eyes, keyboards and screen readers alike.
const placeholders = new Map();
export function gate(node, on) {
  let ph = placeholders.get(node);
  if (!ph) {
    ph = document.createComment(node.id || "gated");
    placeholders.set(node, ph);
  }
  if (on && !node.isConnected && ph.isConnected) ph.replaceWith(node);
  if (!on && node.isConnected) node.replaceWith(ph);
}

// syncSide shows the side column when it has something to show.
export function syncSide() {
  const open = !el.thread.hidden;
  const audit = open && state.canAudit && el.audit.isConnected;
  el.side.hidden = !(open && (audit || !el["lead-details"].hidden));
  el.layout.classList.toggle("with-side", !el.side.hidden);
}
