// What restreaming costs: livegate with MediaMTX, one 2 Mbit/s H.264 + AAC publish, and 1 then 3 restream
// destinations (a second MediaMTX over RTMP), then 1 WHIP destination (the same MediaMTX over WebRTC, sent
// by livegate's werift WHIP client, the audio encoded to Opus by ffmpeg): CPU (% of one core) and RSS of
// the ffmpeg processes and livegate's own CPU, next to MediaMTX's CPU for the same stream in the same run
// (the peer: the ratio is what to compare between machines). Standalone, not part of `deno task bench` (it needs its own livegate):
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

const WHIP_TOKEN = "bench-whip-token-0123456789";
const mtx = await startMtxDestination({ whipToken: WHIP_TOKEN });
const lg = await startLivegate();
const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 600, {
  extra: ["-b:v", "2000k"],
});
const c = new Client(lg.url);
const rows: string[] = [];
try {
  await c.login("admin", ADMIN_PASSWORD);
  const dests = async () => (await c.api("GET", "/api/streams/live/destinations")).body.destinations;
  const steps: { label: string; n: number; whip?: boolean }[] = [
    { label: "1 RTMP", n: 1 },
    { label: "3 RTMP", n: 3 },
    { label: "1 WHIP", n: 1, whip: true },
  ];
  for (const step of steps) {
    if (step.whip) {
      for (const d of await dests()) {
        await c.api("DELETE", `/api/streams/live/destinations/${d.id}`);
      }
      await c.api("POST", "/api/streams/live/destinations", {
        name: "whip",
        url: `http://127.0.0.1:${mtx.webrtc}/whipout/whip`,
        key: WHIP_TOKEN,
      });
    }
    const have = (await dests()).length;
    for (let i = have; i < step.n; i++) {
      await c.api("POST", "/api/streams/live/destinations", {
        name: `d${i}`,
        url: `rtmp://127.0.0.1:${mtx.rtmp}/out${i}`,
        key: `bench-key-${i}-0123456789`,
      });
    }
    await waitFor(`${step.label} live`, async () => {
      const ds = await dests();
      return (ds.length === step.n &&
        ds.every((d: { status: { state: string } }) => d.status.state === "live")) || undefined;
    }, 60_000);
    await new Promise((r) => setTimeout(r, 3000));
    const kids = await children(lg.proc.pid);
    const ffs = kids.filter((k) => k.comm === "ffmpeg").map((k) => k.pid);
    const mm = kids.find((k) => k.comm === "mediamtx")!.pid;
    const sum = (ps: number[]) => ps.reduce((a, p) => a + cpuTicks(p), 0);
    const a = { ff: sum(ffs), mm: cpuTicks(mm), lg: cpuTicks(lg.proc.pid) }, t0 = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const secs = (performance.now() - t0) / 1000;
    const ff = (sum(ffs) - a.ff) / secs, mmCpu = (cpuTicks(mm) - a.mm) / secs;
    const lgCpu = (cpuTicks(lg.proc.pid) - a.lg) / secs;
    const rss = Math.max(...ffs.map(rssMb));
    const ds = await dests();
    const rate = ds.reduce((s: number, d: { status: { bitrate: number } }) =>
      s + (d.status.bitrate ?? 0), 0) / step.n;
    rows.push(
      `| ${step.label} | ${(rate / 1e6).toFixed(2)} Mbit/s | ${(ff / step.n).toFixed(2)} % | ${
        rss.toFixed(0)
      } MB | ${lgCpu.toFixed(2)} % | ${mmCpu.toFixed(2)} % | ${(ff / step.n / mmCpu).toFixed(2)} | ${
        (lgCpu / mmCpu).toFixed(2)
      } |`,
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
  "| destinations | bitrate each | ffmpeg CPU each | ffmpeg RSS max | livegate CPU | MediaMTX CPU | ffmpeg / MediaMTX | livegate / MediaMTX |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);
