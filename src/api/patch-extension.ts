// For features that add fields to a streams API answer or body without editing src/api/streams.ts: a
// handler mounted before it (src/app/app.ts) takes its own fields out of a PATCH body (rebody: the next
// handler reads what is left) and adds its data to the answer (mergeAnswer). Used by pulled sources
// (src/sources/routes.ts) and the embeddable player's allowed origins (src/web/embed-routes.ts).
import type { Context } from "hono";
import type { Env } from "../http/context.ts";

/** Replaces the JSON body the next handler reads (the first read consumed the original). */
export function rebody(c: Context<Env>, body: Record<string, unknown>): void {
  c.req.raw = new Request(c.req.raw.url, {
    method: c.req.raw.method,
    headers: c.req.raw.headers,
    body: JSON.stringify(body),
  });
}

/** Adds `extra` to the JSON object the next handler answered (only a 2xx JSON object answer). */
export async function mergeAnswer(c: Context<Env>, extra: Record<string, unknown>): Promise<void> {
  const res = c.res;
  if (!res.ok || !(res.headers.get("content-type") ?? "").startsWith("application/json")) return;
  const body = await res.clone().json().catch(() => null);
  if (!body || typeof body !== "object" || Array.isArray(body)) return;
  c.res = new Response(JSON.stringify({ ...body, ...extra }), { status: res.status, headers: res.headers });
}

/** Whether a PATCH body holds fields other than `own` (and the optimistic-lock `version`). */
export function hasOtherFields(body: Record<string, unknown>, own: readonly string[]): boolean {
  return Object.keys(body).some((k) => k !== "version" && !own.includes(k));
}
