// Thumbnails end to end (issue #22) with real MediaMTX and ffmpeg: a live private stream gets a still that
// only a session may fetch (401 without one), the still changes while the stream runs (two fetches 15 s
// apart differ), the public watch page carries og:image/twitter:image pointing at a still that answers 200
// without a login, the player has it as poster, and the last still stays when the stream goes offline.
import assert from "node:assert/strict";
import {
  ADMIN_PASSWORD,
  Client,
  publish,
  startLivegate,
  stopProc,
  waitFor,
  waitHlsOnline,
} from "./harness.ts";

const isJpeg = (b: Uint8Array) => b.length > 100 && b[0] === 0xff && b[1] === 0xd8;

Deno.test({
  name: "e2e/thumbs: stills of a live stream, refreshed, guarded like watching, og:image on the public page",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lg = await startLivegate();
    const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 120, { size: "320x180" });
    try {
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      await waitHlsOnline(admin, "live");
      let first = new Uint8Array();
      let firstAt = 0;

      await t.step("a private stream's still: 401 without a session, a JPEG with one", async () => {
        first = await waitFor("the first still", async () => {
          const r = await admin.fetch("/thumbs/live.jpg");
          if (r.status !== 200) return void await r.body?.cancel();
          assert.equal(r.headers.get("content-type"), "image/jpeg");
          return new Uint8Array(await r.arrayBuffer());
        }, 40_000);
        firstAt = Date.now();
        assert.ok(isJpeg(first), "the still is a JPEG");
        const anon = await fetch(`${lg.url}/thumbs/live.jpg`);
        assert.equal(anon.status, 401);
        assert.match((await anon.json()).error, /login required/);
        const bad = await admin.fetch("/thumbs/..%2Fetc%2Fpasswd.jpg");
        assert.equal(bad.status, 404);
        await bad.body?.cancel();
      });

      await t.step("two fetches 15 s apart differ", async () => {
        await new Promise((r) => setTimeout(r, Math.max(0, 15_000 - (Date.now() - firstAt))));
        const r = await admin.fetch("/thumbs/live.jpg");
        assert.equal(r.status, 200);
        const second = new Uint8Array(await r.arrayBuffer());
        assert.ok(isJpeg(second));
        assert.notDeepEqual(second, first, "a new still after 15 s");
      });

      await t.step(
        "the public watch page has og:image, answering 200 without a login; poster too",
        async () => {
          assert.equal(
            (await admin.api("PATCH", "/api/streams/live", { visibility: "public", title: "Test Tv" }))
              .status,
            200,
          );
          const page = await (await fetch(`${lg.url}/watch/live`)).text();
          const og = /<meta property="og:image" content="([^"]+)"/.exec(page)?.[1];
          assert.ok(og, "og:image present");
          assert.match(page, /<meta name="twitter:image" content="[^"]+"/);
          assert.match(page, /<meta property="og:title" content="Test Tv"/);
          assert.match(page, /<video id="video"[^>]* poster="\/thumbs\/live\.jpg\?t=\d+"/);
          assert.doesNotMatch(page, /id="rewind"/, "no rewind without the right to see the recordings");
          assert.match(await (await admin.fetch("/watch/live")).text(), /id="rewind" data-clip="1"/);
          const img = await fetch(og.replaceAll("&amp;", "&"));
          assert.equal(img.status, 200);
          assert.ok(isJpeg(new Uint8Array(await img.arrayBuffer())));
          // Private again: no preview tags, and the still needs a session again.
          assert.equal(
            (await admin.api("PATCH", "/api/streams/live", { visibility: "private" })).status,
            200,
          );
          const priv = await (await admin.fetch("/watch/live")).text();
          assert.doesNotMatch(priv, /og:image/);
          const anon = await fetch(`${lg.url}/thumbs/live.jpg`);
          assert.equal(anon.status, 401);
          await anon.body?.cancel();
        },
      );

      await t.step("offline: the last still is kept", async () => {
        await stopProc(pub);
        await waitFor("stream offline", async () => {
          const r = await admin.api("GET", "/api/live");
          return r.body.streams.find((s: { path: string; live: boolean }) => s.path === "live" && !s.live)
            ? true
            : undefined;
        }, 30_000);
        const r = await admin.fetch("/thumbs/live.jpg");
        assert.equal(r.status, 200);
        assert.ok(isJpeg(new Uint8Array(await r.arrayBuffer())));
        const home = await (await admin.fetch("/")).text();
        assert.match(home, /\/static\/thumbs\.js/);
      });
    } finally {
      await stopProc(pub);
      await lg.stop();
    }
  },
});
