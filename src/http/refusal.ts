// Turns the door's refusal (src/auth/access.ts) into the HTTP answer: one place for the 401/403 shape.
// JSON for APIs and media; for pages a 401 goes to the login page and a 403 is the error page.
import type { Context } from "hono";
import type { Decision } from "../auth/access.ts";
import { HttpError } from "../core/errors.ts";
import type { Env } from "./context.ts";
import { loginRedirect } from "./session.ts";

type Refusal = Extract<Decision, { allow: false }>;

/** The JSON answer for a refusal: {"error": reason} with its status (401 or 403). */
export function refusal(c: Context<Env>, d: Refusal): Response {
  return c.json({ error: d.reason }, d.status);
}

/** Throws the refusal as an HttpError (for handlers whose errors app.onError answers). */
export function refuse(d: Refusal): never {
  throw new HttpError(d.status, d.reason);
}

/** The page answer for a refusal: to the login page without a login (401), else `page(403, reason)`. */
export function pageRefusal(
  c: Context<Env>,
  d: Refusal,
  page: (status: number, message: string) => Parameters<Context<Env>["html"]>[0],
): Response | Promise<Response> {
  if (d.status === 401) return loginRedirect(c);
  return c.html(page(403, d.reason), 403);
}
