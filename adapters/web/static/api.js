// Calls to smsinbox's public API (api/openapi.yaml) with the session's
// token: the answer's JSON, or an ApiError with the API's own message; and
// the positions commands answer, which later reads wait for.

import { state } from "./state.js";

export class ApiError extends Error {
  constructor(status, code, message, fields, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || null;
    this.details = details || null; // the API's whole error object
  }
}

export const maxPos = (...ps) => ps.reduce((a, b) => (b > a ? b : a), 0n);

export function toPos(s) {
  try {
    return BigInt(s);
  } catch {
    return 0n;
  }
}

// api calls smsinbox with the session's token. It answers the parsed JSON
// (or, with raw, the Response), and throws ApiError with the API's own
// message. A 401 signs out, whatever asked.
export async function api(path, { method = "GET", body, minPos = 0n, raw = false, signal } = {}) {
  const session = state.session;
  const headers = { Authorization: `Bearer ${state.token}` };
  const pos = maxPos(minPos, state.minPos);
  if (pos > 0n) headers["X-Min-Position"] = pos.toString();
  const init = { method, headers, cache: "no-store", signal };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const request = fetch(path, init).then((res) => (raw && res.ok ? { res, text: null } : res.text().then((text) => ({ res, text }))));
  return answer(request, session);
}

// answer turns a request ({res, text}: the response and its body read, as
// boot.js also makes them; text null for a raw answer) into api()'s answer.
export async function answer(request, session) {
  let res;
  let text;
  try {
    ({ res, text } = await request);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "smsinbox could not be reached. Check the connection and try again.");
  }
  if (text === null) return res;
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (res.ok) return data;
  const e = data && data.error ? data.error : {};
  const err = new ApiError(res.status, e.code || `http_${res.status}`,
    e.message || `smsinbox answered ${res.status} ${res.statusText}.`, e.fields, e);
  if (session === state.session) endSession(res.status, err.code, err.message);
  throw err;
}

// What the page does when an answer ends the session: a 401 signs out, an
// sms_disabled shows the closed page. app.js sets these (onSessionEnd) so
// that this module knows no view.
const ends = { signedOut: (_message) => {}, smsDisabled: (_message) => {} };

export function onSessionEnd({ signedOut, smsDisabled }) {
  ends.signedOut = signedOut;
  ends.smsDisabled = smsDisabled;
}

// endSession acts on an answer that ends the session, and says whether
// this one did.
export function endSession(status, code, message) {
  if (status === 401) ends.signedOut(message);
  else if (code === "sms_disabled") ends.smsDisabled(message);
  else return false;
  return true;
}

// noteCommand keeps a command's position: later reads wait for it.
export function noteCommand(answer) {
  if (answer && answer.position) state.minPos = maxPos(state.minPos, toPos(answer.position));
  return toPos(answer && answer.position);
}

// quiet reports an error that was already dealt with (sign-out, blocked,
// or a request made moot by a newer one).
export const quiet = (err) => err.name === "AbortError" || err.status === 401 || err.code === "sms_disabled";
