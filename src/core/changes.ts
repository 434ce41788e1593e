// Changes announced by the store after a successful write. Whatever keeps state derived from the store
// (decision caches, passes of the HLS hot path, the hook's publish cache, the recheck of running publishes)
// subscribes here instead of being cleared by hand or because of an HTTP method (src/app/invalidation.ts).
// In-process only: another process (the CLI) writing the same database is covered by the caches' short TTL
// and the periodic recheck.

/** What changed. `path` is a stream path, `name` a user name, `id` a record id. */
export type Change =
  | { kind: "user"; name: string; op: "create" | "update" | "delete" | "password" }
  | { kind: "stream"; path: string; op: "create" | "update" | "delete" }
  | { kind: "key"; path: string; id: string; op: "create" | "revoke" }
  | { kind: "share"; path: string; id: string; op: "create" | "revoke" }
  | { kind: "session"; user: string; op: "create" | "delete" }
  | { kind: "clip"; path: string; id: string; op: "create" | "delete" }
  | { kind: "clip_settings"; path: string }
  | { kind: "destination"; path: string; id: string; op: "create" | "update" | "delete" }
  | { kind: "restore" }
  /** Stream analytics wrote a batch (samples, broadcasts) or downsampled old samples; nothing caches it. */
  | { kind: "analytics"; op: "batch" | "downsample"; mutations: number }
  | { kind: "delivery"; path: string; op: "update" }
  | { kind: "ladder"; path: string }
  // Live chat (src/store/chat.ts): settings and bans change who may write or moderate; `uid` is the chat id
  // a ban is about ("u:NAME" or "g:HEX").
  | { kind: "chat"; path: string; op: "settings" | "ban" | "message" | "delete" | "clear"; uid?: string }
  | { kind: "token"; user: string; id: string; op: "create" | "revoke" }
  | { kind: "jwt_key"; kid: string; op: "create" | "rotate" };

export type ChangeKind = Change["kind"];

/** A synchronous fan-out of changes to subscribers (a throwing subscriber does not stop the others). */
export class ChangeBus {
  #subs = new Set<(c: Change) => void>();

  /** Calls `fn` for every change from now on; returns the function that unsubscribes it. */
  subscribe(fn: (c: Change) => void): () => void {
    this.#subs.add(fn);
    return () => this.#subs.delete(fn);
  }

  /** Announces a change (called by the store after a successful commit). */
  emit(c: Change): void {
    for (const fn of this.#subs) {
      try {
        fn(c);
      } catch (e) {
        console.error(`[livegate] change subscriber failed: ${(e as Error).message}`);
      }
    }
  }
}
