// Scheduled texts: the composer's "Send later" option (a date and time in
// the company's time zone, and a refusal shown beside it with the next
// moment the customer may be texted at), and the Cancel of a scheduled text
// in the thread.

import { api, noteCommand, quiet } from "./api.js";
import { announce, busy, isBusy, setText } from "./dom.js";
import { el, state } from "./state.js";
import { utcToZonedInput, zonedToUTC } from "./time.js";

export function initSchedule() {
  el["schedule-on"].addEventListener("change", syncSchedule);
  el["schedule-at"].addEventListener("input", clearScheduleRefusal);
  el["schedule-next"].addEventListener("click", useNextAllowed);
}

// inputValue is the datetime-local value of instant ms in the company's
// zone, to the minute.
const inputValue = (ms) => utcToZonedInput(ms, state.tz).slice(0, 16);

function syncSchedule() {
  const on = el["schedule-on"].checked;
  el["schedule-fields"].hidden = !on;
  setText(el["schedule-zone"], `(${state.tz})`);
  setText(el["reply-send"], on ? "Schedule" : "Send");
  clearScheduleRefusal();
  if (on && !el["schedule-at"].value) el["schedule-at"].value = inputValue(Date.now() + 3600e3);
}

export function clearScheduleRefusal() {
  setText(el["schedule-error"], "");
  el["schedule-next"].hidden = true;
}

// resetSchedule turns the option off (after a text was scheduled).
export function resetSchedule() {
  el["schedule-on"].checked = false;
  el["schedule-at"].value = "";
  syncSchedule();
}

// scheduleFields is what a reply's body adds: {send_at} when scheduled, {}
// when sent at once; null (the reason shown) when the date and time is not
// one.
export function scheduleFields() {
  if (!el["schedule-on"].checked) return {};
  const at = zonedToUTC(el["schedule-at"].value, state.tz);
  if (!at) {
    setText(el["schedule-error"], "Choose the date and time to send it at.");
    el["schedule-at"].focus();
    return null;
  }
  return { send_at: at };
}

// showScheduleRefusal shows beside the option a refusal of the time to send
// a text later (quiet hours, with the next allowed moment in the company's
// zone, which one click takes; or a time too soon or too far) and answers
// true. A text to go at once that quiet hours refused is the composer's to
// show (false), and the option offers to schedule it for the next allowed
// moment.
export function showScheduleRefusal(err) {
  if (err.code !== "quiet_hours" && err.code !== "invalid_send_at") return false;
  const next = err.details && err.details.next_allowed_at;
  const later = el["schedule-on"].checked;
  const nextButton = el["schedule-next"];
  nextButton.hidden = !(err.code === "quiet_hours" && next);
  if (!nextButton.hidden) {
    nextButton.dataset.at = next;
    setText(nextButton, `${later ? "Use" : "Schedule it for"} ${state.fmt.time(next)}`);
  }
  if (!later) return false;
  if (err.code === "quiet_hours") {
    const who = (state.open && (state.open.customer_name || state.open.customer_phone)) || "The customer";
    setText(el["schedule-error"], `${who} may not be texted then: it is outside the allowed hours by their local time.` +
      (next ? ` Next allowed: ${state.fmt.time(next)}.` : " No time in the next 35 days is allowed."));
  } else {
    setText(el["schedule-error"], err.message);
  }
  el["schedule-at"].focus();
  return true;
}

// useNextAllowed takes the next allowed moment a refusal named: the text is
// scheduled then (once sent).
function useNextAllowed() {
  const next = el["schedule-next"].dataset.at;
  if (!next) return;
  if (!el["schedule-on"].checked) {
    el["schedule-on"].checked = true;
    syncSchedule();
  }
  el["schedule-at"].value = inputValue(Date.parse(next));
  clearScheduleRefusal();
  el["reply-send"].focus();
}

// onMessagesClick cancels the scheduled text whose Cancel was clicked, then
// reads the thread again (refresh) at the position the cancel answered.
export async function onMessagesClick(ev, refresh) {
  const button = ev.target.closest("button.cancel-scheduled");
  if (!button || isBusy(button)) return;
  const id = button.closest("li.message").dataset.messageId;
  const thread = state.openId;
  busy(button, true);
  try {
    const answer = await api(`/api/threads/${encodeURIComponent(thread)}/messages/${encodeURIComponent(id)}`, { method: "DELETE" });
    const pos = noteCommand(answer);
    announce("Scheduled text canceled.");
    if (state.openId === thread) await refresh(pos);
  } catch (err) {
    if (!quiet(err) && state.openId === thread) setText(el["thread-error"], err.message);
  } finally {
    busy(button, false);
  }
}
