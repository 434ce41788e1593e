// The list of streams a caller may see, with live state and viewer counts: used by the home page (server
// rendered) and GET /api/live (polled by the page to update without reload).
import { canList } from "../auth/permissions.ts";
import { listKeys } from "../store/keys.ts";
import { listStreams, type Visibility } from "../store/streams.ts";
import type { User } from "../store/users.ts";
import { type LivePath, livePaths } from "../mediamtx/live.ts";
import { viewerTracker } from "../proxy/viewers.ts";
import type { AppDeps } from "../http/context.ts";

export interface LiveRow {
  path: string;
  title: string;
  visibility: Visibility;
  live: boolean;
  since: string | null;
  viewers: number;
  codecs: string[];
}

/** MediaMTX's path list, shared for CACHE_MS between callers: many home pages poll /api/live. */
const CACHE_MS = 1000;
const cache = new WeakMap<object, { t: number; p: Promise<LivePath[]> }>();

function cachedLivePaths(deps: AppDeps): Promise<LivePath[]> {
  const cur = cache.get(deps.secrets);
  if (cur && Date.now() - cur.t < CACHE_MS) return cur.p;
  const p = livePaths(deps);
  cache.set(deps.secrets, { t: Date.now(), p });
  p.catch(() => cache.delete(deps.secrets));
  return p;
}

export async function liveList(
  deps: AppDeps,
  user: User | null | undefined,
): Promise<{ streams: LiveRow[]; mtxDown: boolean }> {
  const records = new Map((await listStreams(deps.kv)).map((s) => [s.path, s]));
  const paths = new Set<string>(records.keys());
  for (const k of await listKeys(deps.kv)) paths.add(k.path);
  let live: LivePath[] = [];
  let mtxDown = false;
  try {
    live = await cachedLivePaths(deps);
  } catch {
    mtxDown = true;
  }
  const byName = new Map(live.map((p) => [p.name, p]));
  for (const p of live) if (p.online) paths.add(p.name);
  const tracker = viewerTracker(deps.kv);
  const streams: LiveRow[] = [];
  for (const path of paths) {
    const s = records.get(path) ?? null;
    if (!canList(user, s)) continue;
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
