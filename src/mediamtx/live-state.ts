// What MediaMTX has live, from one poller of its path list: the live list of the home page and dashboard,
// the recheck of running publishes, the stream metrics and the webhooks' start/stop events all read this
// instead of each polling MediaMTX themselves. get(maxAgeMs) answers from the latest snapshot when it is
// fresh enough and otherwise polls once for all concurrent callers; start() keeps a snapshot coming every
// interval and hands each to the subscribers (src/events/stream-watch.ts).
import type { Clock } from "../core/clock.ts";
import type { LivePath, MtxClient } from "./client.ts";

export interface Snapshot {
  /** When the poll started (ms, the clock's time). */
  at: number;
  paths: LivePath[];
}

export class LiveState {
  #latest: Snapshot | undefined;
  #inflight: Promise<Snapshot> | undefined;
  #subs = new Set<(s: Snapshot) => void>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #loop: Promise<void> | undefined;
  #stopped = true;
  /** Whether the latest poll reached MediaMTX's API. */
  reachable = false;

  constructor(private readonly mtx: Pick<MtxClient, "paths">, private readonly clock: Clock) {}

  /** The latest successful snapshot (undefined before the first), without polling. */
  get latest(): Snapshot | undefined {
    return this.#latest;
  }

  /**
   * The paths MediaMTX has, at most `maxAgeMs` old (0: a poll started now or later). Concurrent callers
   * share one poll. Throws MtxError when MediaMTX cannot be reached.
   */
  async get(maxAgeMs = 1000): Promise<LivePath[]> {
    const l = this.#latest;
    if (l && this.clock.now() - l.at <= maxAgeMs) return l.paths;
    return (await this.poll()).paths;
  }

  /** Polls now (or joins the poll in flight); subscribers get the snapshot. Throws MtxError. */
  poll(): Promise<Snapshot> {
    if (!this.#inflight) {
      const at = this.clock.now();
      this.#inflight = this.mtx.paths().then((paths) => {
        this.reachable = true;
        const snap = { at, paths };
        if (!this.#latest || this.#latest.at <= at) this.#latest = snap;
        for (const fn of this.#subs) fn(snap);
        return snap;
      }, (e) => {
        this.reachable = false;
        throw e;
      }).finally(() => this.#inflight = undefined);
    }
    return this.#inflight;
  }

  /** Calls `fn` with every successful snapshot; returns the function that unsubscribes it. */
  subscribe(fn: (s: Snapshot) => void): () => void {
    this.#subs.add(fn);
    return () => this.#subs.delete(fn);
  }

  /** Polls every `intervalMs` until stop() (MediaMTX down: the next poll tries again). */
  start(intervalMs = 2000): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const tick = () => {
      if (this.#stopped) return;
      this.#loop = this.poll().then(() => {}, () => {}).finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, intervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#loop;
  }
}
