// The answer when a request to MediaMTX's loopback listeners fails: 503 while the supervisor is
// (re)starting it, 502 otherwise, both with Retry-After and a message.
import type { MtxState } from "./supervisor.ts";

/** The 502/503 JSON answer for an unreachable MediaMTX; logs `log` (no secrets in it) when given. */
export function mediamtxUnavailable(
  deps: { mtxState: () => MtxState | "external"; log?: (line: string) => void },
  log?: string,
): Response {
  const state = deps.mtxState();
  const restarting = state === "starting" || state === "restarting";
  if (log) (deps.log ?? console.error)(`[livegate] ${log}`);
  return Response.json(
    { error: restarting ? "MediaMTX is restarting; try again shortly" : "MediaMTX is not reachable" },
    { status: restarting ? 503 : 502, headers: { "Retry-After": "2" } },
  );
}
