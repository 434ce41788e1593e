// Shared pieces of the JSON API: guards (session, CSRF on writes, the door's "administer"), capped JSON
// bodies, and audit input from the request. Handlers throw (HttpError for the request, StoreError from the
// store); app.onError (src/app/errors.ts) picks the status.
import type { Context, MiddlewareHandler } from "hono";
import { csrfFailure } from "../http/csrf.ts";
import { readBodyCapped } from "../core/body.ts";
import { HttpError } from "../core/errors.ts";
import type { AuditInput } from "../store/audit.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { refusal, refuse } from "../http/refusal.ts";
import { NAME_RE } from "../core/names.ts";
import { getStreamEntry, type Stream } from "../store/streams.ts";

const MAX_JSON = 64 * 1024;

/**
 * Session (or API token) required; state-changing methods with a session also need the CSRF token in
 * X-CSRF-Token (and same origin). A bearer API token is not sent by browsers on their own, so it needs none.
 */
export const apiGuard: MiddlewareHandler<Env> = async (c, next) => {
  if (!c.get("user")) return c.json({ error: "login required" }, 401);
  if (c.get("actor").kind !== "token" && !["GET", "HEAD", "OPTIONS"].includes(c.req.method)) {
    const fail = csrfFailure(c, c.req.header("x-csrf-token"));
    if (fail) return c.json({ error: fail }, 403);
  }
  await next();
};

/** The door's "administer" decision (admins): 403 otherwise. */
export function adminOnly(deps: Pick<AppDeps, "access">): MiddlewareHandler<Env> {
  return async (c, next) => {
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "administer" });
    if (!d.allow) return refusal(c, d);
    await next();
  };
}

/**
 * The JSON object body. Throws HttpError: 415 not JSON, 413 over 64 KiB, 400 not valid JSON or not an
 * object.
 */
export async function jsonBody(c: Context<Env>): Promise<Record<string, unknown>> {
  const type = c.req.header("content-type") ?? "";
  if (!type.startsWith("application/json")) {
    throw new HttpError(415, "send a JSON body (Content-Type: application/json)");
  }
  const text = await readBodyCapped(c.req.raw, MAX_JSON).catch((e) => {
    if (e instanceof HttpError) throw new HttpError(413, "body too large");
    throw e;
  });
  let v: unknown;
  try {
    v = text ? JSON.parse(text) : {};
  } catch {
    throw new HttpError(400, "body is not valid JSON");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new HttpError(400, "body must be a JSON object");
  return v as Record<string, unknown>;
}

/** The audit entry of this request's change (actor, client IP). */
export function auditOf(c: Context<Env>, action: string, target: string, detail?: string): AuditInput {
  const a: AuditInput = { actor: c.get("user")?.name ?? "?", action, target, ip: c.get("clientIp") };
  if (detail) a.detail = detail;
  return a;
}

/**
 * The stream a request manages: its `:path`, the door's "manage" decision (refusal thrown: 401/403), then
 * its record. Throws HttpError 400 for a malformed path and 404 when no stream is registered there.
 */
export async function managedStream(
  deps: Pick<AppDeps, "access" | "store">,
  c: Context<Env>,
): Promise<{ path: string; entry: Deno.KvEntry<Stream> }> {
  const path = c.req.param("path") ?? "";
  if (!NAME_RE.test(path)) throw new HttpError(400, "invalid stream path");
  const d = await deps.access.authorize({ actor: c.get("actor"), action: "manage", path });
  if (!d.allow) refuse(d);
  const entry = await getStreamEntry(deps.store, path);
  if (!entry.value) throw new HttpError(404, `no stream '${path}'; create it first (POST /api/streams)`);
  return { path, entry: entry as Deno.KvEntry<Stream> };
}
