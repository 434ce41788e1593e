// Simulated LL-HLS viewers for fault tests: each polls the playlists through livegate with its own session
// cookie like a player does, downloads every new segment, and on any error waits and starts over from the
// multivariant playlist (as hls.js/the player does). A viewer is "stuck" when it gets no new media after
// the stream is back.
import { join } from "node:path";
import { createSession } from "../../src/store/sessions.ts";
import { KV_FILE, storeOf } from "../../src/store/kv.ts";
import { type Livegate, startLivegate } from "../e2e/harness.ts";

export class SimViewer {
  lastMediaAt = 0;
  segments = 0;
  /** When each new segment arrived. */
  mediaTimes: number[] = [];
  statuses = new Map<number, number>();
  #seen = new Set<string>();

  constructor(readonly base: string, readonly cookie: string, readonly path = "live") {}

  async #get(url: string, signal: AbortSignal): Promise<Response> {
    const res = await fetch(this.base + url, { headers: { cookie: this.cookie }, signal });
    this.statuses.set(res.status, (this.statuses.get(res.status) ?? 0) + 1);
    return res;
  }

  async run(signal: AbortSignal, pollMs = 1000): Promise<void> {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // Spread the viewers out so they do not all poll in the same millisecond.
    await sleep(Math.random() * pollMs);
    let variant = "";
    while (!signal.aborted) {
      try {
        if (!variant) {
          const res = await this.#get(`/hls/${this.path}/index.m3u8`, signal);
          const text = await res.text();
          if (res.status !== 200) throw new Error(`multivariant ${res.status}`);
          variant = text.split("\n").find((l) => l.endsWith(".m3u8") && !l.startsWith("#")) ?? "";
          if (!variant) throw new Error("no variant");
        }
        const res = await this.#get(`/hls/${this.path}/${variant}`, signal);
        const text = await res.text();
        if (res.status !== 200) throw new Error(`variant ${res.status}`);
        const segs = text.split("\n").filter((l) => l && !l.startsWith("#"));
        const last = segs.at(-1);
        if (last && !this.#seen.has(last)) {
          const seg = await this.#get(`/hls/${this.path}/${last}`, signal);
          const body = new Uint8Array(await seg.arrayBuffer());
          if (seg.status === 200 && body.length > 0) {
            this.#seen.add(last);
            this.segments++;
            this.lastMediaAt = Date.now();
            this.mediaTimes.push(this.lastMediaAt);
          } else throw new Error(`segment ${seg.status}`);
        }
        await sleep(pollMs);
      } catch {
        if (signal.aborted) return;
        variant = ""; // start over, like a player after an error
        await sleep(pollMs);
      }
    }
  }
}

/**
 * Login sessions for many simulated viewers, written straight into livegate's KV file (another process
 * may open the same Deno KV database). Logging in 200 times through the form would spend most of the test
 * in PBKDF2; the form login itself is covered by the other tests.
 */
export async function makeSessions(dataDir: string, user: string, n: number): Promise<string[]> {
  const kv = storeOf(await Deno.openKv(join(dataDir, KV_FILE)));
  try {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await createSession(kv, user, 3600));
    return out;
  } finally {
    kv.kv.close();
  }
}

/** The pid of the MediaMTX livegate started last, from its log line. */
export function mediamtxPid(logs: string[]): number {
  for (let i = logs.length - 1; i >= 0; i--) {
    const m = /\[livegate\] MediaMTX started \(pid (\d+)\)/.exec(logs[i]);
    if (m) return Number(m[1]);
  }
  throw new Error("no 'MediaMTX started' line in livegate's log");
}

/** Resumed: at least `min` new segments arrived after `since`. */
export function summarize(viewers: SimViewer[], since: number, min = 1) {
  const resumed = viewers.filter((v) => v.mediaTimes.filter((t) => t > since).length >= min);
  const statuses: Record<number, number> = {};
  for (const v of viewers) for (const [s, n] of v.statuses) statuses[s] = (statuses[s] ?? 0) + n;
  return { resumed: resumed.length, stuck: viewers.length - resumed.length, statuses };
}

/** Stops livegate without deleting its data dir and starts it again with the same settings and ports. */
export async function restartLivegate(lg: Livegate): Promise<Livegate> {
  lg.proc.kill("SIGTERM");
  await lg.proc.status;
  const next = await startLivegate(lg.env);
  const scratch = next.dataDir; // startLivegate made a temp dir it does not use: LIVEGATE_DATA_DIR wins
  return {
    ...next,
    // startLivegate reports the ports it picked, but the env (the old ports) wins.
    url: lg.url,
    rtmpPort: lg.rtmpPort,
    dataDir: lg.dataDir,
    async stop() {
      await next.stop();
      await Deno.remove(lg.dataDir, { recursive: true }).catch(() => {});
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
    },
  };
}
