// Carries the store's announced changes (src/core/changes.ts) between the isolates of one livegate process
// (LIVEGATE_WORKERS > 1): every isolate opens the same KV database and keeps its own caches, and each
// change one isolate's store announces is posted on a BroadcastChannel and announced again on every other
// isolate's bus, where its one subscriber (src/app/invalidation.ts) clears what depends on it. A revoked
// session, key, share link or user therefore stops working in every isolate as soon as the message is
// handled (measured in milliseconds), and at the latest when the caches' entries expire (TTL_MS = 2 s,
// src/auth/session-cache.ts), which holds even if a message were lost.
import type { Change, ChangeBus } from "../core/changes.ts";

/** The channel name of one data directory's isolates (two livegates in one process never mix). */
export const changeChannelName = (dataDir: string) => `livegate-changes:${dataDir}`;

/**
 * Relays `bus`'s changes to the other isolates on channel `name` and announces theirs on `bus`; a change
 * received is not posted again. Returns the function that stops relaying (closes the channel).
 */
export function relayChanges(bus: ChangeBus, name: string): () => void {
  const channel = new BroadcastChannel(name);
  let receiving = false;
  const unsubscribe = bus.subscribe((c: Change) => {
    if (receiving) return;
    try {
      channel.postMessage(c);
    } catch (e) {
      console.error(`[livegate] cannot relay a ${c.kind} change: ${(e as Error).message}`);
    }
  });
  channel.onmessage = (e: MessageEvent<Change>) => {
    receiving = true;
    try {
      bus.emit(e.data);
    } finally {
      receiving = false;
    }
  };
  return () => {
    unsubscribe();
    channel.close();
  };
}
