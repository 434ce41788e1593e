// app.onError: the one place an error becomes an HTTP status. Lower layers throw typed errors
// (src/core/errors.ts); unknown errors are logged with their stack and answered 500 without details.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { HttpError, MtxError, storageFailure, StoreError } from "../core/errors.ts";
import type { Env } from "../http/context.ts";
import type { MtxState } from "../mediamtx/supervisor.ts";

const STORE_STATUS = { invalid: 400, not_found: 404, conflict: 409, unavailable: 503 } as const;

/** The answer for an error thrown by a handler (JSON {"error": message}). */
export function errorAnswer(
  err: Error,
  c: Context<Env>,
  deps: { mtxState: () => MtxState | "external"; log: (line: string) => void },
): Response {
  if (err instanceof HttpError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json({ error: err.message }, err.status);
  }
  if (err instanceof HTTPException) return c.json({ error: err.message }, err.status);
  const storage = storageFailure(err);
  if (storage) {
    deps.log(`[livegate] ${c.req.method} ${c.req.path}: storage: ${err.message}`);
    c.header("Retry-After", "30");
    return c.json({ error: storage.message }, 503);
  }
  if (err instanceof StoreError) return c.json({ error: err.message }, STORE_STATUS[err.kind]);
  // A name from the request too long to be a KV key (Deno KV: keys up to 2 KiB) cannot name anything that
  // exists: the store functions check their names, this catches any that does not.
  if (err instanceof TypeError && /^Key too large/.test(err.message)) {
    return c.json({ error: "no such item (name too long)" }, 404);
  }
  if (err instanceof MtxError) {
    if (err.kind === "unreachable") {
      const state = deps.mtxState();
      const restarting = state === "starting" || state === "restarting";
      c.header("Retry-After", "2");
      return c.json(
        { error: restarting ? "MediaMTX is restarting; try again shortly" : err.message },
        restarting ? 503 : 502,
      );
    }
    if (err.kind === "not_found") return c.json({ error: err.message }, 404);
    if (err.kind === "bad_request") return c.json({ error: err.message }, 400);
    return c.json({ error: err.message }, 502);
  }
  deps.log(`[livegate] ${c.req.method} ${c.req.path}: ${err.stack ?? err}`);
  return c.json({ error: "internal error" }, 500);
}
