// Who is watching what, as seen by livegate's media proxies. MediaMTX sees a single HLS reader (livegate as
// its CDN), so viewer counts and per-viewer sessions are tracked here: a viewer counts while it fetched
// something of the stream within the last WINDOW_MS. In memory only; one tracker per app (services.ts).

export const WINDOW_MS = 15_000;

export interface Viewer {
  /** Login session id (SHA-256 of the cookie token), share link id, or client IP for anonymous viewers. */
  id: string;
  kind: "session" | "share" | "anonymous";
  user: string | null;
  ip: string;
  userAgent: string;
  since: number;
  lastSeen: number;
}

export class ViewerTracker {
  #paths = new Map<string, Map<string, Viewer>>();

  seen(path: string, v: Omit<Viewer, "since" | "lastSeen">, now = Date.now()): void {
    let m = this.#paths.get(path);
    if (!m) this.#paths.set(path, m = new Map());
    const cur = m.get(v.id);
    if (cur && now - cur.lastSeen < WINDOW_MS && cur.user === v.user && cur.ip === v.ip) {
      cur.lastSeen = now; // the common case (~10 requests a second per viewer): no new object
      cur.userAgent = v.userAgent;
      return;
    }
    m.set(v.id, { ...v, since: cur && now - cur.lastSeen < WINDOW_MS ? cur.since : now, lastSeen: now });
  }

  viewers(path: string, now = Date.now()): Viewer[] {
    const m = this.#paths.get(path);
    if (!m) return [];
    for (const [id, v] of m) if (now - v.lastSeen >= WINDOW_MS) m.delete(id);
    if (m.size === 0) this.#paths.delete(path);
    return [...m.values()];
  }

  count(path: string, now = Date.now()): number {
    return this.viewers(path, now).length;
  }

  /** Forgets a viewer (e.g. after its session was revoked). */
  drop(id: string): void {
    for (const m of this.#paths.values()) m.delete(id);
  }
}
