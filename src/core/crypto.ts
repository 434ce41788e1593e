// Small crypto helpers on top of the platform (node:crypto, Web Crypto): random tokens, base64(url),
// SHA-256 and constant-time comparison. Nothing here implements a primitive itself.
import { createHash, timingSafeEqual as nodeTimingSafeEqual } from "node:crypto";

const enc = new TextEncoder();

/** Standard base64 of `b`. */
export function b64encode(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

/** Bytes of standard base64 `s`; empty on malformed input (never throws). */
export function b64decode(s: string): Uint8Array {
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return new Uint8Array();
  }
}

/** URL-safe random token (base64url, no padding) with `bytes` bytes of entropy from the system CSPRNG. */
export function randomToken(bytes = 32): string {
  return b64encode(crypto.getRandomValues(new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/**
 * Hex SHA-256 of a string (64 lowercase hex digits). node:crypto's synchronous hash: crypto.subtle.digest
 * hands every call to a worker thread, which cost ~12% of livegate's CPU per proxied HLS request
 * (BENCHMARKS.md).
 */
export function sha256Hex(s: string): Promise<string> {
  return Promise.resolve(createHash("sha256").update(s).digest("hex"));
}

/**
 * Constant-time equality of two strings (node:crypto's timingSafeEqual over their UTF-8 bytes): the time
 * does not depend on where they differ; only a difference in length answers early. (The auth hook calls
 * this for every MediaMTX request: comparing digests instead cost it half its throughput, BENCHMARKS.md.)
 */
export function safeEqualString(a: string, b: string): boolean {
  const ea = enc.encode(a), eb = enc.encode(b);
  if (ea.byteLength !== eb.byteLength) return false;
  return nodeTimingSafeEqual(ea, eb);
}

/** Constant-time equality of two byte arrays of the same length (false when the lengths differ). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && nodeTimingSafeEqual(a, b);
}
