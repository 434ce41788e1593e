// Login sessions in KV. The cookie holds a random token; KV holds only its SHA-256, so a copy of the
// database does not hand out live sessions. Entries expire through expireIn and an explicit expiry.
import type { Store } from "./kv.ts";
import { randomToken, sha256Hex } from "../core/crypto.ts";
import { type AuditInput, withAudit } from "./audit.ts";

export interface Session {
  user: string;
  /** ms since the epoch. */
  created: number;
  expiresAt: number;
  /** The browser and system it was made from, e.g. "Chrome 156 on Linux" (no IP address is kept). */
  device?: string;
  /** Last request seen with it, ms since the epoch, kept to within TOUCH_MS (not written on every request). */
  lastUsed?: number;
}

/** How stale a session's `lastUsed` may get before a request writes it again (5 min). */
export const TOUCH_MS = 5 * 60_000;

/** A new session for `user`; returns its cookie token (KV keeps only its SHA-256). */
export async function createSession(
  db: Store,
  user: string,
  ttlSeconds: number,
  meta: { device?: string } = {},
): Promise<string> {
  const kv = db.kv;
  const token = randomToken(32);
  const id = await sha256Hex(token);
  const now = Date.now();
  const s: Session = { user, created: now, expiresAt: now + ttlSeconds * 1000, lastUsed: now };
  if (meta.device) s.device = meta.device.slice(0, 120);
  const ms = ttlSeconds * 1000;
  await kv.atomic().set(["sessions", id], s, { expireIn: ms }).set(["user_sessions", user, id], true, {
    expireIn: ms,
  }).commit();
  db.changes.emit({ kind: "session", user, op: "create" });
  return token;
}

/**
 * Looks up a session; renews it (sliding expiry) once less than half its lifetime is left, and notes its
 * last use when that is older than TOUCH_MS. `now` is injectable for tests.
 */
export async function getSession(
  db: Store,
  token: string | undefined,
  ttlSeconds: number,
  now = Date.now(),
): Promise<Session | null> {
  const kv = db.kv;
  if (!token || token.length > 128) return null;
  const id = await sha256Hex(token);
  const e = await kv.get<Session>(["sessions", id]);
  const s = e.value;
  if (!s) return null;
  if (s.expiresAt <= now) {
    await kv.delete(["sessions", id]).catch(() => {}); // expireIn removes it anyway (e.g. disk full)
    return null;
  }
  const ms = ttlSeconds * 1000;
  const renew = s.expiresAt - now < ms / 2;
  if (renew || now - (s.lastUsed ?? s.created) > TOUCH_MS) {
    const next = { ...s, lastUsed: now, ...(renew ? { expiresAt: now + ms } : {}) };
    const left = next.expiresAt - now;
    try {
      await kv.atomic().check(e).set(["sessions", id], next, { expireIn: left })
        .set(["user_sessions", s.user, id], true, { expireIn: left }).commit();
    } catch {
      return s; // cannot write (full or read-only disk): still valid, renewed on a later request
    }
    return next;
  }
  return s;
}

/** A live session by its id (the SHA-256 of its cookie token); null when ended or expired. No renewal. */
export async function getSessionById(db: Store, id: string, now = Date.now()): Promise<Session | null> {
  if (!/^[0-9a-f]{64}$/.test(id)) return null;
  const s = (await db.kv.get<Session>(["sessions", id])).value;
  return s && s.expiresAt > now ? s : null;
}

export async function deleteSession(db: Store, token: string | undefined): Promise<void> {
  const kv = db.kv;
  if (!token || token.length > 128) return;
  const id = await sha256Hex(token);
  const e = await kv.get<Session>(["sessions", id]);
  if (!e.value) return;
  await kv.atomic().delete(["sessions", id]).delete(["user_sessions", e.value.user, id]).commit();
  db.changes.emit({ kind: "session", user: e.value.user, op: "delete" });
}

export interface SessionInfo extends Session {
  id: string;
}

/** All live sessions (optionally of one user); `id` is the SHA-256 of the cookie token. Unordered. */
export async function listSessions(db: Store, user?: string): Promise<SessionInfo[]> {
  const kv = db.kv;
  const out: SessionInfo[] = [];
  const now = Date.now();
  for await (const e of kv.list({ prefix: user ? ["user_sessions", user] : ["user_sessions"] })) {
    const id = e.key[2] as string;
    const s = (await kv.get<Session>(["sessions", id])).value;
    if (s && s.expiresAt > now) out.push({ ...s, id });
  }
  return out;
}

/** Ends one session by id; null when it does not exist. */
export async function revokeSessionById(
  db: Store,
  id: string,
  audit?: AuditInput,
): Promise<Session | null> {
  const kv = db.kv;
  if (!/^[0-9a-f]{64}$/.test(id)) return null;
  const e = await kv.get<Session>(["sessions", id]);
  if (!e.value) return null;
  const op = kv.atomic().check(e).delete(["sessions", id]).delete(["user_sessions", e.value.user, id]);
  const res = await withAudit(op, audit).commit();
  if (!res.ok) return null;
  db.changes.emit({ kind: "session", user: e.value.user, op: "delete" });
  return e.value;
}

/** The id under which a cookie token's session is stored. */
export function sessionIdOf(token: string): Promise<string> {
  return sha256Hex(token);
}

/** The KV id of a session cookie token (its SHA-256), or undefined without a token. */
export async function sessionId(token: string | undefined): Promise<string | undefined> {
  return token && token.length <= 128 ? await sha256Hex(token) : undefined;
}
