// Stream analytics in real headless Chromium: the player's quality beacon (static/beacon.ts) arrives with
// a plausible time to first frame (positive, below the time the test saw from navigation to playing) and
// shows in the broadcast's QoE and in /metrics; the Analytics page and the stream admin page draw a
// non-empty uPlot chart (the viewers line's colour is on the canvas) under the CSP; the CSV export linked
// from the page parses (csv-parse) with the viewer who watched.
import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import type { Page } from "playwright-core";
import { ADMIN_PASSWORD, publish, startLivegate, stopProc, waitFor } from "./harness.ts";
import { launchChromium } from "./chromium.ts";

const METRICS_TOKEN = "analytics-metrics-token-123";

/** Pixels of the viewers line's colour (#ff3b5c) on the canvases under `selector`. */
function linePixels(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    let n = 0;
    for (const c of document.querySelectorAll<HTMLCanvasElement>(`${sel} canvas`)) {
      const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (
          d[i + 3] > 200 && Math.abs(d[i] - 255) < 30 && Math.abs(d[i + 1] - 59) < 40 &&
          Math.abs(d[i + 2] - 92) < 40
        ) n++;
      }
    }
    return n;
  }, selector);
}

Deno.test({
  name: "e2e/browser analytics: beacon with plausible TTFF; analytics page draws a chart; CSV parses",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate({ LIVEGATE_ANALYTICS_SAMPLE: "1", LIVEGATE_METRICS_TOKEN: METRICS_TOKEN });
    const browser = await launchChromium();
    let pub: Deno.ChildProcess | undefined;
    try {
      const errors: string[] = [];
      const ctx = await browser.newContext();
      const watch = (p: Page) => {
        p.on("pageerror", (e) => errors.push(String(e)));
        p.on("console", (m) => {
          if (m.type() === "error" && /Content Security Policy/.test(m.text())) errors.push(m.text());
        });
      };
      const page = await ctx.newPage();
      watch(page);
      await page.goto(`${lg.url}/login?next=/admin`);
      await page.fill("input[name=user]", "admin");
      await page.fill("input[name=password]", ADMIN_PASSWORD);
      await Promise.all([page.waitForURL(`${lg.url}/admin`), page.click("button[type=submit]")]);

      pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 120, { size: "320x180" });
      const player = await ctx.newPage();
      watch(player);
      await waitFor("stream live", async () => {
        const r = await page.request.get(`${lg.url}/api/streams/live/media`);
        return (await r.json()).live ? true : undefined;
      }, 30_000);
      const t0 = Date.now();
      await player.goto(`${lg.url}/watch/live`);
      await player.waitForFunction(
        () => (globalThis as unknown as { livegate: { status: string } }).livegate.status === "live",
        undefined,
        { timeout: 30_000 },
      );
      const sawLiveMs = Date.now() - t0;
      const beacon = await player.waitForFunction(
        () => {
          const b = (globalThis as unknown as {
            livegateBeacon?: { accepted: number; ttffMs: number; lastStatus: number };
          })
            .livegateBeacon;
          return b && b.accepted >= 1 ? b : null;
        },
        undefined,
        { timeout: 20_000 },
      ).then((h) => h.jsonValue());
      assert.ok(beacon);
      assert.equal(beacon.lastStatus, 202);
      assert.ok(
        beacon.ttffMs > 0 && beacon.ttffMs <= sawLiveMs + 1000,
        `TTFF ${beacon.ttffMs} ms, LIVE seen after ${sawLiveMs} ms`,
      );

      // Stored with the broadcast and counted in /metrics.
      const qoe = await waitFor("the beacon in the broadcast's QoE", async () => {
        const r = await (await page.request.get(`${lg.url}/api/streams/live/analytics`)).json();
        const b = r.broadcasts?.find((x: { live: boolean }) => x.live);
        return b?.qoe.ttffMs.n >= 1 ? b.qoe : undefined;
      }, 20_000);
      assert.ok(qoe.ttffMs.p50 > 0 && qoe.ttffMs.p50 <= 20_000, JSON.stringify(qoe));
      const metrics =
        await (await fetch(`${lg.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }))
          .text();
      assert.match(metrics, /livegate_qoe_time_to_first_frame_seconds_count\{delivery="hls"\} 1/);
      assert.match(metrics, /livegate_qoe_beacons_total\{result="accepted"\} [1-9]/);

      // A second viewer (another login session) on WebRTC: counted as a WHEP reader, delivery "webrtc".
      const ctx2 = await browser.newContext();
      const rtcPage = await ctx2.newPage();
      watch(rtcPage);
      await rtcPage.goto(`${lg.url}/login?next=/watch/live%3Fmode%3Dwebrtc`);
      await rtcPage.fill("input[name=user]", "admin");
      await rtcPage.fill("input[name=password]", ADMIN_PASSWORD);
      await rtcPage.click("button[type=submit]");
      await rtcPage.waitForFunction(
        () =>
          (globalThis as unknown as { livegate?: { status: string; mode: string } }).livegate?.status ===
            "live",
        undefined,
        { timeout: 30_000 },
      );
      assert.equal(
        await rtcPage.evaluate(() => (globalThis as unknown as { livegate: { mode: string } }).livegate.mode),
        "webrtc",
      );
      const both = await waitFor("a WebRTC and an LL-HLS viewer in the broadcast", async () => {
        const r = await (await page.request.get(`${lg.url}/api/streams/live/analytics`)).json();
        const b = r.broadcasts?.find((x: { live: boolean }) => x.live);
        return b?.delivery.webrtc.unique >= 1 && b.peak >= 2 ? b : undefined;
      }, 30_000);
      assert.equal(both.unique, 2, JSON.stringify(both));
      assert.equal(both.delivery.hls.unique, 1);
      await waitFor("the WebRTC player's beacon", async () => {
        const m =
          await (await fetch(`${lg.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }))
            .text();
        return /livegate_qoe_time_to_first_frame_seconds_count\{delivery="webrtc"\} 1/.test(m)
          ? true
          : undefined;
      }, 20_000);
      await ctx2.close();

      // The players' second reports (10 s after page load) carry their live latency.
      const lat = await waitFor("live latency reported", async () => {
        const r = await (await page.request.get(`${lg.url}/api/streams/live/analytics`)).json();
        return r.qoe?.latencyMs.n >= 1 ? r.qoe.latencyMs : undefined;
      }, 30_000);
      assert.ok(lat.p50 > 0 && lat.p50 <= 12_000, JSON.stringify(lat));

      // Watch a few samples long, then the Analytics page.
      await waitFor("samples with a viewer", async () => {
        const r = await (await page.request.get(`${lg.url}/api/streams/live/analytics?from=${t0 - 60_000}`))
          .json();
        return r.summary.peak >= 1 && r.series.t.length >= 3 ? true : undefined;
      }, 20_000);
      await page.goto(`${lg.url}/admin/analytics`);
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { livegateAnalytics?: { rendered: number } }).livegateAnalytics!
            .rendered >= 2,
        undefined,
        { timeout: 20_000 },
      );
      assert.ok(await linePixels(page, '[data-analytics="live"]') > 20, "the stream's viewers line is drawn");
      assert.ok(
        await linePixels(page, '[data-analytics="server"]') > 20,
        "the server's viewers line is drawn",
      );
      const text = await page.locator('[data-analytics="live"]').textContent() ?? "";
      assert.match(text, /Peak concurrent viewers\s*2/);
      assert.match(text, /Time to first frame p50/);
      // Quality over time: the hour's TTFF and latency points.
      const qs = (await (await page.request.get(`${lg.url}/api/streams/live/analytics`)).json()).qoeSeries;
      assert.ok(qs.t.length >= 1 && qs.ttffP50.at(-1) > 0 && qs.beacons.at(-1) >= 2, JSON.stringify(qs));
      assert.equal(await page.locator('[data-analytics="live"] .chart.qoe canvas').count(), 1);
      assert.match(text, /320x180/);
      // The CSV export the page links to parses.
      const href = await page.locator('[data-analytics="live"] a', { hasText: "samples" }).getAttribute(
        "href",
      );
      const csv = await page.request.get(`${lg.url}${href}`);
      assert.equal(csv.status(), 200);
      const rows = parse(await csv.text(), { columns: true }) as Record<string, string>[];
      assert.ok(rows.length >= 3, `rows ${rows.length}`);
      assert.ok(
        rows.some((r) => Number(r.peak) >= 1 && Number(r.hls) + Number(r.webrtc) > 0),
        JSON.stringify(rows.slice(-3)),
      );
      assert.ok(rows.every((r) => !Number.isNaN(Date.parse(r.time))));

      // Window buttons: 24 h draws again.
      await page.click('[data-analytics="live"] button[data-window="24h"]');
      await page.waitForFunction(() =>
        (globalThis as unknown as { livegateAnalytics: { rendered: number } }).livegateAnalytics.rendered >= 3
      );

      // The stream admin page's section draws too.
      await page.goto(`${lg.url}/admin/streams/live`);
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { livegateAnalytics?: { rendered: number } }).livegateAnalytics!
            .rendered >= 1,
        undefined,
        { timeout: 20_000 },
      );
      assert.ok(await linePixels(page, '[data-analytics="live"]') > 20);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      if (pub) await stopProc(pub);
      await lg.stop();
    }
  },
});
