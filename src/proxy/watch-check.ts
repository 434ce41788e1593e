// The watch check of media requests (HLS): the door's decision (src/auth/access.ts, with its short
// decision cache) for this request's actor, and when allowed the viewer record counted for the live
// counts.
import type { Context } from "hono";
import { sessionIdOf } from "../store/sessions.ts";
import type { Viewer } from "../auth/viewers.ts";
import { refusal } from "../http/refusal.ts";
import type { AppDeps, Env } from "../http/context.ts";

/** The viewer record of an allowed media request (what the live counts track). */
export type SeenViewer = Omit<Viewer, "since" | "lastSeen">;

/**
 * Decides whether this request may watch `path`. Answers a JSON 401/403 Response when not; when allowed,
 * counts the viewer on `path` and answers its record.
 */
export async function watchCheck(
  c: Context<Env>,
  deps: Pick<AppDeps, "access" | "viewers">,
  path: string,
): Promise<Response | SeenViewer> {
  const actor = c.get("actor");
  // HLS media requests reuse an allowed decision for up to 2 s (the door's cache).
  const media = c.req.method === "GET" && c.req.path.startsWith("/hls/");
  const d = await deps.access.authorize({ actor, action: "watch", path }, { cache: media });
  if (!d.allow) return refusal(c, d);
  const user = c.get("user");
  const token = c.get("sessionToken");
  const ip = c.get("clientIp") ?? "";
  const shareId = d.via === "share" && actor.kind === "share" ? actor.token.split(".")[0] : null;
  const viewer: SeenViewer = {
    id: user && token ? await sessionIdOf(token) : shareId ? `share:${shareId}:${ip}` : `ip:${ip}`,
    kind: user ? "session" : shareId ? "share" : "anonymous",
    user: user?.name ?? null,
    ip,
    userAgent: (c.req.header("user-agent") ?? "").slice(0, 200),
  };
  deps.viewers.seen(path, viewer);
  return viewer;
}
