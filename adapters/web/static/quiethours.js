// How the composer tells a send refused for quiet hours: a staff text may
// leave only inside the hours the customer may be texted, by the customer's
// local time (unless it answers a text of theirs from the last 24 hours).
// The server's refusal (409 quiet_hours) names the next moment a text would
// be allowed, next_allowed_at (null when none within 35 days is); the page
// shows it in the company's time zone, beside the composer.

import { h } from "./dom.js";

// quietHoursRefusal is what to show for a refused send (an ApiError whose
// details are the API's error object), formatted with fmt (a Formatter in
// the company's zone); null when the refusal is not for quiet hours.
export function quietHoursRefusal(err, fmt) {
  if (!err || err.code !== "quiet_hours") return null;
  const next = err.details ? err.details.next_allowed_at : null;
  if (!next) {
    return [h("span", { class: "quiet-hours" },
      "Outside the hours this customer may be texted, by their local time; no time in the next 35 days is allowed. Nothing was sent.")];
  }
  return [h("span", { class: "quiet-hours" },
    "Outside the hours this customer may be texted, by their local time. Nothing was sent. Next allowed: ",
    h("time", { datetime: next, title: fmt.title(next) }, fmt.time(next)),
    ` (${fmt.tz}).`)];
}
