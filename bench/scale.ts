// Viewer scale: N simulated LL-HLS viewers (viewers.ts) through livegate, each with its own session,
// while CPU and RSS of livegate, MediaMTX and the load generator itself are sampled. `bareScale` runs the
// same load through bare_proxy.ts (Deno.serve and livegate's upstream sharing, nothing else): the floor
// livegate's figures are compared with.
import { dirname, join } from "node:path";
import { forEachLine } from "../src/mediamtx/lines.ts";
import { V8_FLAGS_ARG } from "../src/runtime/v8-flags.ts";
import { stopProc } from "../tests/e2e/harness.ts";
import { loadConfig } from "../src/config/config.ts";
import { openStore } from "../src/store/kv.ts";
import { createSession } from "../src/store/sessions.ts";
import type { Rig } from "./rig.ts";
import { runViewers, type ViewerStats } from "./viewers.ts";
import { sampler } from "./procstat.ts";
import { type MemorySample, memorySampler } from "./memory.ts";

export interface ScaleRow extends ViewerStats {
  seconds: number;
  /** "server" (livegate or the bare proxy), "mediamtx", "load generator". */
  proc: Record<string, { cpuAvg: number; cpuMax: number; rssMax: number; rssEnd: number }>;
  /** The server's memory at its highest RSS sample. */
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
    kv.kv.close();
  }
}

interface Target {
  pid: number;
  /** Base URL; viewers fetch <url>/hls/live/... */
  url: string;
  metricsToken: string;
}

async function measure(
  rig: Rig,
  t: Target,
  cookies: string[],
  seconds: number,
  rampSeconds: number,
): Promise<ScaleRow> {
  const s = sampler({ server: t.pid, mediamtx: rig.mtx.pid, "load generator": Deno.pid });
  const mem = memorySampler(t.pid, `${t.url}/metrics`, t.metricsToken);
  const stats = await runViewers(`${t.url}/hls/live`, cookies, seconds, rampSeconds);
  return { ...stats, seconds, proc: s.stop(), memory: mem.stop() };
}

/** N viewers through livegate, each logged in. */
export async function scale(rig: Rig, n: number, seconds: number, rampSeconds: number): Promise<ScaleRow> {
  const cookies = await makeSessions(rig, n);
  return await measure(
    rig,
    { pid: rig.lg.proc.pid, url: rig.lg.url, metricsToken: rig.metricsToken },
    cookies,
    seconds,
    rampSeconds,
  );
}

/** N viewers through bare_proxy.ts, started with livegate's V8 flags in front of the same MediaMTX. */
export async function bareScale(
  rig: Rig,
  n: number,
  seconds: number,
  rampSeconds: number,
): Promise<ScaleRow> {
  const proc = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      V8_FLAGS_ARG,
      join(dirname(new URL(import.meta.url).pathname), "bare_proxy.ts"),
      rig.mtxHls,
    ],
    env: { BARE_CDN_SECRET: rig.secrets.cdn },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  forEachLine(proc.stderr, (line) => console.error(`bare proxy| ${line}`));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      forEachLine(proc.stdout, (line) => {
        const m = /^listening (\d+)$/.exec(line);
        if (m) resolve(Number(m[1]));
      }).then(() => reject(new Error("bare_proxy.ts exited before listening")));
    });
    const cookies = Array.from({ length: n }, () => "x=1");
    return await measure(
      rig,
      { pid: proc.pid, url: `http://127.0.0.1:${port}`, metricsToken: "" },
      cookies,
      seconds,
      rampSeconds,
    );
  } finally {
    await stopProc(proc);
  }
}
