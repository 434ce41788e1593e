// "Known device" cookie against lock-out by brute force: a browser that has logged in as a user before
// may still log in as that user while failed guesses from other addresses have hit the per-user limit.
// The per-IP limit applies to it as to anyone. The token is always one livegate issued (a value planted in
// the browser by someone else is never adopted): a new one on every successful login, the old record
// deleted; a password change or the user's deletion drops all of the user's (src/store/devices.ts).
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { isDevice, issueDevice } from "../store/devices.ts";
import type { AppDeps, Env } from "./context.ts";

export const DEVICE_COOKIE = "lg_device";
const TTL_SECONDS = 90 * 24 * 3600;

/** True when this browser carries a device token livegate issued for `user` within the last 90 days. */
export async function isKnownDevice(
  c: Context<Env>,
  deps: Pick<AppDeps, "store">,
  user: string,
): Promise<boolean> {
  return await isDevice(deps.store, user, getCookie(c, DEVICE_COOKIE));
}

/** After a successful login: a fresh device token for this browser (the one it brought is dropped). */
export async function rememberDevice(
  c: Context<Env>,
  deps: Pick<AppDeps, "store">,
  user: string,
): Promise<void> {
  const token = await issueDevice(deps.store, user, getCookie(c, DEVICE_COOKIE), TTL_SECONDS * 1000);
  setCookie(c, DEVICE_COOKIE, token, {
    httpOnly: true,
    sameSite: "Strict",
    secure: c.get("secureCookies"),
    path: "/login",
    maxAge: TTL_SECONDS,
  });
}
