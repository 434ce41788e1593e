// MediaMTX asks livegate's hook only when a publish starts; a publish it allowed then goes on even when
// what allowed it ends: the stream key revoked, its owner deleted, disabled or demoted, the stream deleted
// or given to another owner, whether through the API, the CLI in another process or a restored backup.
// So the hook remembers what allowed each publish (MediaMTX's connection id -> the key's hash, or the user
// of a browser publish ticket), and livegate checks every live publisher again with the rules of
// the door (access.ts publishGrant) against the store as it is now: every RECHECK_MS, and soon after the
// store announces a change (PublishLedger.nudge, from src/app/invalidation.ts). A publisher no longer
// allowed is kicked; OBS and ffmpeg then retry and are refused by the hook.
import type { Clock } from "../core/clock.ts";
import { sha256Hex } from "../core/crypto.ts";
import type { Log } from "../core/log.ts";
import { startRecheckLoop } from "../core/recheck-loop.ts";
import type { PublishGrant } from "./hook.ts";
import type { Access, Allowance } from "./access.ts";

export type { Allowance };

export const RECHECK_MS = 5000;
/** After a nudge (a change through livegate), the recheck runs this soon (changes in bursts share one). */
const NUDGE_MS = 300;
/** A recorded publish that never shows up as its path's source (refused by MediaMTX: path busy) is
 * forgotten after this long. */
const GRACE_MS = 30_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  path: string;
  allowance: Allowance;
  at: number;
}

export class PublishLedger {
  #m = new Map<string, Entry>();
  /** Set by the running recheck loop: asks it for a run soon. */
  onNudge: (() => void) | undefined;

  /** Asks for a recheck soon: something that allowed a publish may have changed. */
  nudge(): void {
    this.onNudge?.();
  }

  /** Remembers what allowed MediaMTX connection `id` to publish to `path`. */
  async record(id: string, path: string, grant: PublishGrant, now = Date.now()): Promise<void> {
    const allowance: Allowance = "key" in grant
      ? { keyHash: await sha256Hex(grant.key) }
      : { user: grant.user };
    this.#m.delete(id);
    if (this.#m.size >= MAX_ENTRIES) this.#m.delete(this.#m.keys().next().value!);
    this.#m.set(id, { path, allowance, at: now });
  }

  entries(): [string, Entry][] {
    return [...this.#m];
  }

  drop(id: string): void {
    this.#m.delete(id);
  }

  get size(): number {
    return this.#m.size;
  }
}

export interface LiveSource {
  path: string;
  type: string;
  id: string;
}

export interface RecheckDeps {
  ledger: PublishLedger;
  /** Whether a running publish is still allowed (the door: Access.publishGrant). */
  grant(path: string, allowance: Allowance): Promise<{ allow: boolean; reason: string }>;
  /** Forgets the hook's cached publish decisions, so a reconnect meets the full check. */
  clearPublishCache(): void;
  /** Publishers MediaMTX has now. */
  live(): Promise<LiveSource[]>;
  /** Ends one; false when it was already gone. */
  kick(src: LiveSource): Promise<boolean>;
  log(line: string): void;
  now?: () => number;
}

export interface Ended {
  path: string;
  id: string;
  reason: string;
}

/** One recheck: kicks each live publisher whose allowance no longer holds; returns those ended. */
export async function recheckPublishes(deps: RecheckDeps): Promise<Ended[]> {
  const ledger = deps.ledger;
  if (!ledger.size) return [];
  const now = (deps.now ?? Date.now)();
  const live = new Map((await deps.live()).map((s) => [s.id, s]));
  const ended: Ended[] = [];
  for (const [id, e] of ledger.entries()) {
    const src = live.get(id);
    if (!src || src.path !== e.path) {
      if (now - e.at > GRACE_MS) ledger.drop(id);
      continue;
    }
    const d = await deps.grant(e.path, e.allowance);
    if (d.allow) continue;
    ledger.drop(id);
    // A reconnect must meet the hook's full check, not a decision it reused (publish-cache.ts).
    deps.clearPublishCache();
    if (await deps.kick(src).catch(() => false)) {
      deps.log(`[livegate] ended the publish to '${e.path}' (${src.type} ${id}): ${d.reason}`);
      ended.push({ path: e.path, id, reason: d.reason });
    }
  }
  return ended;
}

/** Runs recheckPublishes every RECHECK_MS and soon after each nudge, until stop(). */
export function startPublishRecheck(
  deps: {
    ledger: PublishLedger;
    access: Pick<Access, "publishGrant" | "publishCache">;
    /** Publishers MediaMTX has now (from the live-state poller). */
    live(): Promise<LiveSource[]>;
    kick(src: LiveSource): Promise<boolean>;
    clock: Clock;
  },
  log: Log,
  intervalMs = RECHECK_MS,
) {
  const ledger = deps.ledger;
  const rd: RecheckDeps = {
    ledger,
    grant: (path, allowance) => deps.access.publishGrant(path, allowance),
    clearPublishCache: () => deps.access.publishCache.clear(),
    live: deps.live,
    kick: deps.kick,
    log,
    now: () => deps.clock.now(),
  };
  // MediaMTX down or restarting: nothing is published then; the next run tries again.
  const loop = startRecheckLoop(() => recheckPublishes(rd), intervalMs, NUDGE_MS);
  ledger.onNudge = loop.nudge;
  return {
    async stop() {
      ledger.onNudge = undefined;
      await loop.stop();
    },
  };
}
