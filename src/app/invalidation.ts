// The one subscriber to the store's announced changes (src/core/changes.ts): it clears exactly the caches
// that depend on what changed and asks the publish recheck to run soon. Nothing else clears a cache, and
// nothing is cleared because of an HTTP method (a flood of anonymous POSTs changes nothing, so it clears
// nothing and viewers stay on the HLS hot path).
//
//   change            session cache  HLS passes  watch decisions  publish decisions  publish recheck  reader recheck
//   user              x              x           x                x                  x                x
//   session (ended)   x              x                                                                  x
//   stream            x              x           x                x                  x                x
//   share             x              x           x                                                    x
//   key                                                           x                  x
//   restore           x              x           x                x                  x                x
//   clip, clip_settings  (nothing cached depends on them: the door reads clip settings fresh)
//   token, jwt_key    (nothing cached: API tokens and signing keys are read fresh on every use)
// (A session being created changes nothing cached: only its end does.)
// chat (settings, bans), and every change above: the live chat's connections concerned ask the door again
// (src/chat/hub.ts `changed`).
import type { Change } from "../core/changes.ts";
import type { AppDeps } from "../http/context.ts";
import type { ChatHub } from "../chat/hub.ts";

/**
 * Subscribes the app's caches to `deps.store.changes`; returns the unsubscribe function. `followers` get
 * the changes their feature acts on (the restreamer: destinations, a stream's deletion, a restore).
 */
export function followChanges(
  deps: Pick<AppDeps, "store" | "caches" | "access" | "ledger" | "readers">,
  followers: { restream?: { onChange(c: Change): void }; chat?: Pick<ChatHub, "changed"> } = {},
): () => void {
  const clearMedia = () => deps.caches.clear();
  const clearWatch = () => deps.access.watchCache.clear();
  const clearPublish = () => deps.access.publishCache.clear();
  const recheck = () => deps.ledger.nudge();
  const readers = () => deps.readers.nudge();
  const everything = () => {
    clearMedia();
    clearWatch();
    clearPublish();
    recheck();
    readers();
  };
  return deps.store.changes.subscribe((c: Change) => {
    followers.restream?.onChange(c);
    followers.chat?.changed(c);
    switch (c.kind) {
      case "session":
        if (c.op === "delete") {
          clearMedia();
          readers();
        }
        return;
      case "share":
        clearMedia();
        clearWatch();
        readers();
        return;
      case "key":
        clearPublish();
        recheck();
        return;
      case "user":
        if (c.op !== "create") everything(); // a new user holds nothing cached yet
        return;
      case "stream":
      case "restore":
        everything();
        return;
      case "destination": // restream destinations: nothing cached depends on them
        return;
      case "token":
      case "jwt_key":
        return; // read fresh on every use (src/auth/api-tokens.ts, src/auth/jwt-keys.ts)
    }
  });
}
