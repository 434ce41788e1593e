// The streams a caller may manage, for the dashboard page and GET /api/streams: the registered streams the
// door lets them manage, and for admins also the paths that only have (CLI) keys (private, admins only,
// until registered). Records are read once; the door decides on them (Access.manages).
import type { Actor } from "../auth/access.ts";
import { listKeys } from "../store/keys.ts";
import { listStreams, type Stream } from "../store/streams.ts";
import type { AppDeps } from "../http/context.ts";

export interface ManagedStream {
  path: string;
  /** null: a path with keys but no stream record. */
  stream: Stream | null;
  /** Stream keys of the path. */
  keys: number;
}

/** The caller's manageable streams, registered ones first; `admin` adds the key-only paths. */
export async function managedStreams(
  deps: Pick<AppDeps, "store" | "access">,
  actor: Actor,
  admin: boolean,
): Promise<ManagedStream[]> {
  const keys = await listKeys(deps.store);
  const count = (path: string) => keys.filter((k) => k.path === path).length;
  const out: ManagedStream[] = [];
  const seen = new Set<string>();
  for (const s of await listStreams(deps.store)) {
    seen.add(s.path);
    if (deps.access.manages(actor, s)) out.push({ path: s.path, stream: s, keys: count(s.path) });
  }
  if (admin) {
    for (const path of new Set(keys.map((k) => k.path))) {
      if (!seen.has(path)) out.push({ path, stream: null, keys: count(path) });
    }
  }
  return out;
}
