// Stream analytics end to end, with a real livegate (MediaMTX, ffmpeg publish): simulated viewers (logged-in
// sessions asking for the stream's LL-HLS playlist every 250 ms) arrive and leave at known times during a
// publish, with analytics sampling every second (LIVEGATE_ANALYTICS_SAMPLE=1). The stored broadcast must
// show the peak, unique count and watch time that were simulated (to one sample per viewer). Then livegate
// is stopped in the middle of the publish and started again on the same data dir: nothing stored is lost
// and the interrupted broadcast is closed at its last sample; a second publish after the restart is
// counted on its own. The CSV exports parse (csv-parse).
import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { ADMIN_PASSWORD, Client, publish, startLivegate, stopProc, waitFor } from "./harness.ts";

const SAMPLE_MS = 1000;

interface Sim {
  name: string;
  /** Offsets from the start of the schedule (ms). */
  join: number;
  leave: number;
}

/** One simulated viewer: a login session fetching the playlist every 250 ms between join and leave. */
async function viewer(
  base: string,
  path: string,
  sim: Sim,
  t0: number,
  log: { join: number; leave: number }[],
) {
  const c = new Client(base);
  assert.equal((await c.login("admin", ADMIN_PASSWORD)).status, 303);
  const wait = t0 + sim.join - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const rec = { join: Date.now(), leave: 0 };
  while (Date.now() < t0 + sim.leave) {
    const r = await c.fetch(`/hls/${path}/index.m3u8`, { signal: AbortSignal.timeout(2000) }).catch(() =>
      null
    );
    await r?.body?.cancel().catch(() => {});
    await new Promise((r) => setTimeout(r, 250));
  }
  rec.leave = Date.now();
  log.push(rec);
}

/** Highest number of the intervals open at one time. */
function maxOverlap(iv: { join: number; leave: number }[]): number {
  const ev = iv.flatMap((i) => [[i.join, 1], [i.leave, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0, max = 0;
  for (const [, d] of ev) max = Math.max(max, cur += d);
  return max;
}

Deno.test({
  name: "e2e analytics: simulated viewers -> stored peak, unique, watch time; restart loses nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "livegate-analytics-" });
    const env = { LIVEGATE_DATA_DIR: dataDir, LIVEGATE_ANALYTICS_SAMPLE: "1" };
    let lg = await startLivegate(env);
    let pub: Deno.ChildProcess | undefined;
    try {
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 120, { size: "320x180" });
      // Live, and the analytics' running broadcast has started (the API shows it), without watching.
      await waitFor("broadcast running", async () => {
        const r = await admin.api("GET", "/api/streams/live/analytics");
        return r.body.broadcasts?.some((b: { live: boolean }) => b.live) ? true : undefined;
      }, 40_000);

      const sims: Sim[] = [
        { name: "A", join: 0, leave: 10_000 },
        { name: "B", join: 1000, leave: 6000 },
        { name: "C", join: 2000, leave: 8000 },
        { name: "D", join: 3000, leave: 5500 },
        { name: "E", join: 7000, leave: 10_000 },
      ];
      const t0 = Date.now() + 3000; // the logins happen before
      const log: { join: number; leave: number }[] = [];
      await Promise.all(sims.map((s) => viewer(lg.url, "live", s, t0, log)));
      // Two more samples, so the departures are in the store.
      await new Promise((r) => setTimeout(r, 3 * SAMPLE_MS));

      const expectPeak = maxOverlap(log);
      const expectWatch = log.reduce((a, i) => a + (i.leave - i.join), 0) / 1000;
      const a = await admin.api("GET", `/api/streams/live/analytics?from=${t0 - 60_000}`);
      assert.equal(a.status, 200, JSON.stringify(a.body));
      const b = a.body.broadcasts.find((x: { live: boolean }) => x.live);
      assert.ok(b, JSON.stringify(a.body.broadcasts));
      assert.equal(b.unique, sims.length, `unique: ${JSON.stringify(b)}`);
      assert.equal(b.peak, expectPeak, `peak: ${JSON.stringify(b)}`);
      assert.equal(b.delivery.hls.unique, sims.length);
      // Each viewer counts in every sample whose interval saw one of its requests: +-1 sample per viewer.
      const tol = sims.length * SAMPLE_MS / 1000;
      assert.ok(
        Math.abs(b.watchSeconds - expectWatch) <= tol + 1,
        `watch ${b.watchSeconds} s, simulated ${expectWatch} s (tolerance ${tol} s)`,
      );
      assert.ok(Math.abs(a.body.summary.watchSeconds - b.watchSeconds) <= 1, JSON.stringify(a.body.summary));
      assert.equal(a.body.summary.peak, expectPeak);
      assert.equal(a.body.summary.unique, sims.length);
      assert.equal(b.protocol, "rtmp");
      assert.equal(b.resolution, "320x180");
      assert.ok(b.codecs.includes("H264"), JSON.stringify(b.codecs));
      assert.ok(b.bitrate.avg > 0 && b.bitrate.min > 0, JSON.stringify(b.bitrate));
      assert.equal(b.avgViewSeconds, Math.round(b.watchSeconds / b.unique));
      const server = await admin.api("GET", `/api/analytics/server?from=${t0 - 60_000}`);
      assert.equal(server.status, 200);
      assert.equal(server.body.summary.peak, expectPeak);
      // Bad ranges name the parameter.
      for (const [q, name] of [["from=yesterday", "from"], ["to=abc", "to"], ["from=5&to=4", "from"]]) {
        const r = await admin.api("GET", `/api/streams/live/analytics?${q}`);
        assert.equal(r.status, 400, q);
        assert.match(r.body.error, new RegExp(`^${name}:`), q);
      }

      // Stop livegate in the middle of the publish; start it again on the same data dir.
      const before = a.body;
      await lg.stop();
      await stopProc(pub);
      pub = undefined;
      lg = await startLivegate(env);
      const admin2 = new Client(lg.url);
      assert.equal((await admin2.login("admin", ADMIN_PASSWORD)).status, 303);
      const after = await waitFor("the interrupted broadcast closed", async () => {
        const r = await admin2.api("GET", `/api/streams/live/analytics?from=${t0 - 60_000}`);
        return r.body.broadcasts?.length === 1 && !r.body.broadcasts[0].live ? r.body : undefined;
      }, 20_000);
      const b2 = after.broadcasts[0];
      assert.equal(b2.start, b.start);
      assert.equal(b2.unique, b.unique);
      assert.equal(b2.peak, b.peak);
      assert.ok(
        b2.watchSeconds >= b.watchSeconds && b2.watchSeconds <= b.watchSeconds + 1,
        JSON.stringify(b2),
      );
      assert.ok(b2.end >= b.start + 10_000, `end ${b2.end}`);
      assert.ok(after.series.t.length >= before.series.t.length, "samples kept");
      assert.equal(after.summary.unique, sims.length);

      // A new publish after the restart is a broadcast of its own.
      pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 60, { size: "320x180" });
      await waitFor("second broadcast running", async () => {
        const r = await admin2.api("GET", `/api/streams/live/analytics?from=${t0 - 60_000}`);
        return r.body.broadcasts?.some((x: { live: boolean }) => x.live) ? true : undefined;
      }, 40_000);
      const t1 = Date.now() + 2000;
      const log2: { join: number; leave: number }[] = [];
      await Promise.all([
        viewer(lg.url, "live", { name: "F", join: 0, leave: 3000 }, t1, log2),
        viewer(lg.url, "live", { name: "G", join: 0, leave: 3000 }, t1, log2),
      ]);
      await new Promise((r) => setTimeout(r, 2 * SAMPLE_MS));
      const two = await admin2.api("GET", `/api/streams/live/analytics?from=${t0 - 60_000}`);
      assert.equal(two.body.broadcasts.length, 2);
      assert.equal(two.body.broadcasts[1].unique, 2);
      assert.equal(two.body.broadcasts[1].peak, 2);
      assert.equal(two.body.broadcasts[0].unique, sims.length);

      // CSV exports parse, with the same numbers.
      const csv = await admin2.fetch(`/api/streams/live/analytics?from=${t0 - 60_000}&format=csv`);
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get("content-type") ?? "", /^text\/csv/);
      const rows = parse(await csv.text(), { columns: true }) as Record<string, string>[];
      assert.ok(rows.length >= 10, `rows ${rows.length}`);
      assert.equal(Math.max(...rows.map((r) => Number(r.peak))), expectPeak);
      const csvWatch = rows.reduce((x, r) => x + Number(r.watch_seconds), 0);
      assert.ok(
        Math.abs(csvWatch - two.body.summary.watchSeconds) <= 2,
        `${csvWatch} vs ${two.body.summary.watchSeconds}`,
      );
      const bcsv = await admin2.fetch(
        `/api/streams/live/analytics?from=${t0 - 60_000}&format=csv&table=broadcasts`,
      );
      const brows = parse(await bcsv.text(), { columns: true }) as Record<string, string>[];
      assert.equal(brows.length, 2);
      assert.equal(Number(brows[0].unique), sims.length);
      assert.equal(Number(brows[0].peak), expectPeak);
      assert.equal(Number(brows[0].watch_seconds), b2.watchSeconds);
      assert.equal(brows[0].resolution, "320x180");

      // Privacy: nothing under the analytics prefix names an address, a user or a session.
      await stopProc(pub);
      pub = undefined;
      await lg.stop();
      const kv = await Deno.openKv(`${dataDir}/livegate.kv`);
      try {
        let n = 0;
        for await (const e of kv.list({ prefix: ["analytics"] })) {
          n++;
          const text = JSON.stringify([e.key, e.value]);
          assert.doesNotMatch(text, /127\.0\.0\.1|admin|ip:|share:/, text.slice(0, 200));
        }
        assert.ok(n > 20, `${n} analytics records`);
      } finally {
        kv.close();
      }
    } finally {
      if (pub) await stopProc(pub);
      await lg.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
