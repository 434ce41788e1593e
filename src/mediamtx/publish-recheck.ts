// MediaMTX asks livegate's hook only when a publish starts; a publish it allowed then goes on even when
// what allowed it ends: the stream key revoked, its owner deleted, disabled or demoted, the stream deleted
// or given to another owner, whether through the API, the CLI in another process or a restored backup.
// So the hook remembers what allowed each publish (MediaMTX's connection id -> the key's hash, or the user
// of a browser publish ticket), and livegate checks every live publisher again with the rules of
// permissions.ts against the store as it is now: every RECHECK_MS, and soon after any change made through
// livegate (nudgePublishRecheck). A publisher no longer allowed is kicked; OBS and ffmpeg then retry and
// are refused by the hook.
import { sha256Hex } from "../auth/bytes.ts";
import type { PublishGrant } from "../auth/hook.ts";
import { grantRule } from "../auth/permissions.ts";
import { clearPublishCache } from "../auth/publish-cache.ts";
import { kickSource, livePaths } from "./live.ts";
import type { AppDeps } from "../http/context.ts";

export const RECHECK_MS = 5000;
/** After a nudge (a change through livegate), the recheck runs this soon (changes in bursts share one). */
const NUDGE_MS = 300;
/** A recorded publish that never shows up as its path's source (refused by MediaMTX: path busy) is
 * forgotten after this long. */
const GRACE_MS = 30_000;
const MAX_ENTRIES = 10_000;

/** What allowed a running publish, as remembered: a key only by its hash. */
export type Allowance = { keyHash: string } | { user: string };

interface Entry {
  path: string;
  allowance: Allowance;
  at: number;
}

export class PublishLedger {
  #m = new Map<string, Entry>();
  /** Set by the running recheck loop: asks it for a run soon. */
  onNudge: (() => void) | undefined;

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

const ledgers = new WeakMap<Deno.Kv, PublishLedger>();

/** The ledger of the server using this store. */
export function publishLedger(kv: Deno.Kv): PublishLedger {
  let l = ledgers.get(kv);
  if (!l) ledgers.set(kv, l = new PublishLedger());
  return l;
}

/** Asks for a recheck soon: something may have changed (a state-changing request through livegate). */
export function nudgePublishRecheck(kv: Deno.Kv): void {
  ledgers.get(kv)?.onNudge?.();
}

export interface LiveSource {
  path: string;
  type: string;
  id: string;
}

export interface RecheckDeps {
  kv: Deno.Kv;
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
  const ledger = publishLedger(deps.kv);
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
    const d = await grantRule(deps.kv, e.path, e.allowance);
    if (d.allow) continue;
    ledger.drop(id);
    // A reconnect must meet the hook's full check, not a decision it reused (publish-cache.ts).
    clearPublishCache(deps.kv);
    if (await deps.kick(src).catch(() => false)) {
      deps.log(`[livegate] ended the publish to '${e.path}' (${src.type} ${id}): ${d.reason}`);
      ended.push({ path: e.path, id, reason: d.reason });
    }
  }
  return ended;
}

/** Runs recheckPublishes every RECHECK_MS and soon after each nudge, until stop(). */
export function startPublishRecheck(
  deps: Pick<AppDeps, "kv" | "cfg" | "secrets">,
  log: (line: string) => void,
  intervalMs = RECHECK_MS,
) {
  const ledger = publishLedger(deps.kv);
  const rd: RecheckDeps = {
    kv: deps.kv,
    live: async () =>
      (await livePaths(deps)).flatMap((p) =>
        p.source ? [{ path: p.name, type: p.source.type, id: p.source.id }] : []
      ),
    kick: async (src) => (await kickSource(deps, src)) !== null,
    log,
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let dueAt = Infinity;
  let running: Promise<void> | undefined;
  let stopped = false;
  // Runs in `ms` unless a run is already due sooner (so a stream of nudges cannot put it off).
  const schedule = (ms: number) => {
    const at = Date.now() + ms;
    if (stopped || (timer !== undefined && at >= dueAt)) return;
    clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(() => {
      timer = undefined;
      dueAt = Infinity;
      tick();
    }, ms);
  };
  const tick = () => {
    if (running) return schedule(NUDGE_MS);
    // MediaMTX down or restarting: nothing is published then; the next tick tries again.
    running = recheckPublishes(rd).then(() => {}, () => {}).finally(() => {
      running = undefined;
      schedule(intervalMs);
    });
  };
  ledger.onNudge = () => schedule(NUDGE_MS);
  schedule(intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      ledger.onNudge = undefined;
      await running;
    },
  };
}
