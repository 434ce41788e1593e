// Deterministic generator of hostile inputs for the hardening suite. A seeded PRNG (mulberry32) makes
// every run try exactly the same cases, so a failure names a case that can be replayed.

export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}
export type Rng = ReturnType<typeof prng>;

/** Hand-picked nasty strings: traversal, encodings, injection, unicode edge cases, markup. */
export const NASTY: readonly string[] = [
  "",
  " ",
  "..",
  "../",
  "../../etc/passwd",
  "..%2f..%2fetc%2fpasswd",
  "%2e%2e",
  "%2e%2e%2f",
  "%252e%252e%252f",
  "%2F",
  "%252F",
  "%00",
  "\u0000",
  "a\u0000b",
  "%0d%0aSet-Cookie:%20x=1",
  "\r\nSet-Cookie: x=1",
  "\r\n\r\nHTTP/1.1 200 OK",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "javascript:alert(1)",
  "'; DROP TABLE users; --",
  "${jndi:ldap://x}",
  "{{7*7}}",
  "%s%s%s%n",
  "\u202e\u202dreversed",
  "\ud800",
  "\udfff",
  "\uffff",
  "\ufeffbom",
  "日本語のストリーム",
  "🎥📺🔥",
  "Ω≈ç√∫",
  "a".repeat(65),
  "a".repeat(4097),
  "live",
  "live/../admin",
  "live%2F..%2Fadmin",
  ".hidden",
  "-dash",
  "CON",
  "__proto__",
  "constructor",
  "prototype",
  "null",
  "undefined",
  "NaN",
  "-1",
  "1e309",
  "0x41",
  "\\..\\..\\windows",
  "//evil.example",
  "/\\evil.example",
  "http://evil.example",
  "/%2F%2Fevil.example",
  "/\t/evil.example",
];

export function randomString(r: Rng, maxLen = 64): string {
  const kind = r.int(6);
  const len = r.int(maxLen + 1);
  let s = "";
  for (let i = 0; i < len; i++) {
    switch (kind) {
      case 0: // printable ASCII
        s += String.fromCharCode(32 + r.int(95));
        break;
      case 1: // any BMP code unit, including lone surrogates and controls
        s += String.fromCharCode(r.int(0x10000));
        break;
      case 2: // control characters
        s += String.fromCharCode(r.int(32));
        break;
      case 3: // URL-ish
        s += r.pick(["%", "2", "e", "F", "f", ".", "/", "\\", "?", "#", "&", "=", ";", "+", "0", "a"]);
        break;
      case 4: // emoji / astral
        s += String.fromCodePoint(0x1f300 + r.int(0x300));
        break;
      default:
        s += r.pick(NASTY);
    }
  }
  return s;
}

export function nastyOrRandom(r: Rng, maxLen = 64): string {
  return r.next() < 0.5 ? r.pick(NASTY) : randomString(r, maxLen);
}

/** A random JSON value of any type (bounded depth). */
export function randomJson(r: Rng, depth = 0): unknown {
  const k = depth > 2 ? r.int(6) : r.int(8);
  switch (k) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return r.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1]);
    case 3:
    case 4:
      return nastyOrRandom(r);
    case 5:
      return "x".repeat(r.pick([4096, 4097, 20_000]));
    case 6:
      return Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(4); i > 0; i--) o[nastyOrRandom(r, 8)] = randomJson(r, depth + 1);
      return o;
    }
  }
}

export const HOOK_FIELDS = [
  "ip",
  "user",
  "password",
  "token",
  "action",
  "path",
  "protocol",
  "id",
  "query",
  "userAgent",
] as const;
export const HOOK_ACTIONS = ["publish", "read", "playback", "api", "metrics", "pprof", "", "PUBLISH"];

/** Percent-encodes some characters of s, sometimes twice: the shapes proxies and decoders disagree on. */
export function mangleEncoding(r: Rng, s: string): string {
  let out = "";
  for (const ch of s) {
    const p = r.next();
    if (p < 0.15) out += enc(ch).replace(/%/g, "%25");
    else if (p < 0.4) {
      const hex = [...new TextEncoder().encode(ch)].map((b) => "%" + b.toString(16).padStart(2, "0"));
      out += r.next() < 0.5 ? hex.join("") : hex.join("").toUpperCase();
    } else out += ch;
  }
  return out;
}

/** encodeURIComponent that accepts lone surrogates (they become U+FFFD). */
export function enc(s: string): string {
  return encodeURIComponent(s.toWellFormed());
}
