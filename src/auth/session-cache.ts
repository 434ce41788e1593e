// A short-lived in-memory cache of session lookups for media requests: a viewer fetches HLS playlists and
// parts ~10 times a second, and each lookup is a hash plus two KV reads. Only successful lookups are kept,
// for TTL_MS. Every state-changing request this process handles clears the cache, so logout, kicks and
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
