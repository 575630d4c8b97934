// Small DOM helpers. Data from the API only ever reaches the page as text
// (textContent, attribute values): never as HTML.

export const $ = (sel, root = document) => root.querySelector(sel);

// h builds an element: h("li", {class: "x", dataset: {id: "1"}}, "text", child).
// Attributes are set with setAttribute; false/null/undefined leave one out.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// field builds a labelled form field: its control, an optional hint
// (#<id>-hint) and the element for its error (#<id>-error).
export const field = (id, label, control, hint) => h("div", { class: "field" },
  h("label", { for: id }, label), control, hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
  h("p", { class: "field-error", id: `${id}-error` }));

// setText sets an element's text only when it changed (no needless
// mutations for screen readers and layout).
export function setText(el, text) {
  const t = text ?? "";
  if (el.textContent !== t) el.textContent = t;
}

// setAttr sets or removes an attribute only when it changed.
export function setAttr(el, name, value) {
  if (value === null || value === undefined || value === false) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
    return;
  }
  const v = value === true ? "" : String(value);
  if (el.getAttribute(name) !== v) el.setAttribute(name, v);
}

// consentWord is the badge's text for a consent state.
export function consentWord(state) {
  switch (state) {
    case "yes": return "Yes";
    case "pending": return "Pending";
    default: return "No";
  }
}

// setBadge makes el a consent badge for state.
export function setBadge(el, state) {
  const s = state === "yes" || state === "pending" ? state : "no";
  setAttr(el, "data-consent", s);
  setText(el, consentWord(s));
}

// badge builds a consent badge.
export function badge(state) {
  const el = h("span", { class: "consent-badge" });
  setBadge(el, state);
  return el;
}

// announce tells screen readers something, politely.
export function announce(text) {
  const el = document.getElementById("announcer");
  if (!el) return;
  // Clearing first makes a repeat of the same words heard again.
  el.textContent = "";
  setTimeout(() => { el.textContent = text; }, 30);
}

// busy marks a button as working (or not). It stays focusable (a disabled
// button would drop the keyboard's focus); its action checks isBusy.
export function busy(button, on) {
  setAttr(button, "aria-disabled", on ? "true" : null);
}
export const isBusy = (button) => button.getAttribute("aria-disabled") === "true";

// shownPhone is a thread's customer number as the company's country writes
// it (the API's customer_phone_display); E.164 when the answer has none.
export const shownPhone = (t) => t.customer_phone_display || t.customer_phone;
