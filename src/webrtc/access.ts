// The WebRTC endpoints' view of the permission rules in src/auth/permissions.ts (the only place the rules
// live): who may watch a path (WHEP, media info) and who may publish to it from the browser (WHIP).
// Refusals: 401 without a login, 403 with one.
import type { Context } from "hono";
import { canPublish, watchDecision } from "../auth/permissions.ts";
import { shareTokenOf } from "../proxy/watch-access.ts";
import type { AppDeps, Env } from "../http/context.ts";

export interface Access {
  allow: boolean;
  status: 401 | 403;
  reason: string;
}

export async function watchAccess(deps: AppDeps, c: Context<Env>, path: string): Promise<Access> {
  // Public streams need no login; unlisted ones also accept a share link (?share= or the lg_share cookie).
  const d = await watchDecision(deps.kv, c.get("user"), path, shareTokenOf(c));
  return d.allow
    ? { allow: true, status: 403, reason: "" }
    : { allow: false, status: d.status, reason: d.reason };
}

export async function publishAccess(deps: AppDeps, c: Context<Env>, path: string): Promise<Access> {
  const user = c.get("user");
  if (!user) return { allow: false, status: 401, reason: "login required" };
  return await canPublish(deps.kv, user, path)
    ? { allow: true, status: 403, reason: "" }
    : { allow: false, status: 403, reason: "not allowed to publish to this path" };
}
