// The list of streams a caller may see, with live state and viewer counts: used by the home page (server
// rendered) and GET /api/live (polled by the page to update without reload).
import type { Actor } from "../auth/access.ts";
import { listKeys } from "../store/keys.ts";
import { listStreams, type Visibility } from "../store/streams.ts";
import type { LivePath } from "../mediamtx/client.ts";
import type { AppDeps } from "../http/context.ts";
import { isRungPath } from "../core/rungs.ts";

export interface LiveRow {
  path: string;
  title: string;
  visibility: Visibility;
  live: boolean;
  since: string | null;
  viewers: number;
  codecs: string[];
}

/** How old MediaMTX's path list may be (ms): many home pages poll /api/live; one poll serves them all. */
const MAX_AGE_MS = 1000;

/** The streams `actor` may see in lists (door: Access.listed), live first; mtxDown when MediaMTX is not reachable. */
export async function liveList(
  deps: Pick<AppDeps, "store" | "live" | "viewers" | "access">,
  actor: Actor,
): Promise<{ streams: LiveRow[]; mtxDown: boolean }> {
  const records = new Map((await listStreams(deps.store)).map((s) => [s.path, s]));
  const paths = new Set<string>(records.keys());
  for (const k of await listKeys(deps.store)) paths.add(k.path);
  let live: LivePath[] = [];
  let mtxDown = false;
  try {
    live = await deps.live.get(MAX_AGE_MS);
  } catch {
    mtxDown = true;
  }
  const byName = new Map(live.map((p) => [p.name, p]));
  // A quality ladder's rung paths are never listed (src/ladder/).
  for (const p of live) if (p.online && !isRungPath(p.name)) paths.add(p.name);
  const tracker = deps.viewers;
  const streams: LiveRow[] = [];
  for (const path of paths) {
    const s = records.get(path) ?? null;
    if (!deps.access.listed(actor, s)) continue;
    const l = byName.get(path);
    const online = !!l?.online;
    // Viewers through livegate's HLS proxy are counted by livegate (MediaMTX sees one CDN reader);
    // WebRTC and other direct readers are counted by MediaMTX.
    const direct = (l?.readers ?? []).filter((r) => r.type !== "hlsSession" && r.type !== "hidden").length;
    streams.push({
      path,
      title: s?.title ?? "",
      visibility: s?.visibility ?? "private",
      live: online,
      since: l?.onlineSince ?? null,
      viewers: online ? tracker.count(path) + direct : 0,
      codecs: l?.codecs ?? [],
    });
  }
  streams.sort((a, b) => Number(b.live) - Number(a.live) || a.path.localeCompare(b.path));
  return { streams, mtxDown };
}
