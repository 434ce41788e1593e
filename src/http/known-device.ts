// "Known device" cookie against lock-out by brute force: a browser that has logged in as a user before
// may still log in as that user while failed guesses from other addresses have hit the per-user limit.
// The per-IP limit applies to it as to anyone. KV keeps only the token's SHA-256.
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { randomToken, sha256Hex } from "../core/crypto.ts";
import type { AppDeps, Env } from "./context.ts";

export const DEVICE_COOKIE = "lg_device";
const TTL_SECONDS = 90 * 24 * 3600;

const key = async (user: string, token: string): Promise<Deno.KvKey> => [
  "login_device",
  // Exact name, not case-folded: user names are case-sensitive, so "Bob"'s browser must not count as
  // known for "bob".
  user.slice(0, 64),
  await sha256Hex(token),
];

/** True when this browser logged in successfully as `user` within the last 90 days. */
export async function isKnownDevice(c: Context<Env>, kv: Deno.Kv, user: string): Promise<boolean> {
  const token = getCookie(c, DEVICE_COOKIE);
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
  return (await kv.get(await key(user, token))).value === true;
}

/** After a successful login: remember this browser for this user. */
export async function rememberDevice(
  c: Context<Env>,
  deps: Pick<AppDeps, "store">,
  user: string,
): Promise<void> {
  let token = getCookie(c, DEVICE_COOKIE);
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) token = randomToken(32);
  await deps.store.kv.set(await key(user, token), true, { expireIn: TTL_SECONDS * 1000 });
  setCookie(c, DEVICE_COOKIE, token, {
    httpOnly: true,
    sameSite: "Strict",
    secure: c.get("secureCookies"),
    path: "/login",
    maxAge: TTL_SECONDS,
  });
}
