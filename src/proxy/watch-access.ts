// The watch check for media requests (HLS, WebRTC, recordings): session user or share link, decided by
// src/auth/permissions.ts; records the viewer for the live counts when allowed.
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { type Decision, watchDecision } from "../auth/permissions.ts";
import { sessionIdOf } from "../store/sessions.ts";
import { type Viewer, viewerTracker } from "./viewers.ts";
import { mediaCaches } from "../auth/session-cache.ts";
import type { AppDeps, Env } from "../http/context.ts";

export const SHARE_COOKIE = "lg_share";
export const SHARE_QUERY = "share";

/** The share token of this request: ?share=TOKEN or the lg_share cookie set by the share-link page. */
export function shareTokenOf(c: Context<Env>): string | undefined {
  return c.req.query(SHARE_QUERY) ?? getCookie(c, SHARE_COOKIE) ?? undefined;
}

/** The viewer record of an allowed media request (what the live counts track). */
export type SeenViewer = Omit<Viewer, "since" | "lastSeen">;

/**
 * Decides whether this request may watch `path`. Answers a JSON 401/403 Response when not; when allowed,
 * counts the viewer on `path` and answers its record.
 */
export async function watchCheck(
  c: Context<Env>,
  deps: AppDeps,
  path: string,
): Promise<Response | SeenViewer> {
  const share = shareTokenOf(c);
  // HLS media requests reuse an allowed decision for up to 2 s (src/auth/session-cache.ts).
  const media = c.req.method === "GET" && c.req.path.startsWith("/hls/");
  const key = `${c.get("user")?.name ?? ""}\n${path}\n${share ?? ""}`;
  const watchCache = mediaCaches(deps.kv).watch;
  let d = media ? watchCache.get(key) as Decision | undefined : undefined;
  if (!d) {
    d = await watchDecision(deps.kv, c.get("user"), path, share);
    if (media && d.allow) watchCache.set(key, d);
  }
  if (!d.allow) return c.json({ error: d.reason }, d.status);
  const user = c.get("user");
  const token = c.get("sessionToken");
  const ip = c.get("clientIp") ?? "";
  const shareId = d.reason === "share link" && share ? share.split(".")[0] : null;
  const viewer: SeenViewer = {
    id: user && token ? await sessionIdOf(token) : shareId ? `share:${shareId}:${ip}` : `ip:${ip}`,
    kind: user ? "session" : shareId ? "share" : "anonymous",
    user: user?.name ?? null,
    ip,
    userAgent: (c.req.header("user-agent") ?? "").slice(0, 200),
  };
  viewerTracker(deps.kv).seen(path, viewer);
  return viewer;
}
