// Ends the publishes a user may no longer make. MediaMTX asks livegate's hook only when a publish starts,
// so after a user is disabled, demoted or deleted, a stream they are sending would otherwise go on. The
// paths at stake: those of the user's own stream keys and the streams the user owns. Each is kicked when
// the user (as now stored) may not publish there any more (the door: Access.publishGrant). Another publisher on the same path (e.g. with
// an admin's key) is kicked too; its key still works, so it reconnects (OBS and ffmpeg retry).
import { listStreams } from "../store/streams.ts";
import type { Store } from "../store/kv.ts";
import type { AppDeps } from "../http/context.ts";

/** Paths the user publishes to by right: their keys' paths and the streams they own. */
export async function userPublishPaths(store: Store, name: string): Promise<string[]> {
  const paths = new Set<string>();
  for await (const e of store.kv.list<string>({ prefix: ["user_keys", name] })) paths.add(e.value);
  for (const s of await listStreams(store)) if (s.owner === name) paths.add(s.path);
  return [...paths];
}

/** Kicks the live publisher of each of `paths` the user may no longer publish to; the paths kicked. */
export async function kickLostPublishes(
  deps: Pick<AppDeps, "access" | "mtx">,
  name: string,
  paths: string[],
): Promise<string[]> {
  const kicked: string[] = [];
  for (const path of paths) {
    // The door, as for a browser publish by this user: still allowed -> nothing to end.
    if ((await deps.access.publishGrant(path, { user: name })).allow) continue;
    // Best effort: MediaMTX may be down (then nothing is being published either).
    if (await deps.mtx.kickPublisher(path).catch(() => null)) kicked.push(path);
  }
  return kicked;
}
