// Small text helpers for what the page says in words.

export const quote = (s) => `“${s}”`;

// words turns "SomeEventType" into "Some event type".
export function words(type) {
  const s = String(type || "").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
