// End to end with real MediaMTX + ffmpeg: two streams live at once, each watched through livegate (ffprobe
// tells them apart by resolution), a public one without login, live list with viewer counts, the dashboard's
// live session info (publisher address, codecs, bitrate), and one publisher kicked while the other goes on.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ADMIN_PASSWORD,
  Client,
  needTool,
  publish,
  run,
  startLivegate,
  stopProc,
  waitFor,
  waitHlsOnline,
} from "./harness.ts";

const api = (c: Client, method: string, path: string, body?: unknown) => c.api(method, path, body);

/** Fetches the stream's playlists and newest segment through livegate; returns the decoded video size. */
async function watchOnce(c: Client, path: string, dir: string): Promise<string> {
  const master = await waitHlsOnline(c, path);
  const variant = master.split("\n").find((l) => l.endsWith(".m3u8") && !l.startsWith("#"))!;
  const media = await (await c.fetch(`/hls/${path}/${variant}`)).text();
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(media)![1];
  const seg = media.split("\n").filter((l) => l.endsWith(".mp4") && !l.startsWith("#")).pop()!;
  const parts: Uint8Array[] = [];
  for (const f of [init, seg]) {
    const r = await c.fetch(`/hls/${path}/${f}`);
    assert.equal(r.status, 200, `${path}/${f}`);
    parts.push(new Uint8Array(await r.arrayBuffer()));
  }
  const file = join(dir, `${path}.mp4`);
  await Deno.writeFile(file, new Uint8Array([...parts[0], ...parts[1]]));
  const probe = await run(needTool("ffprobe"), [
    "-v",
    "error",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=codec_name,width,height",
    "-of",
    "csv=p=0",
    file,
  ]);
  assert.equal(probe.code, 0, probe.stderr);
  return probe.stdout.trim();
}

Deno.test({
  name: "e2e: two streams at once, each watched, live list + session info, one publisher kicked",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lg = await startLivegate();
    const admin = new Client(lg.url);
    const sam = new Client(lg.url);
    const anon = new Client(lg.url);
    const rtmp = `rtmp://127.0.0.1:${lg.rtmpPort}`;
    const pubs: Deno.ChildProcess[] = [];
    try {
      let studioKey = "";
      await t.step("admin creates a streamer and a public stream; the streamer makes a key", async () => {
        assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
        const u = await api(admin, "POST", "/api/users", { name: "sam", role: "streamer" });
        assert.equal(u.status, 201, JSON.stringify(u.body));
        const s = await api(admin, "POST", "/api/streams", {
          path: "studio",
          title: "Studio",
          visibility: "public",
          owner: "sam",
        });
        assert.equal(s.status, 201, JSON.stringify(s.body));
        // "live" got its CLI key from the harness, which registered it (private, admins manage it).
        const live = await api(admin, "GET", "/api/streams/live");
        assert.equal(live.status, 200, JSON.stringify(live.body));
        assert.equal(live.body.stream.visibility, "private");
        assert.equal((await api(admin, "POST", "/api/streams", { path: "live" })).status, 409);
        assert.equal((await sam.login("sam", u.body.password)).status, 303);
        const k = await api(sam, "POST", "/api/streams/studio/keys", { name: "obs" });
        assert.equal(k.status, 201);
        studioKey = k.body.key;
        // sam's key does not open the admin's stream.
        const wrong = publish(`${rtmp}/live?token=${studioKey}`, 5);
        assert.notEqual((await wrong.status).code, 0, "a key for another path is refused");
        await wrong.stderr.cancel();
      });

      await t.step("both publish at once; each is watched and decodes at its own size", async () => {
        pubs.push(publish(`${rtmp}/live?token=${lg.key}`));
        pubs.push(publish(`${rtmp}/studio?token=${studioKey}`, 120, ["-vf", "scale=320:180"]));
        const [a, b] = await Promise.all([
          watchOnce(admin, "live", lg.dataDir),
          watchOnce(anon, "studio", lg.dataDir), // public: no login
        ]);
        assert.equal(a, "h264,640,360");
        assert.equal(b, "h264,320,180");
        // The private stream stays closed to the anonymous viewer.
        const r = await anon.fetch("/hls/live/index.m3u8");
        assert.equal(r.status, 401);
        await r.body?.cancel();
      });

      await t.step(
        "live list: both live with viewer counts; anonymous sees only the public one",
        async () => {
          const list = await waitFor("both live with viewers", async () => {
            const r = await api(admin, "GET", "/api/live");
            const rows = r.body.streams as { path: string; live: boolean; viewers: number }[];
            const live = rows.filter((s) => s.live && s.viewers >= 1).map((s) => s.path).sort();
            if (live.join() === "live,studio") return rows;
          });
          assert.equal(list.length, 2);
          const pub = (await api(anon, "GET", "/api/live")).body.streams as { path: string }[];
          assert.deepEqual(pub.map((s) => s.path), ["studio"]);
          const home = await (await anon.fetch("/")).text();
          assert.match(home, /\/watch\/studio/);
        },
      );

      await t.step("dashboard live info: publisher address, codecs, bitrate, viewers", async () => {
        const info = await waitFor("bitrate measured", async () => {
          const r = await api(sam, "GET", "/api/streams/studio/live");
          assert.equal(r.status, 200, JSON.stringify(r.body));
          if (r.body.bitrate > 0) return r.body;
          await new Promise((res) => setTimeout(res, 600));
        });
        assert.equal(info.online, true);
        assert.match(info.publisher.remoteAddr, /^127\.0\.0\.1:\d+$/);
        assert.equal(info.publisher.type, "rtmpConn");
        assert.ok(info.codecs.includes("H264"), info.codecs.join());
        assert.ok(info.bitrate > 10_000 && info.bitrate < 50_000_000, String(info.bitrate));
        assert.ok(info.viewers.some((v: { kind: string }) => v.kind === "anonymous"));
        // The streamer may not look at the admin's stream.
        assert.equal((await api(sam, "GET", "/api/streams/live/live")).status, 403);
      });

      await t.step("the owner kicks the studio publisher: it drops, the other stream goes on", async () => {
        const k = await api(sam, "POST", "/api/streams/studio/kick");
        assert.equal(k.status, 200, JSON.stringify(k.body));
        assert.equal(k.body.kicked.type, "rtmpConn");
        const st = await Promise.race([
          pubs[1].status,
          new Promise<null>((r) => setTimeout(() => r(null), 15_000)),
        ]);
        assert.ok(st !== null, "the kicked ffmpeg exits");
        await waitFor("studio offline", async () => {
          const r = await anon.fetch("/hls/studio/index.m3u8");
          await r.body?.cancel();
          if (r.status === 404) return true;
        });
        const r = await admin.fetch("/hls/live/index.m3u8");
        assert.equal(r.status, 200, "the other stream is still live");
        await r.body?.cancel();
        assert.equal(
          (await api(admin, "POST", "/api/streams/studio/kick")).status,
          404,
          "nobody left to kick",
        );
        const audit = (await api(admin, "GET", "/api/audit")).body.entries as {
          action: string;
          actor: string;
        }[];
        assert.ok(audit.some((a) => a.action === "publisher.kick" && a.actor === "sam"));
      });
    } finally {
      for (const p of pubs) await stopProc(p);
      await lg.stop();
    }
  },
});
