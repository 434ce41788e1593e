// The answer when a request to MediaMTX's loopback listeners fails: 503 while the supervisor is
// (re)starting it, 502 otherwise, both with Retry-After and a message.
import type { Context } from "hono";
import type { AppDeps, Env } from "../http/context.ts";

export function mediamtxUnavailable(
  c: Context<Env>,
  deps: Pick<AppDeps, "mtxState">,
  log?: string,
): Response {
  const state = deps.mtxState();
  const restarting = state === "starting" || state === "restarting";
  if (log) console.error(`[livegate] ${log}`);
  c.header("Retry-After", "2");
  return c.json(
    { error: restarting ? "MediaMTX is restarting; try again shortly" : "MediaMTX is not reachable" },
    restarting ? 503 : 502,
  );
}
