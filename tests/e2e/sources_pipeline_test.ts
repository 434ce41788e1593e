// Pulled streams get what pushed ones get (issue #23: "all of livegate's access rules, recording, thumbnails
// and analytics apply to pulled streams"), end to end with real parts: one camera (a second MediaMTX serving
// RTSP, tests/e2e/camera.ts) pulled by livegate into two streams.
// - Always on ('live', public): recorded (a file under the data dir, listed by the recordings API and page,
//   a range downloaded as MP4 that ffprobe reads), a thumbnail, and an anonymous viewer's LL-HLS watch with
//   its quality beacon shows in the live list's viewer count and the stream's analytics (broadcast with the
//   viewer, protocol "rtsp", the beacon's time to first frame). Private recordings stay private.
// - On demand ('door'): nothing is pulled, recorded or grabbed while nobody watches; while a viewer has it
//   pulled it is recorded and gets a still; after the viewer left, the thumbnailer does not keep the
//   camera pulled (the camera's reader count falls back to the always-on stream's one) and the still stays.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ADMIN_PASSWORD, Client, needTool, run, startLivegate, waitFor, waitHlsOnline } from "./harness.ts";
import { disposeCamera, startCamera } from "./camera.ts";

const isJpeg = (b: Uint8Array) => b.length > 100 && b[0] === 0xff && b[1] === 0xd8;
const files = (dir: string) => {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isFile).length;
  } catch {
    return 0;
  }
};

/** A viewer fetching the stream's LL-HLS playlists (and one part now and then) every 500 ms until `until`. */
async function watchHls(c: Client, path: string, until: () => boolean) {
  while (!until()) {
    const m = await c.fetch(`/hls/${path}/index.m3u8`, { signal: AbortSignal.timeout(5000) }).catch(() =>
      null
    );
    const text = m?.ok ? await m.text() : (await m?.body?.cancel(), "");
    const variant = text.split("\n").find((l) => l.endsWith(".m3u8") && !l.startsWith("#"));
    if (variant) {
      const v = await c.fetch(`/hls/${path}/${variant}`, { signal: AbortSignal.timeout(5000) }).catch(() =>
        null
      );
      await v?.body?.cancel().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

Deno.test({
  name: "e2e/sources: pulled streams are recorded, get thumbnails and analytics (always on, on demand)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const cam = await startCamera();
    // Analytics sample every second; the HLS muxer (livegate's one reader of an on-demand path) closes 3 s
    // after the last request.
    const lg = await startLivegate({ LIVEGATE_ANALYTICS_SAMPLE: "1", MTX_HLSMUXERCLOSEAFTER: "3s" }).catch(
      async (e) => {
        await disposeCamera(cam);
        throw e;
      },
    );
    const admin = new Client(lg.url);
    const rec = join(lg.dataDir, "recordings");
    try {
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      const r = await admin.api("PATCH", "/api/streams/live", { source: cam.url, visibility: "public" });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await waitFor(
        "source live",
        async () =>
          (await admin.api("GET", "/api/streams/live/source")).body.source.state === "live" || undefined,
        30_000,
      );

      await t.step("always on: recorded, listed, downloadable as MP4; private to the public", async () => {
        await waitFor(
          "a recording file",
          () => Promise.resolve(files(join(rec, "live")) > 0 || undefined),
          30_000,
        );
        const list = await waitFor("a listed span of 3 s or more", async () => {
          const j = (await admin.api("GET", "/api/recordings/live")).body;
          return j.spans?.length && j.spans[0].duration >= 3 ? j : undefined;
        }, 30_000);
        assert.equal(list.recording, true);
        const span = list.spans[0] as { start: string; duration: number };
        const page = await (await admin.fetch("/recordings/live")).text();
        assert.ok(
          page.includes(`/recordings/live/play?start=${encodeURIComponent(span.start)}`),
          "span listed",
        );
        // Anyone may watch the public stream; its recordings still need the right to see them.
        const anon = await fetch(`${lg.url}/api/recordings/live`);
        assert.equal(anon.status, 401);
        await anon.body?.cancel();
        const q = new URLSearchParams({ start: span.start, duration: "2", format: "mp4", download: "1" });
        const dl = await admin.fetch(`/recordings/live/media?${q}`);
        assert.equal(dl.status, 200);
        assert.match(dl.headers.get("content-disposition") ?? "", /attachment; filename="live_/);
        const file = join(lg.dataDir, "download.mp4");
        await Deno.writeFile(file, new Uint8Array(await dl.arrayBuffer()));
        const probe = await run(needTool("ffprobe"), [
          ...["-v", "error", "-show_entries", "format=duration:stream=codec_name", "-of", "json", file],
        ]);
        assert.equal(probe.code, 0, probe.stderr);
        const info = JSON.parse(probe.stdout);
        assert.deepEqual(info.streams.map((s: { codec_name: string }) => s.codec_name), ["h264"]);
        assert.ok(Number(info.format.duration) > 1, `duration ${info.format.duration}`);
      });

      await t.step("always on: a thumbnail, public like the stream", async () => {
        const still = await waitFor("the first still", async () => {
          const res = await fetch(`${lg.url}/thumbs/live.jpg`);
          if (res.status !== 200) return void await res.body?.cancel();
          return new Uint8Array(await res.arrayBuffer());
        }, 40_000);
        assert.ok(isJpeg(still));
      });

      await t.step("always on: a viewer's watch and beacon show in viewer counts and analytics", async () => {
        const viewer = new Client(lg.url); // anonymous: the stream is public
        const watch = await (await viewer.fetch("/watch/live")).text();
        assert.match(watch, /<video id="video"/);
        await waitHlsOnline(viewer, "live");
        let done = false;
        const watching = watchHls(viewer, "live", () => done);
        try {
          const count = await waitFor("the viewer counted", async () => {
            const l = (await admin.api("GET", "/api/live")).body.streams
              .find((s: { path: string }) => s.path === "live");
            return l?.viewers >= 1 ? l.viewers : undefined;
          }, 20_000);
          assert.equal(count, 1);
          const beacon = await viewer.api("POST", "/api/streams/live/beacon", {
            v: 1,
            view: "pulledview1",
            delivery: "hls",
            ttffMs: 432,
            playMs: 3000,
            rebuffers: [],
            latencyMs: 1200,
            levelChanges: 0,
            fatalErrors: 0,
          });
          assert.equal(beacon.status, 202, JSON.stringify(beacon.body));
          const b = await waitFor("the watch in the broadcast", async () => {
            const a = (await admin.api("GET", "/api/streams/live/analytics")).body;
            const x = a.broadcasts?.find((x: { live: boolean }) => x.live);
            return x?.unique >= 1 && x.watchSeconds >= 2 && x.qoe.ttffMs.n >= 1 ? x : undefined;
          }, 30_000);
          assert.equal(b.unique, 1, JSON.stringify(b));
          assert.equal(b.delivery.hls.unique, 1);
          assert.equal(b.protocol, "rtsp");
          assert.ok(b.codecs.includes("H264"), JSON.stringify(b.codecs));
          assert.equal(b.resolution, "320x180");
          // Kept as a histogram (src/analytics/qoe.ts): the p50 lies in the bucket of 432 ms, 300-500 ms.
          assert.equal(b.qoe.ttffMs.n, 1, JSON.stringify(b.qoe));
          assert.ok(b.qoe.ttffMs.p50 >= 300 && b.qoe.ttffMs.p50 <= 500, JSON.stringify(b.qoe));
        } finally {
          done = true;
          await watching;
        }
      });

      await t.step("on demand: recorded and a still only while a viewer has it pulled", async () => {
        const c = await admin.api("POST", "/api/streams", { path: "door", visibility: "private" });
        assert.equal(c.status, 201);
        const s = await admin.api("PATCH", "/api/streams/door", { source: cam.url, sourceOnDemand: true });
        assert.equal(s.status, 200, JSON.stringify(s.body));
        // Nobody watches: two thumbnail rounds (10 s apart) later, still nothing pulled, grabbed or recorded.
        await new Promise((r) => setTimeout(r, 12_000));
        assert.equal(await cam.readers(), 1, "only the always-on stream pulls");
        assert.equal((await admin.api("GET", "/api/streams/door/source")).body.source.state, "idle");
        const none = await admin.fetch("/thumbs/door.jpg");
        assert.equal(none.status, 404);
        await none.body?.cancel();
        assert.equal(files(join(rec, "door")), 0);

        // A viewer arrives (the player's first question wakes the source) and keeps watching.
        assert.equal((await admin.api("GET", "/api/streams/door/media")).body.live, true);
        await waitHlsOnline(admin, "door");
        let done = false;
        const watching = watchHls(admin, "door", () => done);
        try {
          const still = await waitFor("a still while watched", async () => {
            const res = await admin.fetch("/thumbs/door.jpg");
            if (res.status !== 200) return void await res.body?.cancel();
            return new Uint8Array(await res.arrayBuffer());
          }, 40_000);
          assert.ok(isJpeg(still));
          await waitFor(
            "a recording while pulled",
            () => Promise.resolve(files(join(rec, "door")) > 0 || undefined),
          );
        } finally {
          done = true;
          await watching;
        }
        // The viewer left: the camera is released (viewer window 15 s, HLS muxer 3 s, source 10 s), even
        // though the thumbnailer runs every 10 s; the still stays.
        await waitFor(
          "camera released by 'door'",
          async () => (await cam.readers()) === 1 || undefined,
          90_000,
        );
        await waitFor(
          "door idle",
          async () =>
            (await admin.api("GET", "/api/streams/door/source")).body.source.state === "idle" || undefined,
          20_000,
        );
        // Stays released over two more thumbnail rounds.
        await new Promise((r) => setTimeout(r, 21_000));
        assert.equal(await cam.readers(), 1, "the thumbnailer did not pull the camera again");
        const kept = await admin.fetch("/thumbs/door.jpg");
        assert.equal(kept.status, 200);
        assert.ok(isJpeg(new Uint8Array(await kept.arrayBuffer())));
      });
    } finally {
      await lg.stop();
      await disposeCamera(cam);
    }
  },
});
