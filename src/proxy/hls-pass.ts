// A viewer's pass for the HLS hot path (hls-fast.ts): after the full check of an HLS request (session,
// watch rule, share link) allowed it, the same viewer's next requests for the same stream within
// TTL_MS (2 s, src/auth/session-cache.ts) skip the session lookup and the rule. A pass is bound to the
// exact session cookie, share token, client IP and stream; it is cleared with the other media caches when
// the store announces a change to users, sessions, streams or share links (src/app/invalidation.ts), and
// never outlives the session.
import type { AppDeps } from "../http/context.ts";
import type { SeenViewer } from "./watch-check.ts";

export interface PassRequest {
  /** lg_session cookie (undefined without one). */
  token: string | undefined;
  /** ?share= or the lg_share cookie. */
  share: string | undefined;
  ip: string;
  path: string;
}

export interface Pass {
  viewer: SeenViewer;
  sessionExpiresAt: number;
}

const keyOf = (r: PassRequest) => `${r.token ?? ""}\n${r.share ?? ""}\n${r.ip}\n${r.path}`;

export function grantPass(deps: Pick<AppDeps, "caches" | "clock">, r: PassRequest & Pass): void {
  deps.caches.passes.set(
    keyOf(r),
    { viewer: r.viewer, sessionExpiresAt: r.sessionExpiresAt },
    deps.clock.now(),
  );
}

/** The pass for this request, if one was granted within TTL_MS and its session has not expired. */
export function findPass(
  deps: Pick<AppDeps, "caches" | "clock">,
  r: PassRequest,
  now = deps.clock.now(),
): Pass | undefined {
  const p = deps.caches.passes.get(keyOf(r), now) as Pass | undefined;
  return p && p.sessionExpiresAt > now ? p : undefined;
}
