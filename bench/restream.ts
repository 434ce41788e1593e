// What restreaming costs: livegate with MediaMTX, one 2 Mbit/s H.264 + AAC publish, and 1 then 3 restream
// destinations (a second MediaMTX over RTMP): CPU (% of one core) and RSS of the `ffmpeg -c copy` processes,
// next to MediaMTX's CPU for the same stream in the same run (the peer: the ratio is what to compare
// between machines). Standalone, not part of `deno task bench` (it needs its own livegate):
//   eval "$(bash scripts/setup.sh --test)"; deno task build; deno run -A bench/restream.ts
import {
  ADMIN_PASSWORD,
  Client,
  publish,
  run,
  startLivegate,
  stopProc,
  waitFor,
} from "../tests/e2e/harness.ts";
import { startMtxDestination } from "../tests/e2e/restream_destinations.ts";
import { cpuTicks, rssMb } from "./procstat.ts";

const SECONDS = Number(Deno.env.get("RESTREAM_BENCH_SECONDS") ?? 30);

async function children(pid: number): Promise<{ pid: number; comm: string }[]> {
  const out = (await run("ps", ["-o", "pid=,comm=", "--ppid", String(pid)])).stdout.trim().split("\n");
  return out.map((l) => l.trim().split(/\s+/)).map(([p, c]) => ({ pid: Number(p), comm: c }));
}

const mtx = await startMtxDestination();
const lg = await startLivegate();
const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 600, {
  extra: ["-b:v", "2000k"],
});
const c = new Client(lg.url);
const rows: string[] = [];
try {
  await c.login("admin", ADMIN_PASSWORD);
  for (const n of [1, 3]) {
    const have = (await c.api("GET", "/api/streams/live/destinations")).body.destinations.length;
    for (let i = have; i < n; i++) {
      await c.api("POST", "/api/streams/live/destinations", {
        name: `d${i}`,
        url: `rtmp://127.0.0.1:${mtx.rtmp}/out${i}`,
        key: `bench-key-${i}-0123456789`,
      });
    }
    await waitFor(`${n} live`, async () => {
      const ds = (await c.api("GET", "/api/streams/live/destinations")).body.destinations;
      return ds.every((d: { status: { state: string } }) => d.status.state === "live") || undefined;
    }, 60_000);
    await new Promise((r) => setTimeout(r, 3000));
    const kids = await children(lg.proc.pid);
    const ffs = kids.filter((k) => k.comm === "ffmpeg").map((k) => k.pid);
    const mm = kids.find((k) => k.comm === "mediamtx")!.pid;
    const sum = (ps: number[]) => ps.reduce((a, p) => a + cpuTicks(p), 0);
    const a = { ff: sum(ffs), mm: cpuTicks(mm) }, t0 = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const secs = (performance.now() - t0) / 1000;
    const ff = (sum(ffs) - a.ff) / secs, mmCpu = (cpuTicks(mm) - a.mm) / secs;
    const rss = Math.max(...ffs.map(rssMb));
    const ds = (await c.api("GET", "/api/streams/live/destinations")).body.destinations;
    const rate = ds.reduce((s: number, d: { status: { bitrate: number } }) =>
      s + (d.status.bitrate ?? 0), 0) / n;
    rows.push(
      `| ${n} | ${(rate / 1e6).toFixed(2)} Mbit/s | ${(ff / n).toFixed(2)} % | ${rss.toFixed(0)} MB | ${
        mmCpu.toFixed(2)
      } % | ${(ff / n / mmCpu).toFixed(2)} |`,
    );
    console.error(rows.at(-1));
  }
} finally {
  await stopProc(pub);
  await lg.stop();
  await mtx.stop();
}
console.log(`Restream cost over ${SECONDS} s per step (one core = 100 %):\n`);
console.log(
  "| destinations | bitrate each | ffmpeg CPU each | ffmpeg RSS max | MediaMTX CPU | ffmpeg / MediaMTX |",
);
console.log("| --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);
