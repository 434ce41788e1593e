// End to end for quality ladders (src/ladder/), with real MediaMTX, ffmpeg and ffprobe, sized for 2 cores:
// a 640x360 source and one encoded 180p rung (a 2-rung ladder: source + 180p), one publish for most steps.
// Settings are validated (400), the multivariant playlist lists both rungs with their attributes, each
// rung's init + segment decodes at its size, rung paths refuse outside publishes and take exactly the
// stream's watch permission, are never listed, the transcoder comes back after being killed, and no ffmpeg
// is left after the publisher stops or livegate stops.
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
  videoSize,
  waitFor,
} from "./harness.ts";

const METRICS_TOKEN = "ladder-metrics-token-0123456789";

const alive = (pid: number) => {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
};

/** Fetches init + last full segment of the media playlist at `base/playlist`, ffprobes width x height. */
async function probeRung(c: Client, base: string, playlist: string, dir: string): Promise<string> {
  const media = await waitFor(`segments in ${base}/${playlist}`, async () => {
    const r = await c.fetch(`${base}/${playlist}`);
    const t = await r.text();
    if (r.status === 200 && /\n[^#\n]*_seg\d+\.mp4/.test(t)) return t;
  }, 30_000);
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(media)![1];
  const seg = media.split("\n").filter((l) => /_seg\d+\.mp4$/.test(l)).pop()!;
  const parts: Uint8Array[] = [];
  for (const f of [init, seg]) {
    const r = await c.fetch(`${base}/${f}`);
    assert.equal(r.status, 200, `${base}/${f}`);
    parts.push(new Uint8Array(await r.arrayBuffer()));
  }
  const file = join(dir, `rung-${crypto.randomUUID()}.mp4`);
  await Deno.writeFile(file, new Uint8Array([...parts[0], ...parts[1]]));
  const dec = await run(needTool("ffmpeg"), ["-v", "error", "-i", file, "-f", "null", "-"]);
  assert.equal(dec.code, 0, dec.stderr);
  return await videoSize(file);
}

Deno.test({
  name: "e2e: quality ladder: settings, multivariant playlist, rungs decode, hidden paths, supervision",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lg = await startLivegate({ LIVEGATE_METRICS_TOKEN: METRICS_TOKEN });
    const rtmp = `rtmp://127.0.0.1:${lg.rtmpPort}`;
    const admin = new Client(lg.url);
    const anon = new Client(lg.url);
    let pub: Deno.ChildProcess | undefined;
    const pids: number[] = [];
    let rungVariant = "";
    try {
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);

      await t.step("bad ladders are 400 with a message; off by default; anonymous is refused", async () => {
        const cur = await admin.api("GET", "/api/streams/live/ladder");
        assert.equal(cur.status, 200);
        assert.equal(cur.body.ladder.enabled, false);
        const bad: [unknown, RegExp][] = [
          [{ enabled: true, rungs: [{ height: 180, kbps: 0 }] }, /kbps must be a positive/],
          [{ enabled: true, rungs: [{ height: 180, kbps: -5 }] }, /kbps must be a positive/],
          [{ enabled: true, rungs: ["720p", "480p", "360p", "240p", "180p"] }, /at most 4 rungs/],
          [{ enabled: true, rungs: [{ height: 181, kbps: 300 }] }, /even number of lines/],
          [{ enabled: true, rungs: ["999p"] }, /unknown preset/],
          [{ enabled: true, rungs: ["source"] }, /always the top rung/],
          [{ enabled: true, rungs: [] }, /at least one rung/],
          [{ enabled: "yes" }, /true or false/],
          [{ encoder: "gpu" }, /encoder must be one of/],
          ["on", /must be an object/],
        ];
        for (const [ladder, msg] of bad) {
          const r = await admin.api("PATCH", "/api/streams/live", { ladder });
          assert.equal(r.status, 400, JSON.stringify(ladder));
          assert.match(r.body.error, msg);
        }
        const mixed = await admin.api("PATCH", "/api/streams/live", {
          ladder: { enabled: false },
          title: "x",
        });
        assert.equal(mixed.status, 400);
        const noLogin = await anon.fetch("/api/streams/live", {
          method: "PATCH",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ladder: { enabled: true, rungs: ["180p"] } }),
        });
        assert.equal(noLogin.status, 401);
        await noLogin.body?.cancel();
        // Other PATCHes still reach the stream route.
        assert.equal((await admin.api("PATCH", "/api/streams/live", { title: "Ladder test" })).status, 200);
        const ok = await admin.api("PATCH", "/api/streams/live", {
          ladder: { enabled: true, rungs: [{ height: 180, kbps: 250 }] },
        });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.deepEqual(ok.body.ladder.rungs, [{ height: 180, kbps: 250 }]);
      });

      await t.step("publish: the multivariant playlist lists source and 180p rung", async () => {
        pub = publish(`${rtmp}/live?token=${lg.key}`, 300);
        const master = await waitFor("both rungs listed", async () => {
          const r = await admin.fetch("/hls/live/index.m3u8");
          const text = await r.text();
          if (r.status === 200 && text.includes("180p/")) return text;
        }, 45_000);
        const infs = master.split("\n").filter((l) => l.startsWith("#EXT-X-STREAM-INF:"));
        assert.equal(infs.length, 2, master);
        for (const inf of infs) {
          for (const a of ["BANDWIDTH=", "AVERAGE-BANDWIDTH=", "RESOLUTION=", "CODECS=", "FRAME-RATE="]) {
            assert.ok(inf.includes(a), `${a} in ${inf}`);
          }
        }
        assert.match(master, /RESOLUTION=640x360/);
        assert.match(master, /RESOLUTION=320x180/);
        const uris = master.split("\n").filter((l) => l && !l.startsWith("#"));
        assert.equal(uris.length, 2);
        const dir = lg.dataDir;
        assert.equal(await probeRung(admin, "/hls/live", uris[0], dir), "640x360");
        rungVariant = uris[1];
        const [rdir, rfile] = rungVariant.split("/");
        assert.equal(await probeRung(admin, `/hls/live/${rdir}`, rfile, dir), "320x180");
        assert.match(rungVariant, /^180p\//);
        // Audio renditions of both rungs answer.
        for (const m of master.matchAll(/URI="([^"]+)"/g)) {
          const r = await admin.fetch(`/hls/live/${m[1]}`);
          assert.equal(r.status, 200, m[1]);
          await r.body?.cancel();
        }
      });

      await t.step("a rung above the live source is 400", async () => {
        const r = await admin.api("PATCH", "/api/streams/live", { ladder: { rungs: ["720p", "180p"] } });
        assert.equal(r.status, 400);
        assert.match(r.body.error, /720p above the 360p source/);
      });

      await t.step(
        "rung paths: outside publishes refused, watching needs the stream's permission",
        async () => {
          const ext = publish(`${rtmp}/live/180p?token=${lg.key}`, 5);
          assert.notEqual((await ext.status).code, 0, "publishing to a rung path must fail");
          await ext.stderr.cancel();
          assert.ok(lg.logs.some((l) => /refused publish/.test(l)), "the refusal is logged");
          // The stream is private: the rung is refused without a login, as the stream is.
          for (const u of ["/hls/live/180p/index.m3u8", `/hls/live/${rungVariant}`]) {
            const r = await anon.fetch(u);
            assert.equal(r.status, 401, u);
            await r.body?.cancel();
          }
          // A user without the stream's permission (not on its allow-list) is refused the rung too.
          assert.equal(
            (await admin.api("POST", "/api/users", {
              name: "bob",
              role: "viewer",
              password: "bob-password-123",
            })).status,
            201,
          );
          assert.equal((await admin.api("PATCH", "/api/streams/live", { allow: ["carol"] })).status, 200);
          const bob = new Client(lg.url);
          assert.equal((await bob.login("bob", "bob-password-123")).status, 303);
          for (const u of ["/hls/live/index.m3u8", "/hls/live/180p/index.m3u8"]) {
            const r = await bob.fetch(u);
            assert.equal(r.status, 403, u);
            await r.body?.cancel();
          }
          // Unlisted with a share link: the link opens the stream's rungs too, and travels in their URIs.
          assert.equal(
            (await admin.api("PATCH", "/api/streams/live", { visibility: "unlisted", allow: [] })).status,
            200,
          );
          const share = await admin.api("POST", "/api/streams/live/shares", { hours: 1 });
          assert.equal(share.status, 201);
          const q = `share=${encodeURIComponent(share.body.token)}`;
          const mv = await anon.fetch(`/hls/live/index.m3u8?${q}`);
          assert.equal(mv.status, 200);
          const mvText = await mv.text();
          const rungUri = mvText.split("\n").find((l) => l.startsWith("180p/"));
          assert.ok(rungUri?.includes(q), `share in the rung's URI: ${rungUri}`);
          const viaShare = await new Client(lg.url).fetch(`/hls/live/${rungUri}`);
          assert.equal(viaShare.status, 200);
          assert.ok(
            (await viaShare.text()).includes(`?${q}`),
            "the rung's parts and segments carry the share",
          );
          const noShare = await new Client(lg.url).fetch(`/hls/live/${rungUri!.split("?")[0]}`);
          assert.equal(noShare.status, 401);
          await noShare.body?.cancel();
          // Made public, the rung plays for anyone, as the stream does.
          assert.equal(
            (await admin.api("PATCH", "/api/streams/live", { visibility: "public", allow: [] })).status,
            200,
          );
          const pubR = await anon.fetch("/hls/live/180p/index.m3u8");
          assert.equal(pubR.status, 200);
          await pubR.body?.cancel();
          // Never listed.
          const live = await admin.api("GET", "/api/live");
          assert.deepEqual(live.body.streams.map((s: { path: string }) => s.path), ["live"]);
          const streams = await admin.api("GET", "/api/streams");
          assert.ok(streams.body.streams.every((s: { path: string }) => !s.path.includes("/")));
        },
      );

      await t.step("the transcoder killed comes back by itself; /metrics shows its speed", async () => {
        const st = await admin.api("GET", "/api/streams/live/ladder");
        assert.equal(st.body.status.state, "running");
        const pid = st.body.status.pid as number;
        assert.ok(pid > 0);
        Deno.kill(pid, "SIGKILL");
        const back = await waitFor("transcoder back", async () => {
          const s = (await admin.api("GET", "/api/streams/live/ladder")).body.status;
          if (s.state === "running" && s.pid && s.pid !== pid && s.restarts >= 1) return s;
        }, 30_000);
        pids.push(back.pid);
        // The rung's playlist moves on again.
        const seq = async () => {
          const t = await (await admin.fetch(`/hls/live/${rungVariant}`)).text();
          return t.split("\n").filter((l) => /_seg\d+\.mp4$/.test(l)).pop() ?? "";
        };
        const first = await waitFor("rung segments", async () => (await seq()) || undefined, 30_000);
        await waitFor("a new rung segment", async () => ((await seq()) !== first ? true : undefined), 30_000);
        const metrics = await waitFor("encoder speed in /metrics", async () => {
          const m = await (await fetch(`${lg.url}/metrics`, {
            headers: { authorization: `Bearer ${METRICS_TOKEN}` },
          })).text();
          if (/livegate_ladder_encoder_speed\{path="live"\} [0-9.]+/.test(m)) return m;
        }, 20_000);
        assert.match(metrics, /livegate_ladder_restarts\{path="live"\} [1-9]/);
      });

      await t.step("changing the rungs while live restarts the ladder; off stops its ffmpeg", async () => {
        const before = (await admin.api("GET", "/api/streams/live/ladder")).body.status.pid as number;
        const r = await admin.api("PATCH", "/api/streams/live", {
          ladder: { rungs: ["180p", { height: 144, kbps: 150 }] },
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const master = await waitFor("three variants", async () => {
          const t = await (await admin.fetch("/hls/live/index.m3u8")).text();
          return t.includes("144p/") && t.includes("180p/") ? t : undefined;
        }, 45_000);
        assert.match(master, /RESOLUTION=256x144/);
        assert.equal(alive(before), false, "the old ffmpeg was stopped");
        const now = (await admin.api("GET", "/api/streams/live/ladder")).body.status;
        pids.push(now.pid);
        assert.equal(
          (await admin.api("PATCH", "/api/streams/live", { ladder: { enabled: false } })).status,
          200,
        );
        await waitFor("ladder off", async () => {
          const s = (await admin.api("GET", "/api/streams/live/ladder")).body.status;
          return s.state === "off" && !alive(now.pid) ? true : undefined;
        }, 30_000);
        // Back to MediaMTX's own multivariant playlist: the source alone.
        const single = await waitFor("source only", async () => {
          const t = await (await admin.fetch("/hls/live/index.m3u8")).text();
          return t.includes("#EXT-X-STREAM-INF") && !t.includes("p/") ? t : undefined;
        }, 30_000);
        assert.equal(single.split("\n").filter((l) => l.startsWith("#EXT-X-STREAM-INF")).length, 1);
        assert.equal(
          (await admin.api("PATCH", "/api/streams/live", { ladder: { enabled: true, rungs: ["180p"] } }))
            .status,
          200,
        );
        const again = await waitFor("running again", async () => {
          const s = (await admin.api("GET", "/api/streams/live/ladder")).body.status;
          return s.state === "running" && s.pid ? s : undefined;
        }, 45_000);
        pids.push(again.pid);
      });

      await t.step("publisher stops: the ladder's ffmpeg is gone", async () => {
        await stopProc(pub!);
        pub = undefined;
        await waitFor(
          "ffmpeg gone",
          () => Promise.resolve(pids.every((p) => !alive(p)) ? true : undefined),
          30_000,
        );
        await waitFor("ladder off", async () => {
          const s = (await admin.api("GET", "/api/streams/live/ladder")).body.status;
          return s.state === "off" ? true : undefined;
        }, 30_000);
      });

      await t.step("livegate stops: no ffmpeg left behind", async () => {
        pub = publish(`${rtmp}/live?token=${lg.key}`, 300);
        const s = await waitFor("transcoder running again", async () => {
          const s = (await admin.api("GET", "/api/streams/live/ladder")).body.status;
          if (s.state === "running" && s.pid) return s;
        }, 45_000);
        await lg.stop();
        assert.equal(alive(s.pid), false, "the ladder's ffmpeg outlived livegate");
      });
    } finally {
      if (pub) await stopProc(pub);
      await lg.stop();
    }
  },
});
