// Known devices: browsers that logged in successfully as a user (the lg_device cookie, src/http/known-device.ts),
// which the per-user login limit does not hold. ["login_device", user, sha256(token)] -> true, expiring after
// the cookie's lifetime; KV keeps only the token's hash. The token is always one livegate issued: a fresh one
// on every successful login (the record of the token the browser brought is deleted in the same
// transaction), and all of a user's records go with a password change or the user's deletion (users.ts).
import type { Store } from "./kv.ts";
import { randomToken, sha256Hex } from "../core/crypto.ts";

/** The shape of a device token livegate issues (randomToken(32): 43 base64url characters). */
export const DEVICE_TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** The prefix of all device records of user `name` (deleted with a password change or the user). */
export const devicePrefix = (name: string): Deno.KvKey => ["login_device", name];

// Exact name, not case-folded: user names are case-sensitive, so "Bob"'s browser must not count as known
// for "bob".
const deviceKey = async (user: string, token: string): Promise<Deno.KvKey> => [
  ...devicePrefix(user.slice(0, 64)),
  await sha256Hex(token),
];

/** Whether `token` is a device token livegate issued to a browser of `user` (and not expired or dropped). */
export async function isDevice(db: Store, user: string, token: string | undefined): Promise<boolean> {
  if (!token || !DEVICE_TOKEN_RE.test(token)) return false;
  return (await db.kv.get(await deviceKey(user, token))).value === true;
}

/**
 * After a successful login of `user`: a new device token, remembered for `ttlMs` (ms). The record of the
 * token the browser presented (`old`, if any and if it was one of this user's) is deleted in the same
 * transaction. Returns the new token for the cookie.
 */
export async function issueDevice(db: Store, user: string, old: string | undefined, ttlMs: number) {
  const token = randomToken(32);
  const op = db.kv.atomic().set(await deviceKey(user, token), true, { expireIn: ttlMs });
  if (old && DEVICE_TOKEN_RE.test(old)) op.delete(await deviceKey(user, old));
  await op.commit();
  return token;
}

/** The number of device records of `user` (tests, diagnostics). */
export async function countDevices(db: Store, user: string): Promise<number> {
  let n = 0;
  for await (const _ of db.kv.list({ prefix: devicePrefix(user) })) n++;
  return n;
}
