// Small byte helpers: random tokens, base64(url), SHA-256 and constant-time comparison.
import { createHash } from "node:crypto";
const enc = new TextEncoder();

export function b64encode(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

export function b64decode(s: string): Uint8Array {
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return new Uint8Array();
  }
}

/** URL-safe random token with `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return b64encode(crypto.getRandomValues(new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/**
 * Hex SHA-256 of a string. node:crypto's synchronous hash: crypto.subtle.digest hands every call to a
 * worker thread, which cost ~12% of livegate's CPU per proxied HLS request (see BENCHMARKS.md).
 */
export function sha256Hex(s: string): Promise<string> {
  return Promise.resolve(createHash("sha256").update(s).digest("hex"));
}

export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i % (a.length || 1)] ?? 0) ^ (b[i % (b.length || 1)] ?? 0);
  return diff === 0 && a.length === b.length;
}

export function safeEqualString(a: string, b: string): boolean {
  return timingSafeEqual(enc.encode(a), enc.encode(b));
}
