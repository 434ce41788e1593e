// Password hashing with PBKDF2-HMAC-SHA256 at OWASP's 600,000 iterations (WebCrypto, native code).
// Stored as "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>" so the cost can be raised later.
import { b64decode, b64encode, timingSafeEqual } from "./crypto.ts";

export const PBKDF2_ITERATIONS = 600_000;
const enc = new TextEncoder();

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, iterations);
  return `pbkdf2-sha256$${iterations}$${b64encode(salt)}$${b64encode(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 4 || parts[0] !== "pbkdf2-sha256") return false;
  const iterations = Number(parts[1]);
  if (!Number.isInteger(iterations) || iterations < 1) return false;
  const hash = await derive(password, b64decode(parts[2]), iterations);
  return timingSafeEqual(hash, b64decode(parts[3]));
}

/** A hash to verify against when the user does not exist, so timing does not reveal user names. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  return (dummy ??= hashPassword(crypto.randomUUID()));
}

export function validatePassword(pw: string): string | null {
  if (pw.length < 8) return "password must be at least 8 characters";
  if (pw.length > 1024) return "password must be at most 1024 characters";
  return null;
}
