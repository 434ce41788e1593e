// A user's own account (issue 24 item 9): change the password (the current one is checked, with the login
// rate limits), list the own login sessions with device and last use (paged, newest use first), end one,
// or end every other. Any logged-in user, only for themself; writes need the CSRF header (apiGuard) and are
// audited.
import { Hono } from "hono";
import { HttpError } from "../core/errors.ts";
import { dummyHash, verifyPassword } from "../core/password.ts";
import { beginLoginAttempt, loginSucceeded } from "../auth/ratelimit.ts";
import { isKnownDevice } from "../http/known-device.ts";
import { listSessions, revokeSessionById, sessionId, type SessionInfo } from "../store/sessions.ts";
import { getUser, setPassword } from "../store/users.ts";
import { withAudit } from "../store/audit.ts";
import { apiGuard, auditOf, jsonBody } from "./common.ts";
import type { AppDeps, Env } from "../http/context.ts";

/** Sessions per page of GET /api/account (and the account page). */
export const SESSIONS_PER_PAGE = 50;

export interface OwnSession {
  id: string;
  device: string;
  /** ms since the epoch. */
  created: number;
  lastUsed: number;
  expiresAt: number;
  /** The session of this request. */
  current: boolean;
}

export interface AccountView {
  user: string;
  role: string;
  sessions: OwnSession[];
  /** All live sessions of the user, over all pages. */
  total: number;
  /** 1-based page of `sessions`, and how many pages there are. */
  page: number;
  pages: number;
}

/** The user's sessions, the current one first, then by last use (newest first), one page of them. */
export async function accountView(
  deps: Pick<AppDeps, "store">,
  user: { name: string; role: string },
  token: string | undefined,
  page: number,
): Promise<AccountView> {
  const own = await sessionId(token);
  const all = (await listSessions(deps.store, user.name)).map((s: SessionInfo): OwnSession => ({
    id: s.id,
    device: s.device ?? "Unknown device",
    created: s.created,
    lastUsed: s.lastUsed ?? s.created,
    expiresAt: s.expiresAt,
    current: s.id === own,
  })).sort((a, b) => Number(b.current) - Number(a.current) || b.lastUsed - a.lastUsed);
  const pages = Math.max(1, Math.ceil(all.length / SESSIONS_PER_PAGE));
  const p = Math.min(Math.max(1, page), pages);
  return {
    user: user.name,
    role: user.role,
    sessions: all.slice((p - 1) * SESSIONS_PER_PAGE, p * SESSIONS_PER_PAGE),
    total: all.length,
    page: p,
    pages,
  };
}

/** `?page=` as a positive integer; throws HttpError 400 naming the parameter otherwise. */
export function pageParam(v: string | undefined): number {
  if (v === undefined || v === "") return 1;
  if (!/^[1-9][0-9]{0,6}$/.test(v)) throw new HttpError(400, "page must be a positive whole number");
  return Number(v);
}

export function accountApiRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  app.use("/api/account", apiGuard);
  app.use("/api/account/*", apiGuard);

  app.get("/api/account", async (c) => {
    const u = c.get("user")!;
    return c.json(await accountView(deps, u, c.get("sessionToken"), pageParam(c.req.query("page"))));
  });

  app.post("/api/account/password", async (c) => {
    const u = c.get("user")!;
    const b = await jsonBody(c);
    if (typeof b.current !== "string" || !b.current) {
      throw new HttpError(400, "current: enter your current password");
    }
    if (typeof b.password !== "string" || !b.password) {
      throw new HttpError(400, "password: enter a new password");
    }
    if (b.current.length > 1024 || b.password.length > 1024) throw new HttpError(400, "password too long");
    // The current password is a login secret: the login limits count wrong ones here too.
    const ip = c.get("clientIp");
    const wait = await beginLoginAttempt(
      deps.store.kv,
      deps.cfg.loginLimits,
      ip,
      u.name,
      await isKnownDevice(c, deps, u.name),
    );
    if (wait > 0) {
      c.header("Retry-After", String(wait));
      return c.json({ error: `too many wrong passwords; try again in ${wait} s` }, 429);
    }
    const fresh = await getUser(deps.store, u.name);
    if (!await verifyPassword(b.current, fresh?.passwordHash ?? await dummyHash())) {
      deps.metrics.loginFailures.inc({ reason: "bad_credentials" });
      return c.json({ error: "current: the current password is wrong" }, 403);
    }
    await loginSucceeded(deps.store.kv, ip, u.name);
    // Every other session ends (a change is often made because the old password leaked); this one stays.
    await setPassword(
      deps.store,
      u.name,
      b.password,
      auditOf(c, "account.password", u.name),
      await sessionId(c.get("sessionToken")),
    );
    return c.json({ ok: true, message: "Password changed. Your other sessions were logged out." });
  });

  app.delete("/api/account/sessions/:id", async (c) => {
    const u = c.get("user")!;
    const id = c.req.param("id");
    const mine = (await listSessions(deps.store, u.name)).some((s) => s.id === id);
    // Another user's session (or none) looks the same: not found.
    if (!mine) throw new HttpError(404, "no such session of yours");
    await revokeSessionById(deps.store, id, auditOf(c, "account.session_end", u.name));
    return c.json({ ok: true, current: id === await sessionId(c.get("sessionToken")) });
  });

  app.post("/api/account/sessions/end-others", async (c) => {
    const u = c.get("user")!;
    const own = await sessionId(c.get("sessionToken"));
    let ended = 0;
    for (const s of await listSessions(deps.store, u.name)) {
      if (s.id === own) continue;
      if (await revokeSessionById(deps.store, s.id)) ended++;
    }
    if (ended) {
      await withAudit(deps.store.kv.atomic(), auditOf(c, "account.end_other_sessions", u.name, `${ended}`))
        .commit();
    }
    return c.json({ ok: true, ended });
  });

  return app;
}
