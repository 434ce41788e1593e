// Long recorded ranges: time to first byte, MediaMTX's RSS and what MediaMTX does after the viewer leaves,
// for the links livegate prints. A synthetic 24 h recording (tests/e2e/synthetic_recording.ts) is written
// into a livegate's record dir; each case fetches a link, reads `readMb` of it (or all of it) and leaves.
//
//   deno run -A bench/recording_range.ts [--hours=24] [--read-mb=20] [--timeout=240]
//                                         [--url='/recordings/live/media?...'] (START: the span's start;
//                                         default: every case below)
import { parseArgs } from "node:util";
import { ADMIN_PASSWORD, Client, startLivegate } from "../tests/e2e/harness.ts";
import { mediamtxPid, writeRecording } from "../tests/e2e/synthetic_recording.ts";
import { cpuTicks, rssMb } from "./procstat.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    hours: { type: "string", default: "24" },
    "read-mb": { type: "string", default: "20" },
    timeout: { type: "string", default: "240" },
    url: { type: "string", multiple: true },
  },
});
const hours = Number(values.hours);
const readBytes = Number(values["read-mb"]) * 1024 * 1024;
const timeoutMs = Number(values.timeout) * 1000;

const lg = await startLivegate({ LIVEGATE_RECORD_RETENTION: "3d" });
const scratch = await Deno.makeTempDir({ prefix: "livegate-bench-rec-" });
try {
  const mtx = mediamtxPid(lg.proc.pid);
  const segs = Math.round(hours * 60);
  const start = new Date(Date.now() - (segs + 2) * 60_000);
  await writeRecording({
    recordDir: `${lg.dataDir}/recordings`,
    path: "live",
    start,
    count: segs,
    segmentSeconds: 60,
    scratch,
  });
  const c = new Client(lg.url);
  await c.login("admin", ADMIN_PASSWORD);
  const t0 = performance.now();
  const list = await (await c.fetch("/api/recordings/live")).json();
  console.log(
    `list: ${list.spans.length} span(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s:`,
    JSON.stringify(list.spans.slice(0, 3)),
  );
  const span = list.spans[0];
  const page = await (await c.fetch("/recordings/live")).text();
  const pageLinks = [...page.matchAll(/href="(\/recordings\/live\/media\?[^"]+)"/g)].map((m) =>
    m[1].replaceAll("&amp;", "&")
  );
  const q = (format: string, duration: number) =>
    `/recordings/live/media?${new URLSearchParams({
      start: span.start,
      duration: String(duration),
      format,
    })}`;
  const urls = values.url?.length
    ? values.url.map((u) => u.replace("START", encodeURIComponent(span.start)))
    : [
      q("mp4", Math.min(span.duration, 3600)),
      q("mp4", Math.min(span.duration, 86400)),
      q("fmp4", Math.min(span.duration, 86400)),
      ...pageLinks.slice(0, 2),
    ];
  for (const url of urls) {
    const rss0 = rssMb(mtx);
    let rssMax = rss0;
    const poll = setInterval(() => (rssMax = Math.max(rssMax, rssMb(mtx))), 200);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    const t = performance.now();
    let status = 0, ttfb = NaN, bytes = 0, note = "";
    try {
      const r = await c.fetch(url, { signal: ac.signal });
      status = r.status;
      const reader = r.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!bytes) ttfb = performance.now() - t;
        bytes += value.byteLength;
        if (bytes >= readBytes) {
          await reader.cancel();
          note = "left early";
          break;
        }
      }
    } catch (e) {
      note = ac.signal.aborted ? `gave up after ${timeoutMs / 1000} s` : String(e);
    }
    clearTimeout(timer);
    const left = performance.now();
    // CPU of MediaMTX during the 5 s after the viewer left.
    const ticks0 = cpuTicks(mtx);
    await new Promise((r) => setTimeout(r, 5000));
    const cpuAfter = (cpuTicks(mtx) - ticks0) / 100 / 5 * 100;
    clearInterval(poll);
    console.log(
      `${url}\n  status ${status}, first byte ${(ttfb / 1000).toFixed(2)} s, read ${
        (bytes / 1e6).toFixed(1)
      } MB in ${((left - t) / 1000).toFixed(1)} s ${note}; MediaMTX RSS ${rss0.toFixed(0)} -> max ${
        rssMax.toFixed(0)
      } MB; MediaMTX CPU in the 5 s after: ${cpuAfter.toFixed(0)} %`,
    );
    await new Promise((r) => setTimeout(r, 1000));
  }
} finally {
  await lg.stop();
  await Deno.remove(scratch, { recursive: true });
}
