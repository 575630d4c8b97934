// CSV downloads (one thread, every message): fetched with the token, as a
// plain link cannot send it, and handed to the browser as a file.

import { api, quiet } from "./api.js";
import { announce, busy, h, isBusy, setAttr, setText } from "./dom.js";
import { el, state } from "./state.js";

// download fetches a CSV with the token (a plain link cannot send it) and
// hands it to the browser as a file.
export async function download(button, path, fallbackName, errorEl) {
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

export function downloadThread() {
  const t = state.open;
  if (!t) return;
  download(el["download-thread"], `/api/threads/${encodeURIComponent(t.id)}/export.csv`,
    `thread-${t.customer_phone}.csv`, el["thread-error"]);
}

export function downloadAll() {
  download(el["download-all"], "/api/messages/export.csv", "messages.csv", el["list-error"]);
}
