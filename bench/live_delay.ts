// The live-edge delay probes and the pinned load generator shared by bench/edge.ts and bench/workers.ts:
// two probes in this process follow the video track at the same time, one through a target (livegate's
// /hls, an edge), one straight from MediaMTX; per part, arrival through the target minus arrival direct.
// The load generator (edge_load.ts, viewers.ts) runs as its own process pinned to core 1 (`taskset -c 1`).
import { join } from "node:path";
import { ROOT } from "../tests/e2e/harness.ts";
import { parseMediaPlaylist, type ViewerStats } from "./viewers.ts";
import { type Dist, dist } from "./stats.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Follows the video track like an LL-HLS player; records when each part's last byte arrived. */
export async function follow(
  base: string,
  headers: Record<string, string>,
  until: number,
  at: Map<string, number>,
) {
  let playlist = "";
  while (!playlist && Date.now() < until) {
    const r = await fetch(`${base}/index.m3u8`, { headers }).catch(() => null);
    const text = r ? await r.text() : "";
    playlist = /^(\S+\.m3u8)$/m.exec(text)?.[1] ?? "";
    if (!playlist) await sleep(300);
  }
  let last: { msn: number; idx: number } | null = null;
  let complete = -1;
  while (Date.now() < until) {
    let q = "";
    if (last) {
      const n = last.msn <= complete ? { msn: last.msn + 1, idx: 0 } : { msn: last.msn, idx: last.idx + 1 };
      q = `?_HLS_msn=${n.msn}&_HLS_part=${n.idx}`;
    }
    try {
      const r = await fetch(`${base}/${playlist}${q}`, { headers, signal: AbortSignal.timeout(10_000) });
      if (r.status !== 200) throw new Error(`playlist ${r.status}`);
      const pl = parseMediaPlaylist(await r.text());
      complete = pl.lastComplete;
      const l: { msn: number; idx: number } | null = last;
      const todo: ReturnType<typeof parseMediaPlaylist>["parts"] = !l
        ? pl.parts.slice(-1)
        : pl.parts.filter((p) => p.msn > l.msn || (p.msn === l.msn && p.idx > l.idx));
      for (const p of todo) {
        const pr = await fetch(`${base}/${p.uri}`, { headers, signal: AbortSignal.timeout(10_000) });
        if (pr.status !== 200) throw new Error(`part ${pr.status}`);
        await pr.arrayBuffer();
        at.set(p.uri, performance.now());
        last = { msn: p.msn, idx: p.idx };
      }
    } catch {
      last = null;
      await sleep(300);
    }
  }
}

/** Per part: arrival through `target` minus arrival direct from MediaMTX, ms (parts seen by both). */
export async function addedDelay(
  target: { base: string; headers: Record<string, string> },
  direct: { base: string; headers: Record<string, string> },
  ms: number,
): Promise<Dist | null> {
  const until = Date.now() + ms;
  const a = new Map<string, number>();
  const b = new Map<string, number>();
  await Promise.all([
    follow(target.base, target.headers, until, a),
    follow(direct.base, direct.headers, until, b),
  ]);
  const d: number[] = [];
  for (const [uri, t] of a) {
    const u = b.get(uri);
    if (u !== undefined) d.push(t - u);
  }
  return dist(d.slice(5)); // the first parts: both probes still joining
}

export async function requestsTotal(url: string, token: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } }))
    .text();
  let n = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("livegate_http_requests_total{")) n += Number(line.split(" ").pop());
  }
  return n;
}

/** Starts the pinned load generator: a viewer per cookie over `bases`; its pid and merged stats. */
export function load(bases: string[], cookies: string[], seconds: number, ramp: number) {
  const job = Deno.makeTempFileSync({ suffix: ".json" });
  Deno.writeTextFileSync(job, JSON.stringify({ bases, cookies, seconds, ramp }));
  const proc = new Deno.Command("taskset", {
    args: ["-c", "1", Deno.execPath(), "run", "-A", join(ROOT, "bench", "edge_load.ts"), job],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const done = proc.output().then((o) => {
    Deno.removeSync(job);
    const line = new TextDecoder().decode(o.stdout).trim().split("\n").pop() ?? "";
    return JSON.parse(line) as ViewerStats;
  });
  return { pid: proc.pid, done };
}
