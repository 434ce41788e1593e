// Proxy cost: the same HLS segment and part fetched with wrk through livegate (session cookie checked on
// every request), straight from MediaMTX (CDN bearer header) and through nginx proxy_pass in front of the
// same MediaMTX. Each round runs the three targets back to back, in rotating order, on a freshly picked
// segment/part (MediaMTX keeps a segment ~7 s); the table reports medians over rounds.
import type { Rig } from "./rig.ts";
import { wrk, type WrkResult } from "./wrk.ts";
import { median } from "./stats.ts";

export type Target = "direct" | "nginx" | "livegate";
export const TARGETS: Target[] = ["direct", "nginx", "livegate"];

export interface ProxyRow {
  file: "segment" | "part";
  bytes: number;
  target: Target;
  /** Throughput run (many connections): median over rounds. */
  rps: number;
  mbps: number;
  loadP50: number;
  loadP99: number;
  /** Latency run (one connection, one request at a time): median over rounds. */
  p50: number;
  p99: number;
  errors: number;
}

async function latestFiles(
  rig: Rig,
): Promise<{ segment: string; part: string; sizes: Record<string, number> }> {
  const h = { authorization: `Bearer ${rig.secrets.cdn}` };
  const main = await (await fetch(`${rig.mtxHls}/live/index.m3u8`, { headers: h })).text();
  const video = /^(\S*video\S*\.m3u8)$/m.exec(main)?.[1];
  if (!video) throw new Error(`no video playlist in:\n${main}`);
  const pl = await (await fetch(`${rig.mtxHls}/live/${video}`, { headers: h })).text();
  const segs = [...pl.matchAll(/^(\S+_seg\d+\.mp4)$/gm)].map((m) => m[1]);
  // Parts that do not start with a key frame, so they are alike in size.
  const parts = [...pl.matchAll(/#EXT-X-PART:([^\n]*)/g)].filter((m) => !m[1].includes("INDEPENDENT=YES"))
    .map((m) => /URI="([^"]+)"/.exec(m[1])![1]);
  if (!segs.length || parts.length < 2) throw new Error(`playlist has no segments/parts:\n${pl}`);
  const segment = segs[segs.length - 1];
  const part = parts[parts.length - 1];
  const sizes: Record<string, number> = {};
  for (const f of [segment, part]) {
    const r = await fetch(`${rig.mtxHls}/live/${f}`, { headers: h });
    sizes[f] = (await r.arrayBuffer()).byteLength;
  }
  return { segment, part, sizes };
}

export function targetUrl(
  rig: Rig,
  t: Target,
  file: string,
): { url: string; headers: Record<string, string> } {
  if (t === "direct") {
    return { url: `${rig.mtxHls}/live/${file}`, headers: { authorization: `Bearer ${rig.secrets.cdn}` } };
  }
  if (t === "nginx") return { url: `${rig.nginx}/live/${file}`, headers: {} };
  return { url: `${rig.lg.url}/hls/live/${file}`, headers: { cookie: rig.cookie } };
}

export async function proxyCost(
  rig: Rig,
  o: { rounds: number; seconds: number; connections: number },
  log: (s: string) => void,
): Promise<ProxyRow[]> {
  const runs = new Map<string, { load: WrkResult[]; lat: WrkResult[]; bytes: number[] }>();
  for (let round = 0; round < o.rounds; round++) {
    const order = TARGETS.map((_, i) => TARGETS[(i + round) % TARGETS.length]);
    for (const kind of ["segment", "part"] as const) {
      for (const t of order) {
        // A fresh file for every wrk run: MediaMTX drops a segment about 7 s after it completes.
        const pick = async () => {
          const files = await latestFiles(rig);
          return { ...targetUrl(rig, t, files[kind]), bytes: files.sizes[files[kind]] };
        };
        let p = await pick();
        const load = await wrk(p.url, { connections: o.connections, seconds: o.seconds, headers: p.headers });
        const bytes = [p.bytes];
        p = await pick();
        bytes.push(p.bytes);
        const lat = await wrk(p.url, { connections: 1, seconds: Math.min(o.seconds, 3), headers: p.headers });
        const key = `${kind}|${t}`;
        const e = runs.get(key) ?? { load: [], lat: [], bytes: [] };
        e.load.push(load);
        e.lat.push(lat);
        e.bytes.push(...bytes);
        runs.set(key, e);
        log(
          `  proxy ${kind} ${t} round ${round + 1}: ${load.rps.toFixed(0)} req/s, c=1 p50 ${
            lat.p50.toFixed(3)
          } ms` +
            (load.non2xx + lat.non2xx ? `, non-2xx ${load.non2xx + lat.non2xx}` : ""),
        );
      }
    }
  }
  const rows: ProxyRow[] = [];
  for (const kind of ["segment", "part"] as const) {
    for (const t of TARGETS) {
      const e = runs.get(`${kind}|${t}`)!;
      rows.push({
        file: kind,
        bytes: Math.round(median(e.bytes)),
        target: t,
        rps: median(e.load.map((r) => r.rps)),
        mbps: median(e.load.map((r) => r.bytesPerSec * 8 / 1e6)),
        loadP50: median(e.load.map((r) => r.p50)),
        loadP99: median(e.load.map((r) => r.p99)),
        p50: median(e.lat.map((r) => r.p50)),
        p99: median(e.lat.map((r) => r.p99)),
        errors: [...e.load, ...e.lat].reduce((a, r) => a + r.non2xx + r.socketErrors, 0),
      });
    }
  }
  return rows;
}
