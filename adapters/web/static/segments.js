// What a text costs as SMS, counted as you type: the page's copy of
// domain/segments (Twilio's rules), so the composer's counter needs no
// request per keystroke. The browser tests check it against the Go
// function on the same texts; change both together.
//
// GSM-7 when every character is in GSM 03.38's basic table (one septet) or
// extension table (two): 160 septets are one segment, a longer text is
// split into segments of 153. Any other character makes the whole text
// UCS-2, counted in UTF-16 units (an emoji beyond the Basic Multilingual
// Plane is two): 70 units are one segment, else segments of 67. A
// character is never cut in two across segments. Characters counts code
// points, the unit of the 1,600-character limit.

const BASIC = new Set(Array.from(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
));
const EXTENSION = new Set(Array.from("\f^{}\\[~]|€"));

function septets(c) {
  if (BASIC.has(c)) return 1;
  if (EXTENSION.has(c)) return 2;
  return 0;
}

const units = (c) => (c.codePointAt(0) > 0xffff ? 2 : 1);

// count answers {encoding, characters, segments, culprit}: culprit is the
// first character outside GSM-7 ("" for a GSM-7 text).
export function count(body) {
  const chars = Array.from(body);
  let size = septets;
  let single = 160;
  let multi = 153;
  let encoding = "GSM-7";
  let culprit = "";
  for (const c of chars) {
    if (septets(c) === 0) {
      encoding = "UCS-2";
      culprit = c;
      size = units;
      single = 70;
      multi = 67;
      break;
    }
  }
  return { encoding, characters: chars.length, segments: split(chars, size, single, multi), culprit };
}

function split(chars, size, single, multi) {
  let total = 0;
  for (const c of chars) total += size(c);
  if (total === 0) return 0;
  if (total <= single) return 1;
  let n = 1;
  let used = 0;
  for (const c of chars) {
    const s = size(c);
    if (used + s > multi) {
      n++;
      used = 0;
    }
    used += s;
  }
  return n;
}

// describe is the counter's line: "N characters · M segments · UCS-2
// (because of “😀”)".
export function describe(body) {
  const c = count(body);
  const chars = `${c.characters} ${c.characters === 1 ? "character" : "characters"}`;
  const segs = `${c.segments} ${c.segments === 1 ? "segment" : "segments"}`;
  if (c.encoding === "GSM-7") return `${chars} · ${segs} · GSM-7`;
  return `${chars} · ${segs} · UCS-2 (because of “${c.culprit}”)`;
}
