// Benchmarks for issue #5 (not run by the test suite): /metrics scrape latency with MediaMTX's metrics
// merged, recorded-range download throughput through livegate (MP4 and fMP4), and the cost of
// queueing a webhook event on the caller's path.
//   deno run -A bench/recordings_metrics.ts
import { ADMIN_PASSWORD, Client, publish, startLivegate } from "../tests/e2e/harness.ts";
import { Webhooks } from "../src/events/webhooks.ts";

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const TOKEN = "bench-metrics-token-0123456789";

const lg = await startLivegate({ LIVEGATE_METRICS_TOKEN: TOKEN });
try {
  const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 30);
  await pub.status;
  await pub.stderr.cancel();
  const viewer = new Client(lg.url);
  await viewer.login("admin", ADMIN_PASSWORD);
  const { spans } = await (await viewer.fetch("/api/recordings/live")).json();
  const span = spans[0];
  console.log(`recorded span: ${span.duration.toFixed(1)} s`);

  const scrape: number[] = [];
  let size = 0;
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    const r = await fetch(`${lg.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    size = (await r.text()).length;
    scrape.push(performance.now() - t0);
  }
  console.log(
    `/metrics: ${size} bytes, p50 ${pct(scrape, 0.5).toFixed(2)} ms, p95 ${
      pct(scrape, 0.95).toFixed(2)
    } ms (200 scrapes)`,
  );

  for (const format of ["mp4", "fmp4"]) {
    const q = new URLSearchParams({ start: span.start, duration: String(span.duration), format });
    const runs: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = await viewer.fetch(`/recordings/live/media?${q}`);
      bytes = (await r.arrayBuffer()).byteLength;
      runs.push(performance.now() - t0);
    }
    const med = pct(runs, 0.5);
    console.log(
      `download ${format} ${span.duration.toFixed(0)} s range: ${(bytes / 1e6).toFixed(1)} MB in ${
        med.toFixed(0)
      } ms median = ${(bytes / 1e6 / (med / 1000)).toFixed(0)} MB/s (${
        (span.duration / (med / 1000)).toFixed(0)
      }x realtime)`,
    );
  }
} finally {
  await lg.stop();
}

// Queueing cost of emit() (receiver is a closed port; deliveries fail in the background).
const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const dead = `http://127.0.0.1:${(l.addr as Deno.NetAddr).port}/`;
l.close();
const hooks = new Webhooks({ urls: [dead], secret: "bench-secret-0123456789", attempts: 1, log: () => {} });
const N = 10_000;
const t0 = performance.now();
for (let i = 0; i < N; i++) hooks.emit("stream.started", { path: "live" });
const per = ((performance.now() - t0) / N) * 1000;
console.log(`webhook emit(): ${per.toFixed(1)} µs per event (queued, ${N} events)`);
await hooks.close(500);
