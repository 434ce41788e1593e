// Shared pieces of the JSON API: guards (session, CSRF on writes, admin), capped JSON bodies, audit input
// from the request, and store errors mapped to clear 4xx answers.
import type { Context, MiddlewareHandler } from "hono";
import { csrfFailure } from "../auth/csrf.ts";
import { isAdmin } from "../auth/permissions.ts";
import { BodyTooLarge, readBodyCapped } from "../http/body.ts";
import type { AuditInput } from "../store/audit.ts";
import type { Env } from "../http/context.ts";

const MAX_JSON = 64 * 1024;

export class ApiError extends Error {
  constructor(readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 502 | 503, message: string) {
    super(message);
  }
}

/** Session required; state-changing methods also need the CSRF token in X-CSRF-Token (and same origin). */
export const apiGuard: MiddlewareHandler<Env> = async (c, next) => {
  if (!c.get("user")) return c.json({ error: "login required" }, 401);
  if (!["GET", "HEAD", "OPTIONS"].includes(c.req.method)) {
    const fail = csrfFailure(c, c.req.header("x-csrf-token"));
    if (fail) return c.json({ error: fail }, 403);
  }
  await next();
};

export const adminOnly: MiddlewareHandler<Env> = async (c, next) => {
  if (!isAdmin(c.get("user"))) return c.json({ error: "admin role required" }, 403);
  await next();
};

/** The JSON object body, or an ApiError (400 not JSON / not an object, 413 too large, 415 wrong type). */
export async function jsonBody(c: Context<Env>): Promise<Record<string, unknown>> {
  const type = c.req.header("content-type") ?? "";
  if (!type.startsWith("application/json")) {
    throw new ApiError(415, "send a JSON body (Content-Type: application/json)");
  }
  let text: string;
  try {
    text = await readBodyCapped(c.req.raw, MAX_JSON);
  } catch (e) {
    if (e instanceof BodyTooLarge) throw new ApiError(413, "body too large");
    throw e;
  }
  let v: unknown;
  try {
    v = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(400, "body is not valid JSON");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new ApiError(400, "body must be a JSON object");
  return v as Record<string, unknown>;
}

export function auditOf(c: Context<Env>, action: string, target: string, detail?: string): AuditInput {
  const a: AuditInput = { actor: c.get("user")?.name ?? "?", action, target, ip: c.get("clientIp") };
  if (detail) a.detail = detail;
  return a;
}

/** Maps the stores' errors (with a 4xx `status`) and ApiError to a JSON answer; rethrows the rest. */
export function errorAnswer(c: Context<Env>, e: unknown): Response {
  const status = (e as { status?: unknown }).status;
  if (e instanceof Error && typeof status === "number" && status >= 400 && status < 600) {
    return c.json({ error: e.message }, status as 400);
  }
  throw e;
}

/** Runs a handler, answering store/validation errors with their 4xx. */
export function handle(fn: (c: Context<Env>) => Promise<Response>) {
  return async (c: Context<Env>) => {
    try {
      return await fn(c);
    } catch (e) {
      return errorAnswer(c, e);
    }
  };
}
