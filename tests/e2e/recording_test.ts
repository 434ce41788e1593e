// End to end with real MediaMTX, ffmpeg, ffprobe and Chromium: a published stream is recorded, listed,
// played in the browser, a time range is downloaded as MP4 that ffprobe reads; stream and recording
// webhooks arrive signed; /metrics parses and counts what happened.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ADMIN_PASSWORD, Client, needTool, publish, run, startLivegate, waitFor } from "./harness.ts";
import { startReceiver } from "./webhook_receiver.ts";
import { parsePrometheus, sumOf } from "../prom_text.ts";
import { launchChromium } from "./chromium.ts";
import { mediamtxPid, openFilesUnder, rssMiB, writeRecording } from "./synthetic_recording.ts";

const METRICS_TOKEN = "e2e-metrics-token-0123456789";
const HOOK_SECRET = "e2e-webhook-secret-0123456789";

async function probe(file: string) {
  const r = await run(needTool("ffprobe"), [
    "-v",
    "error",
    "-show_entries",
    "format=duration,format_name:stream=codec_type,codec_name",
    "-of",
    "json",
    file,
  ]);
  assert.equal(r.code, 0, `ffprobe failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as {
    format: { duration: string; format_name: string };
    streams: { codec_type: string; codec_name: string }[];
  };
}

Deno.test({
  name: "e2e/recording: record, list, play a range in the browser, download MP4, webhooks, metrics",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const receiver = startReceiver(HOOK_SECRET);
    const lg = await startLivegate({
      LIVEGATE_METRICS_TOKEN: METRICS_TOKEN,
      LIVEGATE_WEBHOOK_URLS: receiver.url,
      LIVEGATE_WEBHOOK_SECRET: HOOK_SECRET,
    });
    const viewer = new Client(lg.url);
    const tmp = await Deno.makeTempDir({ prefix: "livegate-rec-" });
    try {
      let spans: { start: string; duration: number }[] = [];

      await t.step("publish 8 s; the stream is recorded as fMP4 under the data dir", async () => {
        const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 8);
        const st = await pub.status;
        await pub.stderr.cancel();
        assert.equal(st.code, 0, "ffmpeg publishes for 8 s and exits cleanly");
        const dir = join(lg.dataDir, "recordings", "live");
        const files = [...Deno.readDirSync(dir)].map((e) => e.name);
        assert.ok(
          files.length >= 1 && files.every((f) => /^\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d-\d{6}\.mp4$/.test(f)),
          String(files),
        );
      });

      await t.step("no session: the recording list is 401, media too", async () => {
        const r = await fetch(`${lg.url}/api/recordings/live`);
        assert.equal(r.status, 401);
        await r.body?.cancel();
        const m = await fetch(`${lg.url}/recordings/live/media?start=2020-01-01T00:00:00Z&duration=1`);
        assert.equal(m.status, 401);
        await m.body?.cancel();
        const p = await fetch(`${lg.url}/recordings/live`, { redirect: "manual" });
        assert.equal(p.status, 302);
        assert.match(p.headers.get("location") ?? "", /^\/login\?next=/);
        await p.body?.cancel();
      });

      await t.step("MediaMTX's playback server refuses anyone but livegate", async () => {
        const direct = await fetch(`http://127.0.0.1:${lg.env.LIVEGATE_MTX_PLAYBACK_PORT}/list?path=live`);
        assert.equal(direct.status, 401);
        await direct.body?.cancel();
      });

      await t.step("list: one span of about 8 s, disk usage shown", async () => {
        assert.equal((await viewer.login("admin", ADMIN_PASSWORD)).status, 303);
        const body = await waitFor("recording listed", async () => {
          const r = await viewer.fetch("/api/recordings/live");
          assert.equal(r.status, 200);
          const j = await r.json();
          return j.spans.length && j.spans[0].duration > 6 ? j : undefined;
        });
        spans = body.spans;
        assert.equal(spans.length, 1);
        assert.ok(spans[0].duration > 6 && spans[0].duration < 11, `duration ${spans[0].duration}`);
        assert.ok(body.disk.bytes > 100_000, `recording bytes ${body.disk.bytes}`);
        assert.ok(body.disk.fs.freeBytes > 0);
        assert.equal(body.recording, true);
        assert.equal(body.retentionSeconds, 86400);
        // A time window: before the recording -> nothing; around it -> the span.
        const s0 = Date.parse(spans[0].start);
        const iso = (ms: number) => new Date(ms).toISOString();
        const before = await (await viewer.fetch(
          `/api/recordings/live?${new URLSearchParams({
            start: iso(s0 - 3_600_000),
            end: iso(s0 - 60_000),
          })}`,
        )).json();
        assert.deepEqual(before.spans, []);
        const around = await (await viewer.fetch(
          `/api/recordings/live?${new URLSearchParams({ start: iso(s0 - 60_000), end: iso(s0 + 60_000) })}`,
        )).json();
        assert.equal(around.spans.length, 1);
        const badWin = await viewer.fetch("/api/recordings/live?start=2026-01-02&end=x");
        assert.equal(badWin.status, 400);
        assert.match((await badWin.json()).error, /RFC 3339/);
        const page = await (await viewer.fetch("/recordings/live")).text();
        assert.match(page, /Recordings of live/);
        assert.match(page, /kept for 1 day/);
        assert.match(page, /Download MP4/);
        assert.match(page, /free of/);
        const index = await (await viewer.fetch("/recordings")).text();
        assert.match(index, /href="\/recordings\/live"/);
      });

      await t.step("bad ranges get 400 with a message", async () => {
        for (
          const [q, msg] of [
            ["start=yesterday&duration=3", /RFC 3339/],
            ["start=2026-01-01T00:00:00Z&duration=-1", /number of seconds/],
            ["start=2026-01-01T00:00:00Z&duration=999999", /between/],
            ["duration=3", /start is required/],
            [`start=${encodeURIComponent(spans[0].start)}&duration=3&format=avi`, /format/],
          ] as const
        ) {
          const r = await viewer.fetch(`/recordings/live/media?${q}`);
          assert.equal(r.status, 400, q);
          assert.match((await r.json()).error, msg);
        }
        const none = await viewer.fetch(
          `/recordings/live/media?start=2001-01-01T00:00:00Z&duration=5&format=mp4`,
        );
        assert.equal(none.status, 404);
        assert.match((await none.json()).error, /no recording/);
        const badPath = await viewer.fetch(`/api/recordings/..%2Fetc`);
        assert.ok([400, 404].includes(badPath.status));
        await badPath.body?.cancel();
      });

      await t.step("the page's links and MediaMTX's own duration (any decimals) answer 200", async () => {
        const page = await (await viewer.fetch("/recordings/live")).text();
        const links = recordingLinks(page, "live");
        assert.equal(links.length, 2, "Play and Download MP4");
        for (const l of links) {
          const r = await viewer.fetch(l);
          assert.equal(r.status, 200, l);
          await r.body?.cancel();
        }
        // The span's duration printed with 15 decimals, as float64 sums come out of MediaMTX.
        const duration = `${spans[0].duration.toFixed(9)}000002`;
        const r = await viewer.fetch(
          `/recordings/live/media?${new URLSearchParams({ start: spans[0].start, duration, format: "mp4" })}`,
        );
        assert.equal(r.status, 200, `duration=${duration}`);
        const file = join(tmp, "whole.mp4");
        await Deno.writeFile(file, new Uint8Array(await r.arrayBuffer()));
        const d = Number((await probe(file)).format.duration);
        assert.ok(Math.abs(d - spans[0].duration) < 1, `ffprobe ${d} for a span of ${spans[0].duration}`);
      });

      await t.step("download a 3 s range as MP4: ffprobe reads H.264 + AAC of about 3 s", async () => {
        const start = new Date(Date.parse(spans[0].start) + 2000).toISOString();
        const r = await viewer.fetch(
          `/recordings/live/media?${new URLSearchParams({
            start,
            duration: "3",
            format: "mp4",
            download: "1",
          })}`,
        );
        assert.equal(r.status, 200);
        assert.equal(r.headers.get("content-type"), "video/mp4");
        assert.match(r.headers.get("content-disposition") ?? "", /^attachment; filename="live_.*\.mp4"$/);
        const file = join(tmp, "range.mp4");
        await Deno.writeFile(file, new Uint8Array(await r.arrayBuffer()));
        const p = await probe(file);
        assert.match(p.format.format_name, /mp4/);
        assert.deepEqual(p.streams.map((s) => s.codec_name).sort(), ["aac", "h264"]);
        const d = Number(p.format.duration);
        assert.ok(d > 2 && d < 4.5, `duration ${d}`);
      });

      await t.step("the browser plays a recorded range (fMP4) from the recordings page", async () => {
        const browser = await launchChromium();
        try {
          const ctx = await browser.newContext();
          await ctx.addCookies(
            [...viewer.cookies].map(([name, value]) => ({ name, value, url: lg.url })),
          );
          const page = await ctx.newPage();
          await page.goto(`${lg.url}/recordings/live`);
          await Promise.all([page.waitForURL(/\/recordings\/live\/play\?/), page.click("text=Play")]);
          const t0 = await page.waitForFunction(
            () => {
              const v = document.querySelector("video") as HTMLVideoElement | null;
              return v && v.readyState >= 2 && v.currentTime > 1 ? v.currentTime : false;
            },
            undefined,
            { timeout: 40_000 },
          ).catch(async (e) => {
            const state = await page.evaluate(() => {
              const v = document.querySelector("video") as HTMLVideoElement | null;
              if (!v) return { url: location.href, noVideo: document.body?.innerText.slice(0, 500) };
              return {
                readyState: v.readyState,
                networkState: v.networkState,
                currentTime: v.currentTime,
                paused: v.paused,
                error: v.error?.message ?? v.error?.code ?? null,
                src: v.currentSrc,
              };
            });
            throw new Error(`video did not play: ${JSON.stringify(state)} (${e})`);
          });
          const w = await page.evaluate(() =>
            (document.querySelector("video") as HTMLVideoElement).videoWidth
          );
          assert.equal(w, 640);
          assert.ok(Number(await t0.jsonValue()) > 1);
        } finally {
          await browser.close();
        }
      });

      await t.step("webhooks: started, stopped, recording.finished, all signed", async () => {
        await waitFor(
          "recording.finished webhook",
          () =>
            Promise.resolve(receiver.events.find((e) => e.type === "recording.finished") ? true : undefined),
        );
        const types = receiver.events.map((e) => e.type);
        assert.deepEqual(types.filter((x) => x.startsWith("stream.")), ["stream.started", "stream.stopped"]);
        assert.ok(receiver.events.every((e) => e.signatureOk), "every signature verifies");
        assert.ok(receiver.events.every((e) => e.data.path === "live"));
        const fin = receiver.events.find((e) => e.type === "recording.finished")!;
        const fs = fin.data.spans as { start: string; duration: number; downloadUrl: string }[];
        assert.equal(fs.length, 1);
        assert.ok(fs[0].duration > 6);
        assert.match(fs[0].downloadUrl, /\/recordings\/live\/media\?.*format=mp4/);
        const dl = await viewer.fetch(
          new URL(fs[0].downloadUrl).pathname + new URL(fs[0].downloadUrl).search,
        );
        assert.equal(dl.status, 200, fs[0].downloadUrl);
        assert.match(dl.headers.get("content-disposition") ?? "", /^attachment/);
        assert.ok((await dl.arrayBuffer()).byteLength > 100_000);
      });

      await t.step("/ready is 200; /metrics needs the token and parses as Prometheus text", async () => {
        const ready = await fetch(`${lg.url}/ready`);
        assert.equal(ready.status, 200);
        assert.equal((await ready.json()).ready, true);
        const none = await fetch(`${lg.url}/metrics`);
        assert.equal(none.status, 401);
        await none.body?.cancel();
        const wrong = await fetch(`${lg.url}/metrics`, {
          headers: { authorization: "Bearer nope-nope-nope-nope" },
        });
        assert.equal(wrong.status, 403);
        await wrong.body?.cancel();
        const r = await fetch(`${lg.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
        assert.equal(r.status, 200);
        assert.match(r.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
        const s = parsePrometheus(await r.text());
        assert.ok(
          sumOf(s, "livegate_http_requests_total", { route: "/recordings/:path/media", status: "200" }) >= 1,
        );
        assert.ok(
          sumOf(s, "livegate_http_requests_total", { route: "/recordings/:path/media", status: "400" }) >= 5,
        );
        assert.ok(
          sumOf(s, "livegate_http_requests_total", { route: "/api/recordings/:path", status: "401" }) >= 1,
        );
        assert.ok(sumOf(s, "livegate_proxy_bytes_total", { proxy: "playback" }) > 100_000);
        assert.equal(sumOf(s, "livegate_stream_events_total", { event: "started" }), 1);
        assert.equal(sumOf(s, "livegate_stream_events_total", { event: "stopped" }), 1);
        assert.ok(sumOf(s, "livegate_webhook_deliveries_total", { result: "ok" }) >= 3);
        assert.ok(sumOf(s, "livegate_sessions_active") >= 1);
        assert.equal(sumOf(s, "livegate_hook_decisions_total", { action: "publish", result: "allow" }), 1);
        assert.ok(sumOf(s, "livegate_hook_decisions_total", { action: "playback", result: "allow" }) >= 3);
        assert.ok(sumOf(s, "livegate_recordings_bytes", { path: "live" }) > 100_000);
        assert.ok(sumOf(s, "livegate_recordings_disk_free_bytes") > 0);
        assert.equal(sumOf(s, "livegate_mediamtx_up"), 1);
        assert.ok(sumOf(s, "livegate_process_resident_memory_bytes") > 10_000_000, "process metrics");
        assert.equal(sumOf(s, "livegate_mediamtx_metrics_up"), 1);
        // MediaMTX's own metrics are merged in.
        assert.ok(s.some((x) => x.name === "paths"), "MediaMTX 'paths' metric present");
      });
    } finally {
      await lg.stop();
      await receiver.stop();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});

/** Reads a media response until `bytes` arrived (or it ended), then leaves; times the first byte. */
async function sample(r: Response, bytes: number, t0: number) {
  const reader = r.body!.getReader();
  let got = 0, firstByteMs = NaN;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!got) firstByteMs = performance.now() - t0;
    got += value.byteLength;
    if (got >= bytes) {
      await reader.cancel();
      break;
    }
  }
  return { got, firstByteMs };
}

/** The links to /recordings/<path>/(play|media) on a page, HTML entities decoded. */
function recordingLinks(page: string, path: string): string[] {
  return [...page.matchAll(new RegExp(`href="(/recordings/${path}/(?:play|media)\\?[^"]+)"`, "g"))]
    .map((m) => m[1].replaceAll("&amp;", "&"));
}

Deno.test({
  name: "e2e/recording: a 25 h recording - links in parts all work, start at once, stop with the viewer, " +
    "HEAD and Range, seeking in Chromium",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lg = await startLivegate({ LIVEGATE_RECORD_RETENTION: "3d" });
    const scratch = await Deno.makeTempDir({ prefix: "livegate-longrec-" });
    const recordDir = join(lg.dataDir, "recordings");
    const viewer = new Client(lg.url);
    try {
      // 25 h of 60 s segments (hard links of one file), ending 2 min ago.
      const count = 25 * 60;
      await writeRecording({
        recordDir,
        path: "live",
        start: new Date(Date.now() - (count + 2) * 60_000),
        count,
        segmentSeconds: 60,
        scratch,
      });
      const mtx = mediamtxPid(lg.proc.pid);
      assert.equal((await viewer.login("admin", ADMIN_PASSWORD)).status, 303);
      const listed = await (await viewer.fetch("/api/recordings/live")).json();
      assert.equal(listed.spans.length, 1, JSON.stringify(listed.spans));
      const span = listed.spans[0] as { start: string; duration: number };
      assert.ok(span.duration > 25 * 3600 - 1 && span.duration < 25 * 3600 + 2, String(span.duration));
      const page = await (await viewer.fetch("/recordings/live")).text();
      const links = recordingLinks(page, "live");
      const media = links.filter((l) => l.includes("/media?"));

      await t.step("the page offers the span in parts of at most 24 h with canonical numbers", () => {
        assert.match(page, /in 2 parts/);
        const parts = links.filter((l) => l.includes("/play?")).map((l) => new URL(l, lg.url).searchParams);
        assert.equal(parts.length, 2);
        let sum = 0;
        for (const q of parts) {
          assert.match(q.get("duration")!, /^\d+(\.\d{1,3})?$/);
          assert.match(q.get("start")!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
          assert.ok(Number(q.get("duration")) <= 86400);
          sum += Number(q.get("duration"));
        }
        assert.ok(Math.abs(sum - span.duration) < 0.01, `parts add up to the span: ${sum}`);
        assert.equal(media.length, 2);
      });

      await t.step("every link on the page answers 200 and its media starts within 3 s", async () => {
        for (const l of links) {
          const t0 = performance.now();
          const r = await viewer.fetch(l);
          assert.equal(r.status, 200, l);
          if (l.includes("/play?")) {
            assert.match(await r.text(), /<video id="recording"/);
            continue;
          }
          assert.equal(r.headers.get("content-type"), "video/mp4");
          assert.equal(r.headers.get("accept-ranges"), "none");
          const { got, firstByteMs } = await sample(r, 2_000_000, t0);
          assert.ok(got >= 2_000_000, `${l}: ${got} bytes`);
          assert.ok(firstByteMs < 3000, `${l}: first byte after ${firstByteMs.toFixed(0)} ms`);
        }
        // The download form's defaults (first part's start, 60 s, MP4).
        const start = /name="start"[^>]*value="([^"]+)"/.exec(page)![1];
        const duration = /name="duration"[^>]*value="([^"]+)"/.exec(page)![1];
        const r = await viewer.fetch(
          `/recordings/live/media?${new URLSearchParams({ start, duration, format: "mp4", download: "1" })}`,
        );
        assert.equal(r.status, 200);
        await r.body?.cancel();
      });

      await t.step(
        "durations as MediaMTX prints them (7+ decimals) are accepted; the MP4 is that long",
        async () => {
          const start = new Date(Date.parse(span.start) + 600_000).toISOString();
          for (const duration of ["18.923000000000002", "46.787959183"]) {
            const r = await viewer.fetch(
              `/recordings/live/media?${new URLSearchParams({ start, duration, format: "mp4" })}`,
            );
            assert.equal(r.status, 200, `duration=${duration}`);
            const file = join(scratch, "d.mp4");
            await Deno.writeFile(file, new Uint8Array(await r.arrayBuffer()));
            const d = Number((await probe(file)).format.duration);
            assert.ok(Math.abs(d - Number(duration)) < 1.1, `duration=${duration}: ffprobe ${d}`);
          }
          const play = await viewer.fetch(
            `/recordings/live/play?${new URLSearchParams({ start: span.start, duration: "46.787959183" })}`,
          );
          assert.equal(play.status, 200);
          await play.body?.cancel();
          // The whole 25 h span is more than one link takes: refused with the limit (the page splits it).
          const whole = await viewer.fetch(
            `/recordings/live/media?${new URLSearchParams({
              start: span.start,
              duration: String(span.duration),
            })}`,
          );
          assert.equal(whole.status, 400);
          assert.match((await whole.json()).error, /between 0 and 86400 seconds/);
        },
      );

      await t.step(
        "MP4 is limited to 1 h with a message; 24 h of fMP4 starts at once in bounded memory",
        async () => {
          const q = (duration: string, format: string) =>
            `/recordings/live/media?${new URLSearchParams({ start: span.start, duration, format })}`;
          const long = await viewer.fetch(q("86400", "mp4"));
          assert.equal(long.status, 400);
          assert.match((await long.json()).error, /format=mp4 ranges are at most 3600 s.*format=fmp4/);
          const rss0 = rssMiB(mtx);
          let t0 = performance.now();
          const day = await sample(await viewer.fetch(q("86400", "fmp4")), 20_000_000, t0);
          assert.ok(day.firstByteMs < 3000, `24 h fMP4: first byte after ${day.firstByteMs.toFixed(0)} ms`);
          assert.ok(day.got >= 20_000_000);
          t0 = performance.now();
          const hour = await sample(await viewer.fetch(q("3600", "mp4")), 1_000_000, t0);
          assert.ok(hour.firstByteMs < 10_000, `1 h MP4: first byte after ${hour.firstByteMs.toFixed(0)} ms`);
          const grown = rssMiB(mtx) - rss0;
          assert.ok(grown < 150, `MediaMTX grew by ${grown.toFixed(0)} MiB`);
        },
      );

      await t.step("the viewer goes away: MediaMTX closes the recording within 3 s", async () => {
        const dir = join(recordDir, "live");
        for (const how of ["stops reading", "disconnects"]) {
          const ac = new AbortController();
          const r = await viewer.fetch(
            `/recordings/live/media?${new URLSearchParams({ start: span.start, duration: "86400" })}`,
            { signal: ac.signal },
          );
          const reader = r.body!.getReader();
          await reader.read();
          await waitFor(
            "MediaMTX reading the recording",
            () => Promise.resolve(openFilesUnder(mtx, dir) > 0 ? true : undefined),
            3000,
          );
          if (how === "stops reading") await reader.cancel();
          else ac.abort();
          const t0 = Date.now();
          await waitFor(
            `MediaMTX closing its files after the viewer ${how}`,
            () => Promise.resolve(openFilesUnder(mtx, dir) === 0 ? true : undefined),
            3000,
          );
          console.log(`  viewer ${how}: MediaMTX closed the recording after ${Date.now() - t0} ms`);
        }
      });

      await t.step(
        "HEAD has GET's headers and no body; Range is answered honestly (no byte ranges)",
        async () => {
          const l = media.find((x) => x.includes("download=1"))!;
          const get = await viewer.fetch(l);
          await get.body?.cancel();
          const head = await viewer.fetch(l, { method: "HEAD" });
          assert.equal(head.status, 200);
          for (const h of ["content-type", "accept-ranges", "content-disposition", "cache-control"]) {
            assert.equal(head.headers.get(h), get.headers.get(h), h);
          }
          assert.equal(head.headers.get("content-length"), null, "no invented content-length: 0");
          assert.equal((await head.arrayBuffer()).byteLength, 0);
          const none = await viewer.fetch(
            "/recordings/live/media?start=2001-01-01T00:00:00Z&duration=5&format=mp4",
            { method: "HEAD" },
          );
          assert.equal(none.status, 404);
          await none.body?.cancel();
          const ranged = await viewer.fetch(l, { headers: { range: "bytes=0-1" } });
          assert.equal(ranged.status, 200);
          assert.equal(ranged.headers.get("accept-ranges"), "none");
          assert.equal(ranged.headers.get("content-range"), null);
          await ranged.body?.cancel();
        },
      );

      await t.step("Chromium: seeking to 50 min plays from 50 min", async () => {
        const browser = await launchChromium();
        try {
          const ctx = await browser.newContext();
          await ctx.addCookies([...viewer.cookies].map(([name, value]) => ({ name, value, url: lg.url })));
          const p = await ctx.newPage();
          const play = links.find((l) => l.includes("/play?"))!;
          await p.goto(lg.url + play);
          const playing = (min: number) =>
            p.waitForFunction(
              (min) => {
                const v = document.querySelector("video") as HTMLVideoElement;
                return v.readyState >= 2 && v.currentTime > 1 && Number(v.dataset.offset) >= min
                  ? Number(v.dataset.offset) + v.currentTime
                  : false;
              },
              min,
              { timeout: 30_000 },
            );
          await playing(0);
          const requested: string[] = [];
          p.on("request", (r) => r.url().includes("/media?") && requested.push(r.url()));
          await p.evaluate(() => {
            const s = document.getElementById("rec-seek") as HTMLInputElement;
            s.value = "3000";
            s.dispatchEvent(new Event("input"));
            s.dispatchEvent(new Event("change"));
          });
          const pos = Number(await (await playing(3000)).jsonValue());
          assert.ok(pos > 3000 && pos < 3030, `position after the seek: ${pos}`);
          const q = new URL(requested.at(-1)!).searchParams;
          const partStart = Date.parse(new URL(play, lg.url).searchParams.get("start")!);
          assert.equal(Date.parse(q.get("start")!) - partStart, 3_000_000, "the new range starts at 50 min");
          const shown = await p.textContent("#rec-time");
          assert.match(shown ?? "", /^50:\d\d \/ 12:30:00$/);
          // The arrow keys jump 10 s the same way.
          await p.locator("video").click();
          await p.keyboard.press("ArrowRight");
          const pos2 = Number(await (await playing(pos + 9)).jsonValue());
          assert.ok(pos2 > pos + 9 && pos2 < pos + 40, `position after ArrowRight from ${pos}: ${pos2}`);
        } finally {
          await browser.close();
        }
      });
    } finally {
      await lg.stop();
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
    }
  },
});
