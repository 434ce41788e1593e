// End to end with real parts: a second MediaMTX plays an IP camera (RTSP with a password); livegate pulls
// it into a stream set through PATCH /api/streams/<path> (always on, then on demand). Bad URLs are 400 with
// a message; the camera's password shows nowhere (API, dashboard, log, KV file); a stream with a source
// refuses publishes; the source is applied again after MediaMTX restarts; a camera that goes away shows
// "error" with the reason, then live again by itself; an on-demand source starts for the first viewer the
// door allows and stops after the last one left.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ADMIN_PASSWORD,
  Client,
  publish,
  startLivegate,
  stopProc,
  waitFor,
  waitHlsOnline,
} from "./harness.ts";
import { disposeCamera, startCamera } from "./camera.ts";

Deno.test({
  name: "e2e/sources: pull an RTSP camera (always on, on demand), state, recovery, secrets",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const cam = await startCamera();
    // The HLS muxer (livegate's one reader of an on-demand path) closes 3 s after the last viewer's request.
    const lg = await startLivegate({ MTX_HLSMUXERCLOSEAFTER: "3s" }).catch(async (e) => {
      await disposeCamera(cam);
      throw e;
    });
    const admin = new Client(lg.url);
    try {
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      const source = async (path: string) =>
        (await admin.api("GET", `/api/streams/${path}/source`)).body.source;

      await t.step("bad source URLs are 400 with a message", async () => {
        const rtsp = lg.env.LIVEGATE_RTSP_PORT;
        const cases: [unknown, RegExp][] = [
          ["ftp://camera.example/x", /unknown scheme 'ftp'/],
          ["not a url", /spaces|not a URL/],
          ["rtsp//missing-colon", /not a URL/],
          [42, /must be a URL string/],
          [`rtsp://127.0.0.1:${rtsp}/live`, /livegate itself/],
          [`rtmp://localhost:${lg.rtmpPort}/live`, /livegate itself/],
          [`http://127.0.0.1:${new URL(lg.url).port}/hls/live/index.m3u8`, /livegate itself/],
          ["srt://camera.example", /need a port/],
        ];
        for (const [url, msg] of cases) {
          const r = await admin.api("PATCH", "/api/streams/live", { source: url });
          assert.equal(r.status, 400, `${url}`);
          assert.match(r.body.error, msg, `${url}`);
        }
        const od = await admin.api("PATCH", "/api/streams/live", { sourceOnDemand: "yes" });
        assert.equal(od.status, 400);
        assert.equal((await admin.api("GET", "/api/streams/live/source")).status, 404);
      });

      await t.step("always on: set through PATCH, masked, live from MediaMTX's API, plays", async () => {
        const r = await admin.api("PATCH", "/api/streams/live", { source: cam.url, visibility: "public" });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.stream.visibility, "public", "the other fields of the body were applied too");
        assert.equal(r.body.sourceApplied, true);
        assert.match(r.body.source.url, /^rtsp:\/\/cam:\*\*\*@127\.0\.0\.1:\d+\/stream1$/);
        const s = await waitFor("source live", async () => {
          const v = await source("live");
          return v.state === "live" ? v : undefined;
        }, 30_000);
        assert.equal(s.onDemand, false);
        assert.ok(s.since);
        // Anyone may watch a public stream: the door decides pulled streams as pushed ones.
        const master = await waitHlsOnline(new Client(lg.url), "live");
        assert.match(master, /avc1\./);
        assert.equal(await cam.readers(), 1);
      });

      await t.step("a stream with a source refuses a publish with a valid key", async () => {
        const p = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 5);
        assert.notEqual((await p.status).code, 0, "ffmpeg must be refused");
        await p.stderr.cancel();
        await waitFor(
          "refusal logged",
          () =>
            Promise.resolve(
              lg.logs.some((l) => /refused publish to 'live'.*pulls from a source/.test(l)) || undefined,
            ),
        );
      });

      await t.step("the camera's password shows in no answer, page, log line or the KV file", async () => {
        const texts = [
          JSON.stringify((await admin.api("GET", "/api/streams/live")).body),
          JSON.stringify((await admin.api("GET", "/api/streams")).body),
          await (await admin.fetch("/admin/streams/live")).text(),
          lg.logs.join("\n"),
        ];
        assert.match(texts[0], /cam:\*\*\*@/);
        for (const text of texts) assert.ok(!text.includes(cam.password), "password leaked");
        for await (const e of Deno.readDir(lg.dataDir)) {
          if (!e.name.startsWith("livegate.kv")) continue;
          const bytes = new TextDecoder("latin1").decode(await Deno.readFile(join(lg.dataDir, e.name)));
          assert.ok(!bytes.includes(cam.password), `password in clear in ${e.name}`);
        }
      });

      await t.step("MediaMTX restarted: the source is applied again and live", async () => {
        const pids = () =>
          lg.logs.map((l) => Number(/MediaMTX started \(pid (\d+)\)/.exec(l)?.[1])).filter((n) => n > 0);
        const [pid] = pids();
        Deno.kill(pid, "SIGKILL");
        await waitFor("MediaMTX restarted", () => Promise.resolve(pids().length > 1 || undefined), 30_000);
        await waitFor(
          "source live again",
          async () => (await source("live")).state === "live" || undefined,
          40_000,
        );
      });

      await t.step("the camera goes away: error with the reason; back: live again by itself", async () => {
        await cam.stop();
        const err = await waitFor("source error", async () => {
          const v = await source("live");
          return v.state === "error" ? v : undefined;
        }, 30_000);
        assert.equal(err.retrying, true);
        assert.match(err.reason, /RTSP source: .+/);
        assert.ok(!err.reason.includes(cam.password));
        await cam.start();
        await waitFor(
          "source live again",
          async () => (await source("live")).state === "live" || undefined,
          40_000,
        );
      });

      await t.step(
        "on demand: idle, started for the first allowed viewer, stopped after the last left",
        async () => {
          const c = await admin.api("POST", "/api/streams", { path: "door", visibility: "private" });
          assert.equal(c.status, 201);
          const r = await admin.api("PATCH", "/api/streams/door", { source: cam.url, sourceOnDemand: true });
          assert.equal(r.status, 200, JSON.stringify(r.body));
          assert.equal(r.body.source.onDemand, true);
          assert.equal((await source("door")).state, "idle");
          // Someone the door refuses (anonymous, private stream) does not start it.
          const anon = await fetch(`${lg.url}/api/streams/door/media`);
          assert.equal(anon.status, 401);
          await anon.body?.cancel();
          await new Promise((r) => setTimeout(r, 1500));
          assert.equal(await cam.readers(), 1, "only the always-on stream pulls");
          // The first viewer: the player's first question starts the source and finds it live.
          const info = (await admin.api("GET", "/api/streams/door/media")).body;
          assert.equal(info.live, true, JSON.stringify(info));
          assert.equal(info.video, "H264");
          assert.equal(await cam.readers(), 2);
          const master = await waitHlsOnline(admin, "door");
          const variant = master.split("\n").find((l) => l.endsWith(".m3u8") && !l.startsWith("#"))!;
          for (let i = 0; i < 6; i++) {
            const v = await admin.fetch(`/hls/door/${variant}`);
            assert.equal(v.status, 200);
            await v.body?.cancel();
            await new Promise((r) => setTimeout(r, 500));
          }
          assert.equal((await source("door")).state, "live");
          // The viewer left: MediaMTX closes the source (HLS muxer after 3 s, then sourceOnDemandCloseAfter).
          await waitFor(
            "camera pulled by one stream only",
            async () => (await cam.readers()) === 1 || undefined,
            45_000,
          );
          await waitFor(
            "door idle",
            async () => (await source("door")).state === "idle" || undefined,
            10_000,
          );
        },
      );

      await t.step("removing the source: publishes are allowed again", async () => {
        const r = await admin.api("PATCH", "/api/streams/live", { source: null });
        assert.equal(r.status, 200);
        assert.equal(r.body.source, null);
        assert.equal((await admin.api("GET", "/api/streams/live/source")).status, 404);
        const p = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 30);
        try {
          await waitHlsOnline(admin, "live");
        } finally {
          await stopProc(p);
        }
      });
    } finally {
      await lg.stop();
      await disposeCamera(cam);
    }
  },
});
