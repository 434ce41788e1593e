// Access taken away must end everywhere, not only at the next HLS request. A WebRTC (WHEP) reader is a
// MediaMTX session that livegate let start and never sees again, and a recording download is one long
// response: neither asks again by itself. So each of them is remembered here with who started it (the
// login session's id, the share token, the user), and checked again by the door (access.ts) against the
// store as it is now: every RECHECK_MS, and soon after the store announces a change (ReaderLedger.nudge,
// from src/app/invalidation.ts). A reader no longer allowed is ended: its MediaMTX session kicked, or its
// download aborted. The same record says who may control a WHEP/WHIP session (PATCH, DELETE): only the
// credential that created it.
import type { Clock } from "../core/clock.ts";
import type { Log } from "../core/log.ts";
import { startRecheckLoop } from "../core/recheck-loop.ts";
import type { Store } from "../store/kv.ts";
import { getSessionById } from "../store/sessions.ts";
import { getUser } from "../store/users.ts";
import type { Access, Action, Actor } from "./access.ts";

/** How often every reader is checked again (ms); a change announced through livegate: within NUDGE_MS. */
export const RECHECK_MS = 2000;
const NUDGE_MS = 200;
const MAX_ENTRIES = 50_000;

/**
 * Who started a reader: the login session's id (SHA-256 of its cookie; absent without a login), a share
 * token, or a stream key's SHA-256 (WHIP from OBS). `anonymous` marks a reader started without any
 * credential (a public stream).
 */
export interface Starter {
  sessionId?: string;
  share?: string;
  keyHash?: string;
  /** The client's address: what binds a reader started without any credential (public streams). */
  ip?: string;
}

export interface Reader {
  /** "whep"/"whip": a MediaMTX WebRTC session; "recording": a download in progress. */
  kind: "whep" | "whip" | "recording";
  path: string;
  starter: Starter;
  /** What the reader must still be allowed (watch for WHEP, recordings for downloads). */
  action: Action;
  /** Ends the reader (kicks the MediaMTX session, aborts the download). */
  end(reason: string): Promise<boolean>;
  /** MediaMTX's id of a WebRTC session (its API id, the ID header of the 201), to notice it ended. */
  mtxId?: string;
  at: number;
}

/** The starter of a request: its session id, share token, or key hash (compared in full, never logged). */
export function sameStarter(a: Starter, b: Starter): boolean {
  const anonymous = !a.sessionId && !a.share && !a.keyHash;
  return (a.sessionId ?? "") === (b.sessionId ?? "") && (a.share ?? "") === (b.share ?? "") &&
    (a.keyHash ?? "") === (b.keyHash ?? "") && (!anonymous || (a.ip ?? "") === (b.ip ?? ""));
}

export class ReaderLedger {
  #m = new Map<string, Reader>();
  onNudge: (() => void) | undefined;

  /** Remembers reader `id` (a WHEP/WHIP session's Location secret, or a download's own id). */
  add(id: string, r: Reader): void {
    this.#m.delete(id);
    if (this.#m.size >= MAX_ENTRIES) this.#m.delete(this.#m.keys().next().value!);
    this.#m.set(id, r);
  }

  get(id: string): Reader | undefined {
    return this.#m.get(id);
  }

  drop(id: string): void {
    this.#m.delete(id);
  }

  entries(): [string, Reader][] {
    return [...this.#m];
  }

  get size(): number {
    return this.#m.size;
  }

  /** Asks for a recheck soon (something that allowed a reader may have changed). */
  nudge(): void {
    this.onNudge?.();
  }
}

/**
 * The actor a viewer's starter is now: its session's user if the session still exists and the user is
 * active, with its share token. (Publishers, started by a key, are the publish recheck's.)
 */
export async function actorNow(store: Store, s: Starter, now: number): Promise<Actor> {
  let user = null;
  if (s.sessionId) {
    const session = await getSessionById(store, s.sessionId, now);
    const u = session ? await getUser(store, session.user) : null;
    if (u && !u.disabled) user = u;
  }
  if (s.share) return { kind: "share", token: s.share, user };
  return user ? { kind: "user", user } : { kind: "anonymous" };
}

export interface ReaderEnded {
  id: string;
  kind: Reader["kind"];
  path: string;
  reason: string;
}

/** A WebRTC session whose MediaMTX session is gone is forgotten after this long (ms). */
const GRACE_MS = 30_000;

/** One recheck: ends each reader the door no longer allows; returns those ended. */
export async function recheckReaders(deps: {
  ledger: ReaderLedger;
  store: Store;
  access: Pick<Access, "authorize">;
  clock: Clock;
  log: Log;
  /** MediaMTX's WebRTC session ids now (undefined: unknown, e.g. MediaMTX unreachable). */
  webrtcSessions?: () => Promise<Set<string> | undefined>;
}): Promise<ReaderEnded[]> {
  const ended: ReaderEnded[] = [];
  const now = deps.clock.now();
  const live = await deps.webrtcSessions?.().catch(() => undefined);
  for (const [id, r] of deps.ledger.entries()) {
    if (r.mtxId && live && !live.has(r.mtxId) && now - r.at > GRACE_MS) {
      deps.ledger.drop(id); // the session ended by itself
      continue;
    }
    if (r.kind === "whip") continue; // publishers: the publish recheck (publish-recheck.ts)
    const actor = await actorNow(deps.store, r.starter, now);
    const d = await deps.access.authorize({ actor, action: r.action, path: r.path });
    if (d.allow) continue;
    deps.ledger.drop(id);
    if (await r.end(d.reason).catch(() => false)) {
      deps.log(
        `[livegate] ended a ${
          r.kind === "recording" ? "recording download" : "WebRTC reader"
        } of '${r.path}': ${d.reason}`,
      );
      ended.push({ id, kind: r.kind, path: r.path, reason: d.reason });
    }
  }
  return ended;
}

/** Runs recheckReaders every RECHECK_MS and soon after each nudge, until stop(). */
export function startReaderRecheck(
  deps: Parameters<typeof recheckReaders>[0],
  intervalMs = RECHECK_MS,
) {
  const loop = startRecheckLoop(
    () => deps.ledger.size ? recheckReaders(deps) : Promise.resolve(),
    intervalMs,
    NUDGE_MS,
  );
  deps.ledger.onNudge = loop.nudge;
  return {
    async stop() {
      deps.ledger.onNudge = undefined;
      await loop.stop();
    },
  };
}
