// Short-lived in-memory caches for media requests: a viewer fetches HLS playlists and parts ~10 times a
// second, and each request needs its session (a hash plus two KV reads) and the stream's watch rule (a KV
// read). Only successful lookups and allowed decisions are kept, for TTL_MS. The composition root clears
// them when the store announces a change they depend on (src/app/invalidation.ts), so logout, kicks and
// user or role changes through livegate take effect at once; changes made by another process (the CLI)
// take effect within TTL_MS.
import type { Session } from "../store/sessions.ts";
import type { User } from "../store/users.ts";

export const TTL_MS = 2000;
const MAX_ENTRIES = 20_000;

interface Entry {
  session: Session;
  user: User;
  at: number;
}

export class SessionCache {
  #m = new Map<string, Entry>();

  get(token: string, now = Date.now()): Entry | undefined {
    const e = this.#m.get(token);
    if (!e) return undefined;
    if (now - e.at >= TTL_MS || e.session.expiresAt <= now) {
      this.#m.delete(token);
      return undefined;
    }
    return e;
  }

  set(token: string, session: Session, user: User, now = Date.now()): void {
    if (this.#m.size >= MAX_ENTRIES) {
      for (const [k, e] of this.#m) if (now - e.at >= TTL_MS) this.#m.delete(k);
      if (this.#m.size >= MAX_ENTRIES) this.#m.clear();
    }
    this.#m.set(token, { session, user, at: now });
  }

  clear(): void {
    this.#m.clear();
  }

  get size(): number {
    return this.#m.size;
  }
}

/** A small TTL map for other per-request media decisions (same lifetime and invalidation as sessions). */
export class TtlCache<T> {
  #m = new Map<string, { v: T; at: number }>();

  get(key: string, now = Date.now()): T | undefined {
    const e = this.#m.get(key);
    if (!e) return undefined;
    if (now - e.at >= TTL_MS) {
      this.#m.delete(key);
      return undefined;
    }
    return e.v;
  }

  set(key: string, v: T, now = Date.now()): void {
    if (this.#m.size >= MAX_ENTRIES) {
      for (const [k, e] of this.#m) if (now - e.at >= TTL_MS) this.#m.delete(k);
      if (this.#m.size >= MAX_ENTRIES) this.#m.clear();
    }
    this.#m.set(key, { v, at: now });
  }

  clear(): void {
    this.#m.clear();
  }
}

/** The media caches of one app (created by the composition root). */
export class MediaCaches {
  readonly sessions = new SessionCache();
  /** Viewers' passes for the HLS hot path (src/proxy/hls-pass.ts), by cookie, share link, IP and path. */
  readonly passes = new TtlCache<unknown>();

  clear(): void {
    this.sessions.clear();
    this.passes.clear();
  }
}
