// Tests of the page's pure modules (the SSE parser, the time zone helpers),
// run by web_test.go with Node when it is installed. Exit status 1 on a
// failure, with what failed on stdout.
import { SSEParser } from "../static/sse.js";
import { sortKey, utcToZonedInput, zonedToUTC } from "../static/time.js";
import { twilioMediaURL } from "../static/media.js";

let failed = 0;
function check(ok, what) {
  if (!ok) {
    failed++;
    console.log("FAIL", what);
  }
}

// SSE: the same events whatever the chunks (a CR LF pair split, an empty
// chunk), comments counted, retry kept, multi-line data joined, and the
// id of an unfinished event not counted (a reconnect must resume before it).
{
  const stream = "retry: 2000\n\nid: 18\nevent: ready\ndata: {\"position\":\"18\"}\n\n: ping\n\n" +
    "id: 19\r\nevent: thread\r\ndata: line1\r\ndata: line2\r\n\r\n" +
    "id: 20\revent: reload\rdata:x\r\rdata\n\n" +
    "id: 21\nevent: thread\ndata: unfinished";
  const want = JSON.stringify([
    { type: "ready", data: "{\"position\":\"18\"}", id: "18" },
    { type: "thread", data: "line1\nline2", id: "19" },
    { type: "reload", data: "x", id: "20" },
    { type: "message", data: "", id: "20" },
  ]);
  for (let a = 0; a <= stream.length; a++) {
    for (let b = a; b <= stream.length; b += 5) {
      const p = new SSEParser();
      const got = JSON.stringify([...p.feed(stream.slice(0, a)), ...p.feed(stream.slice(a, b)), ...p.feed(stream.slice(b))]);
      check(got === want, `SSE split at ${a}, ${b}: ${got}`);
      check(p.retry === 2000 && p.comments === 1 && p.lastEventId === "20", `SSE state at ${a}, ${b}: retry ${p.retry}, comments ${p.comments}, last id ${p.lastEventId}`);
    }
  }
  const p = new SSEParser();
  check(p.feed("id: 7\u0000\nretry: x1\ndata: a\n\n")[0].id === "" && p.retry === null, "SSE: an id with NUL and a retry that is not a number are ignored");
}

// Wall times in a zone, whatever the machine's own zone.
{
  const cases = [
    ["2025-07-01T12:00", "America/New_York", "2025-07-01T16:00:00.000Z"],
    ["2025-01-15T12:00:30", "America/New_York", "2025-01-15T17:00:30.000Z"],
    ["2025-03-09T02:30", "America/New_York", "2025-03-09T07:30:00.000Z"], // skipped by DST: after the jump
    ["2025-11-02T01:30", "America/New_York", "2025-11-02T05:30:00.000Z"], // twice: the first
    ["2025-01-01T00:00:30.5", "Asia/Kolkata", "2024-12-31T18:30:30.500Z"],
    ["2025-10-05T02:30", "Australia/Lord_Howe", "2025-10-04T15:30:00.000Z"],
    ["2025-07-01T12:00", "UTC", "2025-07-01T12:00:00.000Z"],
  ];
  for (const [value, tz, want] of cases) check(zonedToUTC(value, tz) === want, `zonedToUTC(${value}, ${tz}) = ${zonedToUTC(value, tz)}, want ${want}`);
  check(zonedToUTC("not a time", "UTC") === null, "zonedToUTC of nonsense is null");
  check(utcToZonedInput(Date.parse("2025-07-01T16:00:05Z"), "America/New_York") === "2025-07-01T12:00:05", "utcToZonedInput");
  check(sortKey("2025-03-14T15:02:11Z") < sortKey("2025-03-14T15:02:11.5Z"), "sortKey orders a whole second before its fractions");
  check(sortKey("2025-03-14T15:02:11.000000002Z") > sortKey("2025-03-14T15:02:11.000000001Z"), "sortKey keeps nanoseconds");
}

// Media links: Twilio's media hosts over https only.
{
  const linked = [
    "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
    "https://API.twilio.com:443/2010-04-01/x", // the same host and port, spelt otherwise
    "https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
    "https://api.sydney.au1.twilio.com/2010-04-01/x",
    "https://mms.twiliocdn.com/AC1/abc",
    "https://media.twiliocdn.com/AC1/abc",
  ];
  const text = [
    "https://evil.example/x.jpg",
    "http://api.twilio.com/2010-04-01/x",
    "https://api.twilio.com.evil.example/x",
    "https://evil.example/api.twilio.com/x",
    "https://user@api.twilio.com/x",
    "https://user:pw@api.twilio.com/x",
    "https://api.twilio.com:8443/x",
    "https://twilio.com/x",
    "https://www.twilio.com/x",
    "https://video.twilio.com/x",
    "https://api.evil.us1.twilio.com.example/x",
    "https://x.twiliocdn.com/x",
    "https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC1/x",
    "javascript:alert(1)",
    "data:text/html,x",
    "not a url",
    "",
  ];
  for (const u of linked) check(twilioMediaURL(u) !== null, `media ${u} is Twilio's`);
  for (const u of text) check(twilioMediaURL(u) === null, `media ${u} is not Twilio's`);
}

if (failed) process.exit(1);
console.log("ok");
