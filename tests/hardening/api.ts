// JSON API calls for in-process hardening tests: a Jar (tests/http/helpers.ts) with its CSRF token.
import assert from "node:assert/strict";
import { Jar, type testApp } from "../http/helpers.ts";

type T = Awaited<ReturnType<typeof testApp>>;

/** A JSON API call with the jar's CSRF token; answers status, parsed body (null if not JSON) and headers. */
export async function api(j: Jar, method: string, path: string, body?: unknown) {
  const r = await j.req(path, {
    method,
    headers: { "content-type": "application/json", "x-csrf-token": j.cookies.get("lg_csrf") ?? "" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // deno-lint-ignore no-explicit-any
  const parsed: any = await r.json().catch(() => null);
  return { status: r.status, body: parsed, headers: r.headers };
}

/** A browser at `ip` logged in as `user` (through the server's handler: hot path included). */
export async function loggedIn(t: T, user: string, password: string, ip: string): Promise<Jar> {
  const j = new Jar(t.app, ip, t.handler);
  assert.equal((await j.login(user, password)).status, 303, `login ${user}`);
  return j;
}
