// End to end with real MediaMTX and ffmpeg: publish with a key, watch LL-HLS through livegate, ffprobe
// decodes what came through; wrong keys are refused; no session gets 401.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Client, needTool, publish, run, startLivegate, stopProc, waitFor } from "./harness.ts";
import { ADMIN_PASSWORD } from "./harness.ts";

Deno.test({
  name: "e2e: publish over RTMP with a key, watch LL-HLS through livegate, ffprobe decodes it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lg = await startLivegate({
      // Two HTTP isolates (issue #20 item 4): the same test, the port served by two workers.
      LIVEGATE_WORKERS: "2",
    });
    const rtmp = `rtmp://127.0.0.1:${lg.rtmpPort}/live`;
    const viewer = new Client(lg.url);
    let pub: Deno.ChildProcess | undefined;
    try {
      await t.step("no session: playlist is 401", async () => {
        const res = await fetch(`${lg.url}/hls/live/index.m3u8`);
        assert.equal(res.status, 401);
        await res.body?.cancel();
      });

      await t.step("login, stream offline: 404 with a message", async () => {
        const res = await viewer.login("admin", ADMIN_PASSWORD, "/watch/live");
        assert.equal(res.status, 303);
        assert.equal(res.headers.get("location"), "/watch/live");
        const off = await viewer.fetch("/hls/live/index.m3u8");
        assert.equal(off.status, 404);
        assert.match((await off.json()).error, /offline/);
      });

      await t.step("a wrong key's publish is refused", async () => {
        const bad = publish(`${rtmp}?token=lg_wrongwrongwrong`, 5);
        const st = await bad.status;
        const err = new TextDecoder().decode((await new Response(bad.stderr).arrayBuffer()) as ArrayBuffer);
        assert.notEqual(st.code, 0, "ffmpeg must fail with a wrong key");
        assert.match(err, /authentication failed|not permitted|Input\/output error/i);
        const missing = publish(rtmp, 5);
        assert.notEqual((await missing.status).code, 0, "ffmpeg must fail without a key");
        await missing.stderr.cancel();
      });

      await t.step("valid key publishes; playlist, parts and segments come through livegate", async () => {
        pub = publish(`${rtmp}?token=${lg.key}`);
        const master = await waitFor("stream online", async () => {
          const r = await viewer.fetch("/hls/live/index.m3u8");
          if (r.status === 200) return await r.text();
          await r.body?.cancel();
        });
        assert.match(master, /#EXTM3U/);
        assert.match(master, /avc1\./);
        assert.match(master, /mp4a\.40/);
        const variant = master.split("\n").find((l) => l.endsWith(".m3u8") && !l.startsWith("#"))!;
        const vres = await viewer.fetch(`/hls/live/${variant}`);
        assert.equal(vres.status, 200);
        assert.equal(vres.headers.get("content-type"), "application/vnd.apple.mpegurl");
        assert.match(vres.headers.get("cache-control") ?? "", /no-cache/);
        const media = await vres.text();
        assert.match(media, /#EXT-X-PART:/, "low-latency parts");
        const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(media)![1];
        const segs = media.split("\n").filter((l) => l.endsWith(".mp4") && !l.startsWith("#"));
        assert.ok(segs.length >= 1, "at least one full segment");

        // LL-HLS blocking reload: ask for the next part; MediaMTX holds the request until it exists.
        const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(media)![1]) + segs.length;
        const t0 = Date.now();
        const blocked = await viewer.fetch(`/hls/live/${variant}?_HLS_msn=${msn}&_HLS_part=0`);
        assert.equal(blocked.status, 200);
        const blockedText = await blocked.text();
        assert.ok(Date.now() - t0 < 5000, "blocking reload answered");
        assert.match(blockedText, new RegExp(`_seg${msn}|_part`));

        const bytes: Uint8Array[] = [];
        for (const f of [init, segs[segs.length - 1]]) {
          const r = await viewer.fetch(`/hls/live/${f}`);
          assert.equal(r.status, 200);
          assert.equal(r.headers.get("content-type"), "video/mp4");
          bytes.push(new Uint8Array(await r.arrayBuffer()));
        }
        // The same segment for a viewer whose first request this is (the app checks it in full) and again
        // for the viewer above (its pass: the hot path answers from memory): same bytes, same headers.
        const fresh = new Client(lg.url);
        assert.equal((await fresh.login("admin", ADMIN_PASSWORD)).status, 303);
        const seg = segs[segs.length - 1];
        const viaApp = await fresh.fetch(`/hls/live/${seg}`);
        const viaPass = await viewer.fetch(`/hls/live/${seg}`);
        assert.deepEqual(new Uint8Array(await viaPass.arrayBuffer()), bytes[1]);
        assert.deepEqual(new Uint8Array(await viaApp.arrayBuffer()), bytes[1]);
        for (
          const h of ["content-type", "content-length", "cache-control", "x-frame-options", "referrer-policy"]
        ) {
          assert.ok(viaApp.headers.get(h), h);
          assert.equal(viaPass.headers.get(h), viaApp.headers.get(h), h);
        }
        const file = join(lg.dataDir, "seg.mp4");
        await Deno.writeFile(file, new Uint8Array([...bytes[0], ...bytes[1]]));
        const probe = await run(needTool("ffprobe"), [
          "-v",
          "error",
          "-show_entries",
          "stream=codec_type,codec_name",
          "-of",
          "csv=p=0",
          file,
        ]);
        assert.equal(probe.code, 0, probe.stderr);
        assert.match(probe.stdout, /h264,video/);
        // Decode every frame: fails on a corrupt segment.
        const dec = await run(needTool("ffmpeg"), ["-v", "error", "-i", file, "-f", "null", "-"]);
        assert.equal(dec.code, 0, dec.stderr);
        assert.equal(dec.stderr.trim(), "");

        // The audio rendition decodes as AAC too.
        const audio = master.match(/URI="([^"]+\.m3u8)"/)?.[1];
        assert.ok(audio, "audio rendition listed");
        const am = await (await viewer.fetch(`/hls/live/${audio}`)).text();
        const ainit = /#EXT-X-MAP:URI="([^"]+)"/.exec(am)![1];
        const aseg = am.split("\n").filter((l) => l.endsWith(".mp4") && !l.startsWith("#")).pop()!;
        const ab = [
          new Uint8Array(await (await viewer.fetch(`/hls/live/${ainit}`)).arrayBuffer()),
          new Uint8Array(await (await viewer.fetch(`/hls/live/${aseg}`)).arrayBuffer()),
        ];
        const afile = join(lg.dataDir, "aseg.mp4");
        await Deno.writeFile(afile, new Uint8Array([...ab[0], ...ab[1]]));
        const aprobe = await run(needTool("ffprobe"), [
          "-v",
          "error",
          "-show_entries",
          "stream=codec_name",
          "-of",
          "csv=p=0",
          afile,
        ]);
        assert.equal(aprobe.code, 0, aprobe.stderr);
        assert.match(aprobe.stdout, /aac/);
      });

      await t.step("many viewers share MediaMTX's one CDN session", async () => {
        const others = await Promise.all(
          Array.from({ length: 5 }, async () => {
            const c = new Client(lg.url);
            assert.equal((await c.login("admin", ADMIN_PASSWORD)).status, 303);
            return c;
          }),
        );
        const results = await Promise.all(others.map((c) => c.fetch("/hls/live/index.m3u8")));
        for (const r of results) {
          assert.equal(r.status, 200);
          await r.body?.cancel();
        }
      });

      await t.step("bad file names and paths are 404, not passed upstream", async () => {
        for (
          const p of [
            "/hls/live/..%2F..%2Fetc",
            "/hls/..%2Flive/index.m3u8",
            "/hls/live/.hidden",
            "/hls/live/a/b",
          ]
        ) {
          const r = await viewer.fetch(p);
          assert.equal(r.status, 404, p);
          await r.body?.cancel();
        }
        const r = await viewer.fetch("/hls/live/index.m3u8?_HLS_msn=abc");
        assert.equal(r.status, 400);
        await r.body?.cancel();
      });

      await t.step("the stream key shows as used", async () => {
        const list = await lg.cli("key", "list", "live");
        assert.equal(list.code, 0);
        assert.doesNotMatch(list.stdout, /last used never/);
      });
    } finally {
      if (pub) await stopProc(pub);
      await lg.stop();
    }
  },
});

Deno.test({
  name: "e2e: OBS-style RTMP forms (query in server URL or in the stream key) publish",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate();
    const viewer = new Client(lg.url);
    try {
      assert.equal((await viewer.login("admin", ADMIN_PASSWORD)).status, 303);
      const base = `rtmp://127.0.0.1:${lg.rtmpPort}`;
      // OBS "Server" rtmp://host:1935/live?token=KEY with an empty Stream Key, as OBS's librtmp sends it.
      const forms: string[][] = [
        [
          "-rtmp_tcurl",
          `${base}/live?token=${lg.key}`,
          "-rtmp_app",
          `live?token=${lg.key}`,
          "-rtmp_playpath",
          "",
        ],
        // OBS Server rtmp://host:1935 and Stream Key live?token=KEY.
        ["-rtmp_tcurl", base, "-rtmp_app", "", "-rtmp_playpath", `live?token=${lg.key}`],
      ];
      for (const extra of forms) {
        const p = publish(`${base}/live`, 60, extra);
        try {
          await waitFor("stream online", async () => {
            const r = await viewer.fetch("/hls/live/index.m3u8");
            await r.body?.cancel();
            return r.status === 200 ? true : undefined;
          });
        } finally {
          await stopProc(p);
        }
        await waitFor("stream offline", async () => {
          const r = await viewer.fetch("/hls/live/index.m3u8");
          await r.body?.cancel();
          return r.status === 404 ? true : undefined;
        });
      }
    } finally {
      await lg.stop();
    }
  },
});
