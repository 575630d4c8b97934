// Times in the company's time zone, whatever the browser's own zone is.
// Everything goes through Intl with an explicit timeZone.

const partsCache = new Map();

// wallParts gives the wall-clock fields of the instant ms in zone tz.
function wallParts(tz, ms) {
  let f = partsCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz, hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    partsCache.set(tz, f);
  }
  const p = {};
  for (const { type, value } of f.formatToParts(new Date(ms))) p[type] = value;
  return {
    year: Number(p.year), month: Number(p.month), day: Number(p.day),
    hour: Number(p.hour) % 24, minute: Number(p.minute), second: Number(p.second),
  };
}

// wallOf is the wall-clock time of the instant ms in zone tz, written as if
// it were UTC (whole seconds).
function wallOf(tz, ms) {
  const w = wallParts(tz, ms);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

// zonedToUTC reads a datetime-local value ("2025-03-14T15:02" or with
// seconds, even fractions) as a wall time in zone tz and answers the
// instant as an RFC 3339 UTC string, or null when the value is not one.
// A wall time that a DST change skips takes the offset before the jump (so
// it lands after it); one that occurs twice is the earlier of the two.
export function zonedToUTC(value, tz) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?$/.exec(value || "");
  if (!m) return null;
  const [, y, mo, d, h, mi, s = "0", frac = "0"] = m;
  const wall = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  if (Number.isNaN(wall)) return null;
  const ms = Number(frac.padEnd(3, "0"));
  // The offsets a day either side cover any one transition near the time.
  const before = wall - (wallOf(tz, wall - 86400e3) - (wall - 86400e3));
  const after = wall - (wallOf(tz, wall + 86400e3) - (wall + 86400e3));
  const fits = [before, after].filter((t) => wallOf(tz, t) === wall);
  const utc = fits.length ? Math.min(...fits) : before;
  return new Date(utc + ms).toISOString();
}

// utcToZonedInput is the datetime-local value (to the second) of the
// instant ms in zone tz.
export function utcToZonedInput(ms, tz) {
  const w = wallParts(tz, ms);
  const two = (n) => String(n).padStart(2, "0");
  return `${w.year}-${two(w.month)}-${two(w.day)}T${two(w.hour)}:${two(w.minute)}:${two(w.second)}`;
}

// Formatter formats instants for people, in one zone.
export class Formatter {
  constructor(tz) {
    this.tz = tz;
    this.full = new Intl.DateTimeFormat(undefined, { timeZone: tz, dateStyle: "medium", timeStyle: "short" });
    this.long = new Intl.DateTimeFormat(undefined, {
      timeZone: tz, dateStyle: "full", timeStyle: "long",
    });
    this.short = new Intl.DateTimeFormat(undefined, {
      timeZone: tz, month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
    });
    this.year = new Intl.DateTimeFormat("en-US", { timeZone: tz, year: "numeric" });
  }

  // listTime is a thread's time: without the year when it is this year's.
  listTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    return this.year.format(d) === this.thisYear() ? this.short.format(d) : this.full.format(d);
  }

  // thisYear is the zone's current year, looked at again after an hour.
  thisYear() {
    const now = Date.now();
    if (!this.yearAt || now - this.yearAt > 3600e3) {
      this.yearAt = now;
      this.yearNow = this.year.format(new Date(now));
    }
    return this.yearNow;
  }

  // time is a date and time, as in a message.
  time(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? "" : this.full.format(d);
  }

  // title is the unabridged form, for a tooltip: with the zone's name.
  title(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? "" : this.long.format(d);
  }
}

// sortKey turns an RFC 3339 UTC time into a string that sorts like the
// instant, to the nanosecond (Date keeps only milliseconds, and two texts a
// millisecond apart must still come in order).
export function sortKey(iso) {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(iso || "");
  if (m) return m[1] + "." + (m[2] || "").padEnd(9, "0");
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toISOString().slice(0, 19) + "." + String(d.getUTCMilliseconds()).padStart(3, "0") + "000000";
}
