// Clips and rewind end to end (issue #22) with real MediaMTX, ffmpeg, ffprobe and Chromium, one publish:
// the last 10 s are cut into an MP4 that ffprobe reads as 10 s ± 1 s; bad ranges, strangers and floods
// get 4xx with a message; the clip page plays in Chromium; its share link works for an anonymous viewer
// while the stream is public and not while it is private; who may clip follows the stream's setting, who
// may delete is the creator, the owner or an admin; Chromium rewinds the live stream 20 s and returns to
// live, the picture advancing both times.
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
import { launchChromium } from "./chromium.ts";

async function probeDuration(file: string): Promise<number> {
  const r = await run(needTool("ffprobe"), [
    ...["-v", "error", "-show_entries", "format=duration:stream=codec_type", "-of", "json", file],
  ]);
  assert.equal(r.code, 0, `ffprobe failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { format: { duration: string }; streams: { codec_type: string }[] };
  assert.ok(j.streams.some((s) => s.codec_type === "video"), "the clip has video");
  return Number(j.format.duration);
}

/** Seconds recorded in the last span of `path`. */
async function recordedSeconds(c: Client, path: string): Promise<number> {
  const r = await c.api("GET", `/api/recordings/${path}`);
  return r.status === 200 ? (r.body.spans.at(-1)?.duration ?? 0) : 0;
}

Deno.test({
  name:
    "e2e/clips: cut the last 10 s, bad input, share link by visibility, the clip page and rewind in Chromium",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lg = await startLivegate();
    const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 240, { size: "320x180" });
    const tmp = await Deno.makeTempDir({ prefix: "livegate-clips-" });
    try {
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      assert.equal(
        (await admin.api("POST", "/api/users", { name: "vic", role: "viewer", password: "vic-password-1" }))
          .status,
        201,
      );
      const vic = new Client(lg.url);
      assert.equal((await vic.login("vic", "vic-password-1")).status, 303);
      await waitHlsOnline(admin, "live");
      await waitFor(
        "15 s recorded",
        async () => (await recordedSeconds(admin, "live")) >= 15 || undefined,
        60_000,
      );
      let clipId = "";

      await t.step(
        "cut the last 10 s: an MP4 of 10 s ± 1 s (ffprobe), copied under the data dir",
        async () => {
          const r = await admin.api("POST", "/api/clips", { path: "live", last: 10, title: "Ten seconds" });
          assert.equal(r.status, 201, JSON.stringify(r.body));
          clipId = r.body.clip.id;
          assert.equal(r.body.clip.duration, 10);
          const media = await admin.fetch(`/clips/${clipId}/media`);
          assert.equal(media.status, 200);
          assert.equal(media.headers.get("content-type"), "video/mp4");
          const file = join(tmp, "clip.mp4");
          await Deno.writeFile(file, new Uint8Array(await media.arrayBuffer()));
          const d = await probeDuration(file);
          assert.ok(Math.abs(d - 10) <= 1, `ffprobe duration ${d}`);
          console.log(`clip of the last 10 s: ffprobe reads ${d} s`);
          // Cut without re-encoding: the first video packet is the keyframe at or before the asked start
          // (so the picture decodes), and H.264 stays H.264.
          const first = await run(needTool("ffprobe"), [
            ...["-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1"],
            ...["-show_entries", "packet=flags:stream=codec_name", "-of", "json", file],
          ]);
          const pk = JSON.parse(first.stdout) as {
            packets: { flags: string }[];
            streams: { codec_name: string }[];
          };
          assert.match(pk.packets[0].flags, /^K/, "the clip starts on a keyframe");
          assert.equal(pk.streams[0].codec_name, "h264");
          const kept = await Deno.stat(join(lg.dataDir, "clips", `${clipId}.mp4`));
          assert.equal(kept.size, r.body.clip.bytes);
          // A byte range of the file (players seek with them).
          const part = await admin.fetch(`/clips/${clipId}/media`, { headers: { range: "bytes=0-99" } });
          assert.equal(part.status, 206);
          assert.equal((await part.arrayBuffer()).byteLength, 100);
          const list = await admin.api("GET", "/api/clips?path=live");
          assert.equal(list.status, 200);
          assert.deepEqual(list.body.clips.map((c: { id: string }) => c.id), [clipId]);
        },
      );

      await t.step("bad input: 4xx with a message, never a 500", async () => {
        const now = Date.now();
        const iso = (ms: number) => new Date(ms).toISOString();
        const cases: [unknown, number, RegExp][] = [
          [{ path: "live", start: iso(now + 60_000), duration: 10 }, 400, /future/],
          [{ path: "live", start: iso(now - 400_000), duration: 301 }, 400, /between 0 and 300/],
          [
            { path: "live", start: "2020-01-01T00:00:00Z", duration: 10 },
            422,
            /not \(wholly\) in the recordings/,
          ],
          [{ path: "live", last: 0 }, 400, /last must be/],
          [{ path: "live", last: 10, start: iso(now), duration: 5 }, 400, /either last or start/],
          [{ path: "../etc", last: 10 }, 400, /path/],
          [{ path: "live", start: "yesterday", duration: 5 }, 400, /RFC 3339/],
          [{ path: "live", last: 10, title: "a\u0007b" }, 400, /title/],
        ];
        for (const [body, status, msg] of cases) {
          const r = await admin.api("POST", "/api/clips", body);
          assert.equal(r.status, status, `${JSON.stringify(body)} -> ${JSON.stringify(r.body)}`);
          assert.match(r.body.error, msg);
        }
        const anon = await fetch(`${lg.url}/api/clips`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ path: "live", last: 10 }),
        });
        assert.equal(anon.status, 401);
        await anon.body?.cancel();
        const denied = await vic.api("POST", "/api/clips", { path: "live", last: 10 });
        assert.equal(denied.status, 403, "a viewer may not clip by default");
        assert.match(denied.body.error, /owner and moderators/);
        const noCsrf = await admin.fetch("/api/clips", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ path: "live", last: 10 }),
        });
        assert.equal(noCsrf.status, 403);
        await noCsrf.body?.cancel();
      });

      await t.step("many clip requests at once: queued or 429, nothing left running", async () => {
        const all = await Promise.all(
          Array.from({ length: 6 }, () => admin.api("POST", "/api/clips", { path: "live", last: 3 })),
        );
        const statuses = all.map((r) => r.status).sort();
        assert.ok(statuses.every((s) => s === 201 || s === 429), String(statuses));
        assert.ok(statuses.includes(429), `some refused: ${statuses}`);
        assert.ok(statuses.includes(201), `some cut: ${statuses}`);
        const refused = all.find((r) => r.status === 429)!;
        assert.match(refused.body.error, /being cut/);
        for (const r of all.filter((r) => r.status === 201)) {
          assert.equal((await admin.api("DELETE", `/api/clips/${r.body.clip.id}`)).status, 200);
        }
      });

      await t.step(
        "share link: anonymous viewers while the stream is public, not while private",
        async () => {
          const anonPage = await fetch(`${lg.url}/clips/${clipId}`, { redirect: "manual" });
          assert.equal(anonPage.status, 302, "private stream: to the login page");
          await anonPage.body?.cancel();
          const anonMedia = await fetch(`${lg.url}/clips/${clipId}/media`);
          assert.equal(anonMedia.status, 401);
          await anonMedia.body?.cancel();
          assert.equal((await admin.api("PATCH", "/api/streams/live", { visibility: "public" })).status, 200);
          const page = await fetch(`${lg.url}/clips/${clipId}`);
          assert.equal(page.status, 200);
          const html = await page.text();
          assert.match(html, /Ten seconds/);
          assert.match(html, /<meta property="og:title" content="Ten seconds"/);
          const share = /id="clip-share" readonly value="([^"]+)"/.exec(html)?.[1];
          assert.equal(share, `${lg.url}/clips/${clipId}`);
          const og = /<meta property="og:image" content="([^"]+)"/.exec(html)?.[1];
          assert.ok(og, "a public clip has og:image");
          const img = await fetch(og);
          assert.equal(img.status, 200);
          await img.body?.cancel();
          const media = await fetch(`${lg.url}/clips/${clipId}/media`);
          assert.equal(media.status, 200);
          await media.body?.cancel();
        },
      );

      await t.step("the clip page plays in Chromium (anonymous, public stream)", async () => {
        const browser = await launchChromium();
        try {
          const page = await browser.newPage();
          await page.goto(`${lg.url}/clips/${clipId}`);
          await page.evaluate(() => (document.getElementById("clip-video") as HTMLVideoElement).play());
          const t0 = await page.waitForFunction(
            () => {
              const v = document.getElementById("clip-video") as HTMLVideoElement;
              return v.readyState >= 2 && v.currentTime > 0.5 ? v.currentTime : false;
            },
            undefined,
            { timeout: 30_000 },
          );
          const first = await t0.jsonValue() as number;
          await page.waitForFunction(
            (t) => (document.getElementById("clip-video") as HTMLVideoElement).currentTime > t + 1,
            first,
            { timeout: 20_000 },
          );
        } finally {
          await browser.close();
        }
        assert.equal((await admin.api("PATCH", "/api/streams/live", { visibility: "private" })).status, 200);
        const again = await fetch(`${lg.url}/clips/${clipId}/media`);
        assert.equal(again.status, 401, "private again: the share link stops working");
        await again.body?.cancel();
      });

      await t.step(
        "who may clip is a per-stream setting; who may delete: creator, owner, admin",
        async () => {
          assert.equal((await vic.api("PUT", "/api/clips/settings/live", { clipBy: "viewers" })).status, 403);
          const bad = await admin.api("PUT", "/api/clips/settings/live", { clipBy: "everyone" });
          assert.equal(bad.status, 400);
          assert.equal(
            (await admin.api("PUT", "/api/clips/settings/live", { clipBy: "viewers" })).status,
            200,
          );
          const mine = await vic.api("POST", "/api/clips", { path: "live", last: 3 });
          assert.equal(mine.status, 201, JSON.stringify(mine.body));
          const notMine = await vic.api("DELETE", `/api/clips/${clipId}`);
          assert.equal(notMine.status, 403);
          assert.match(notMine.body.error, /creator/);
          assert.equal((await vic.api("DELETE", `/api/clips/${mine.body.clip.id}`)).status, 200);
          // Many users at once: one cut runs, four wait, the rest is refused with 429 (not queued without end).
          const users = [vic];
          for (const name of ["ann", "bob"]) {
            const made = await admin.api("POST", "/api/users", {
              name,
              role: "viewer",
              password: `${name}-password-1`,
            });
            assert.equal(made.status, 201);
            const c = new Client(lg.url);
            assert.equal((await c.login(name, `${name}-password-1`)).status, 303);
            users.push(c);
          }
          const burst = await Promise.all(
            users.flatMap((c) => [1, 2].map(() => c.api("POST", "/api/clips", { path: "live", last: 8 }))),
          );
          const codes = burst.map((r) => r.status).sort();
          assert.deepEqual(codes, [201, 201, 201, 201, 201, 429], JSON.stringify(burst.map((r) => r.body)));
          assert.match(burst.find((r) => r.status === 429)!.body.error, /too many clips are being cut/);
          for (const r of burst.filter((r) => r.status === 201)) {
            assert.equal((await admin.api("DELETE", `/api/clips/${r.body.clip.id}`)).status, 200);
          }
          assert.equal((await admin.api("DELETE", `/api/clips/${clipId}`)).status, 200);
          const gone = await admin.fetch(`/clips/${clipId}`);
          assert.equal(gone.status, 404);
          await gone.body?.cancel();
          await assert.rejects(Deno.stat(join(lg.dataDir, "clips", `${clipId}.mp4`)));
        },
      );

      await t.step(
        "Chromium rewinds 20 s into the live stream and returns to live, playing both times",
        async () => {
          await waitFor(
            "25 s recorded",
            async () => (await recordedSeconds(admin, "live")) >= 25 || undefined,
            60_000,
          );
          const browser = await launchChromium();
          try {
            const ctx = await browser.newContext();
            await ctx.addCookies([...admin.cookies].map(([name, value]) => ({ name, value, url: lg.url })));
            const page = await ctx.newPage();
            await page.goto(`${lg.url}/watch/live`);
            const advancing = async (id: string) => {
              const t0 = await (await page.waitForFunction(
                (id) => {
                  const v = document.getElementById(id) as HTMLVideoElement | null;
                  return v && v.readyState >= 2 && v.currentTime > 0 ? v.currentTime : false;
                },
                id,
                { timeout: 40_000 },
              )).jsonValue() as number;
              await page.waitForFunction(
                ([id, t]) =>
                  (document.getElementById(id as string) as HTMLVideoElement).currentTime > (t as number) + 1,
                [id, t0],
                { timeout: 30_000 },
              );
            };
            await advancing("video");
            await page.waitForFunction(
              () =>
                Number(
                  document.getElementById("rewind")?.querySelector(".rewind")
                    ?.getAttribute("data-window"),
                ) >= 20,
              undefined,
              { timeout: 20_000 },
            );
            await page.evaluate(() => {
              const s = document.getElementById("rewind-seek") as HTMLInputElement;
              s.value = "-20";
              s.dispatchEvent(new Event("change"));
            });
            await advancing("rewind-video");
            const behind = Number(await page.getAttribute("#rewind-behind", "data-seconds"));
            assert.ok(behind >= 15 && behind <= 30, `about 20 s behind live, not ${behind}`);
            assert.match(await page.textContent("#rewind-behind") ?? "", /behind live/);
            await page.click("#rewind-live");
            assert.equal(await page.$("#rewind-video"), null, "the recording player is gone");
            assert.equal(await page.textContent("#rewind-behind"), "LIVE");
            await advancing("video");

            // The clip button cuts the last 30 s; the clip shows up on the stream's dashboard page.
            await waitFor(
              "31 s recorded",
              async () => (await recordedSeconds(admin, "live")) >= 31 || undefined,
              60_000,
            );
            await page.click("#clip-30");
            const link = await page.waitForSelector("#clip-result a", { timeout: 30_000 });
            const href = await link.getAttribute("href");
            assert.match(href ?? "", /^\/clips\/[A-Za-z0-9_-]{16}$/);
            // A range marked on the timeline: Mark in, then about 3 s later "Clip from mark to here".
            await page.click("#clip-in");
            await new Promise((r) => setTimeout(r, 3000));
            await page.click("#clip-range");
            await page.waitForFunction(
              (first) => document.querySelector("#clip-result a")?.getAttribute("href") !== first,
              href,
              { timeout: 30_000 },
            );
            const ranged = await page.getAttribute("#clip-result a", "href");
            const rc = await admin.api("GET", `/api/clips/${ranged!.slice(7)}`);
            assert.equal(rc.status, 200);
            assert.ok(
              rc.body.clip.duration >= 2.5 && rc.body.clip.duration <= 5,
              `range ${rc.body.clip.duration} s`,
            );
            await page.goto(`${lg.url}/admin/streams/live`);
            await page.waitForSelector(`#clips-panel li[data-clip="${href!.slice(7)}"]`, { timeout: 10_000 });
            assert.equal(await page.inputValue("#clip-by"), "viewers");
            // Thumbnails on the home page and the dashboard.
            for (const url of ["/", "/admin"]) {
              await page.goto(`${lg.url}${url}`);
              await page.waitForFunction(
                () => {
                  const img = document.querySelector('[data-path="live"] img.thumb') as
                    | HTMLImageElement
                    | null;
                  return img && img.complete && img.naturalWidth === 320;
                },
                undefined,
                { timeout: 15_000 },
              );
            }
          } finally {
            await browser.close();
          }
        },
      );
    } finally {
      await stopProc(pub);
      await lg.stop();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
