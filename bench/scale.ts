// Viewer scale: N simulated LL-HLS viewers (viewers.ts) through livegate, each with its own session,
// while CPU and RSS of livegate, MediaMTX and the load generator itself are sampled.
import { loadConfig } from "../src/config/config.ts";
import { openStore } from "../src/store/kv.ts";
import { createSession } from "../src/store/sessions.ts";
import type { Rig } from "./rig.ts";
import { runViewers, type ViewerStats } from "./viewers.ts";
import { sampler } from "./procstat.ts";
import { type MemorySample, memorySampler } from "./memory.ts";

export interface ScaleRow extends ViewerStats {
  seconds: number;
  proc: Record<string, { cpuAvg: number; cpuMax: number; rssMax: number; rssEnd: number }>;
  /** livegate's memory at its highest RSS sample. */
  memory: MemorySample | null;
}

/** N fresh login sessions, written to livegate's KV the way a form login writes them (same lifetime). */
export async function makeSessions(rig: Rig, n: number): Promise<string[]> {
  const ttl = loadConfig(rig.lg.env).sessionTtlSeconds;
  const kv = await openStore(rig.lg.dataDir);
  try {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(`lg_session=${await createSession(kv, "admin", ttl)}`);
    return out;
  } finally {
    kv.close();
  }
}

export async function scale(rig: Rig, n: number, seconds: number, rampSeconds: number): Promise<ScaleRow> {
  const cookies = await makeSessions(rig, n);
  const s = sampler({ livegate: rig.lg.proc.pid, mediamtx: rig.mtx.pid, "load generator": Deno.pid });
  const mem = memorySampler(rig.lg.proc.pid, `${rig.lg.url}/metrics`, rig.metricsToken);
  const stats = await runViewers(`${rig.lg.url}/hls/live`, cookies, seconds, rampSeconds);
  return { ...stats, seconds, proc: s.stop(), memory: mem.stop() };
}
