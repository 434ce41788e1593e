// Allowed publish-key decisions of MediaMTX's auth hook, kept for TTL_MS (2 s, as the media caches in
// session-cache.ts). A publish decision reads the key by hash, the key record, the stream and the key's
// owner from KV: ~0.2 ms and three hand-offs to KV's thread per call, the slowest and most variable part of
// the hook (see BENCHMARKS.md). Only allowed decisions are kept (a refusal always reads KV, so a new key
// works at once and guesses cannot fill the cache), by path and SHA-256 of the key (never the key itself).
//
// Invalidation, the same as for the media caches: every change the store announces about keys, users and
// streams clears the cache (src/app/invalidation.ts), so a revoked key, a deleted stream or a user change
// made through livegate stops the next publish at once. A change made by another process (the CLI) takes effect within TTL_MS: an entry's age counts from
// before its KV reads. A lookup that was in flight while the cache was cleared is not stored (generation
// check), so it cannot bring back the state from before the change.
//
// Under load (the hook at ~50k requests/s) an entry lapsing every TTL_MS sent every request arriving during
// the next KV read to KV too, and those queued reads were the hook's p99 (BENCHMARKS.md). So identical
// lookups in flight are shared (once), and an entry past half its TTL is read again by one background
// lookup while it is still used: a steady publisher's decision never lapses, and none is used longer than
// TTL_MS after its KV reads started (a refusal found by the refresh removes the entry at once).
import { TTL_MS } from "./session-cache.ts";
import type { StreamKey } from "../store/keys.ts";

export { TTL_MS };
const MAX_ENTRIES = 10_000;

export interface CachedPublish {
  /** The key record as read (its lastUsed is updated in memory when the hook records a use). */
  key: StreamKey;
  reason: string;
}

export class PublishCache {
  #m = new Map<string, { v: CachedPublish; at: number }>();
  #inflight = new Map<string, Promise<unknown>>();
  #gen = 0;

  /** Changes whenever the cache is cleared; pass the value read before a lookup to set(). */
  get generation(): number {
    return this.#gen;
  }

  get(id: string, now = Date.now()): CachedPublish | undefined {
    return this.entry(id, now)?.v;
  }

  /** The live entry with the time its KV reads started. */
  entry(id: string, now = Date.now()): { v: CachedPublish; at: number } | undefined {
    const e = this.#m.get(id);
    if (!e) return undefined;
    if (now - e.at >= TTL_MS || now < e.at) {
      this.#m.delete(id);
      return undefined;
    }
    return e;
  }

  delete(id: string): void {
    this.#m.delete(id);
  }

  /**
   * Runs `lookup` for `id` unless one started in the same generation is still running, whose result is
   * then shared: when an entry lapses under load, the requests arriving meanwhile wait for one set of KV
   * reads instead of each queueing its own on KV's thread.
   */
  once<T>(id: string, gen: number, lookup: () => Promise<T>): Promise<T> {
    const k = `${gen}\n${id}`;
    let p = this.#inflight.get(k) as Promise<T> | undefined;
    if (!p) {
      this.lookups++;
      p = lookup().finally(() => this.#inflight.delete(k));
      this.#inflight.set(k, p);
    }
    return p;
  }

  /** Lookups run (for tests). */
  lookups = 0;

  /** Stores a decision read at time `at`, unless the cache was cleared since generation `gen` was read. */
  set(id: string, v: CachedPublish, gen: number, at: number): void {
    if (gen !== this.#gen) return;
    if (this.#m.size >= MAX_ENTRIES) {
      const now = Date.now();
      for (const [k, e] of this.#m) if (now - e.at >= TTL_MS) this.#m.delete(k);
      if (this.#m.size >= MAX_ENTRIES) this.#m.clear();
    }
    this.#m.set(id, { v, at });
  }

  clear(): void {
    this.#gen++;
    this.#m.clear();
  }

  get size(): number {
    return this.#m.size;
  }
}
