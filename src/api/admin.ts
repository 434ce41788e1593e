// Admin JSON API: users (create, role, reset password, disable, delete), login sessions (list, revoke) and
// the audit log. Admins only; writes need the CSRF header; every change is audited in the same transaction.
import { Hono } from "hono";
import { kickLostPublishes, userPublishPaths } from "./lost-publish.ts";
import { randomToken } from "../core/crypto.ts";
import { HttpError } from "../core/errors.ts";
import { NAME_RE } from "../core/names.ts";
import {
  addUser,
  deleteUser,
  getUserEntry,
  listUsers,
  type Role,
  ROLES,
  setPassword,
  updateUser,
  type User,
  validateUserPatch,
} from "../store/users.ts";
import { listSessions, revokeSessionById, sessionId } from "../store/sessions.ts";
import { listAudit } from "../store/audit.ts";
import { listKeys } from "../store/keys.ts";
import { adminOnly, apiGuard, auditOf, jsonBody } from "./common.ts";
import type { AppDeps, Env } from "../http/context.ts";

export function publicUser(u: User) {
  return { name: u.name, role: u.role, disabled: !!u.disabled, created: u.created };
}

export function adminApiRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  const kv = deps.store;
  const admin = adminOnly(deps);
  for (const p of ["/api/users", "/api/users/*", "/api/sessions", "/api/sessions/*", "/api/audit"]) {
    app.use(p, apiGuard, admin);
  }

  app.get(
    "/api/users",
    async (c) => {
      const sessions = await listSessions(kv);
      const users = (await listUsers(kv)).map((u) => ({
        ...publicUser(u),
        sessions: sessions.filter((s) => s.user === u.name).length,
      }));
      return c.json({ users });
    },
  );

  app.post(
    "/api/users",
    async (c) => {
      const b = await jsonBody(c);
      const role = (b.role ?? "viewer") as Role;
      if (!ROLES.includes(role)) throw new HttpError(400, `role must be one of ${ROLES.join(", ")}`);
      const generated = b.password === undefined || b.password === "";
      const password = generated ? randomToken(12) : b.password;
      if (typeof password !== "string") throw new HttpError(400, "password must be a string");
      const u = await addUser(
        kv,
        b.name as string,
        password,
        role,
        auditOf(c, "user.create", String(b.name), role),
      );
      return c.json({ user: publicUser(u), ...(generated ? { password } : {}) }, 201);
    },
  );

  app.get(
    "/api/users/:name",
    async (c) => {
      const e = await getUserEntry(kv, c.req.param("name") ?? "");
      if (!e.value) throw new HttpError(404, `no user '${(c.req.param("name") ?? "")}'`);
      const keys = (await listKeys(kv)).filter((k) => k.owner === e.value!.name)
        .map(({ hash: _h, ...k }) => k);
      return c.json({
        user: publicUser(e.value),
        version: e.versionstamp,
        sessions: await listSessions(kv, e.value.name),
        keys,
      });
    },
  );

  app.patch(
    "/api/users/:name",
    async (c) => {
      const name = c.req.param("name") ?? "";
      const b = await jsonBody(c);
      const patch = validateUserPatch(b);
      if (Object.keys(patch).length === 0) {
        throw new HttpError(400, "nothing to change: send role and/or disabled");
      }
      if (b.version !== undefined && typeof b.version !== "string") {
        throw new HttpError(400, "version must be a string");
      }
      if (name === c.get("user")!.name && (patch.disabled || (patch.role && patch.role !== "admin"))) {
        throw new HttpError(400, "you cannot disable yourself or drop your own admin role");
      }
      const detail = Object.entries(patch).map(([k, v]) => `${k}=${v}`).join(" ");
      const paths = await userPublishPaths(kv, name);
      const r = await updateUser(kv, name, patch, {
        version: b.version as string | undefined,
        audit: auditOf(c, "user.update", name, detail),
      });
      // Disabled or demoted: a publish the user is sending now ends too (src/api/lost-publish.ts).
      const kicked = await kickLostPublishes(deps, name, paths);
      return c.json({ user: publicUser(r.user), version: r.version, kicked });
    },
  );

  app.post(
    "/api/users/:name/password",
    async (c) => {
      const name = c.req.param("name") ?? "";
      const b = await jsonBody(c);
      const generated = b.password === undefined || b.password === "";
      const password = generated ? randomToken(12) : b.password;
      if (typeof password !== "string") throw new HttpError(400, "password must be a string");
      // Ends the user's sessions; an admin resetting their own password keeps the current one.
      const own = name === c.get("user")!.name ? await sessionId(c.get("sessionToken")) : undefined;
      await setPassword(kv, name, password, auditOf(c, "user.password", name), own);
      return c.json({ ok: true, ...(generated ? { password } : {}) });
    },
  );

  app.delete(
    "/api/users/:name",
    async (c) => {
      const name = c.req.param("name") ?? "";
      if (name === c.get("user")!.name) throw new HttpError(400, "you cannot delete yourself");
      // A name no user can have has no user (and would be too long a KV key to look up).
      if (!NAME_RE.test(name)) throw new HttpError(404, "no such user");
      const paths = await userPublishPaths(kv, name);
      await deleteUser(kv, name, auditOf(c, "user.delete", name));
      return c.json({ ok: true, kicked: await kickLostPublishes(deps, name, paths) });
    },
  );

  app.get(
    "/api/sessions",
    async (c) => {
      const user = c.req.query("user");
      return c.json({ sessions: await listSessions(kv, user || undefined) });
    },
  );

  app.delete(
    "/api/sessions/:id",
    async (c) => {
      const id = c.req.param("id") ?? "";
      if (!/^[0-9a-f]{64}$/.test(id)) throw new HttpError(400, "session id must be 64 hex digits");
      const s = await revokeSessionById(kv, id, auditOf(c, "session.revoke", id.slice(0, 12)));
      if (!s) throw new HttpError(404, "no such session");
      deps.viewers.drop(id);
      return c.json({ ok: true, user: s.user });
    },
  );

  app.get(
    "/api/audit",
    async (c) => {
      const n = Number(c.req.query("limit") ?? "200");
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new HttpError(400, "limit must be 1-1000");
      return c.json({ entries: await listAudit(kv, n) });
    },
  );

  return app;
}
