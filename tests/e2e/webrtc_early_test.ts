// WebRTC's early start (static/whep-early.ts, issue #23 time to first frame) in real Chromium against a real
// livegate + MediaMTX, one RTMP publish (H.264 + AAC):
// - player.js blocked: the early script alone posts the offer and the video shows frames; nobody takes the
//   session over, so it is ended (DELETE) after 8 s;
// - ?mode=webrtc: the early script posts the one WHEP offer of the page and the player takes that session
//   over (exactly one POST, no DELETE, the player live on WebRTC with frames);
// - this browser got WebRTC last time (localStorage) but the stream's AAC makes the player choose LL-HLS:
//   the early session is ended (DELETE of its session) and taken off the video, LL-HLS plays;
// - ?mode=hls: no WHEP request at all.
// No timing is asserted (the bench measures it: bench/ttff.ts).
import assert from "node:assert/strict";
import type { Page, Request } from "playwright-core";
import { launchChromium, videoInfo } from "./chromium.ts";
import {
  ADMIN_PASSWORD,
  Client,
  publish,
  startLivegate,
  stopProc,
  waitFor,
  waitHlsOnline,
} from "./harness.ts";

interface PlayerState {
  status: string;
  mode: string;
  frames: number;
}
const playerState = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { livegate?: PlayerState }).livegate ?? null);

/** The page's WHEP requests (method and path), as they are sent; `ended` gets the DELETEs' statuses. */
function whepRequests(page: Page, ended: number[] = []): string[] {
  const seen: string[] = [];
  page.on("request", (r: Request) => {
    const u = new URL(r.url());
    if (!u.pathname.startsWith("/whep/")) return;
    seen.push(`${r.method()} ${u.pathname}`);
    if (r.method() === "DELETE") r.response().then((res) => ended.push(res?.status() ?? 0), () => {});
  });
  return seen;
}

async function livePlaying(page: Page, mode: string, what: string) {
  await waitFor(`${what}: live on ${mode} with frames`, async () => {
    const s = await playerState(page);
    return s?.status === "live" && s.mode === mode && s.frames > 0 ? true : undefined;
  }, 30_000);
  const a = await videoInfo(page);
  await waitFor(`${what}: video advances`, async () => {
    const b = await videoInfo(page);
    return b.t - a.t > 1 && !b.paused && b.w > 0 ? true : undefined;
  }, 15_000);
}

Deno.test({
  name: "e2e/webrtc early start: one offer taken over by the player; dropped for LL-HLS; none on ?mode=hls",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lg = await startLivegate();
    const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 180, { size: "320x180" });
    const browser = await launchChromium();
    try {
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      await waitHlsOnline(admin, "live");
      const ctx = await browser.newContext();
      const login = await ctx.newPage();
      await login.goto(`${lg.url}/login?next=/`);
      await login.fill("input[name=user]", "admin");
      await login.fill("input[name=password]", ADMIN_PASSWORD);
      await Promise.all([login.waitForURL(`${lg.url}/`), login.click("button[type=submit]")]);
      await login.close();

      await t.step(
        "player.js never loads: the early script alone shows frames; unused, ended in 8 s",
        async () => {
          const page = await ctx.newPage();
          await page.route("**/static/player.js", (r) => r.abort());
          const ended: number[] = [];
          const reqs = whepRequests(page, ended);
          await page.goto(`${lg.url}/watch/live?mode=webrtc`);
          await waitFor("frames from the early session alone", async () => {
            const v = await videoInfo(page);
            return v.w > 0 && v.t > 0.5 && !v.paused ? true : undefined;
          }, 30_000);
          assert.equal(await playerState(page), null, "no player");
          assert.deepEqual(reqs, ["POST /whep/live"]);
          await waitFor(
            "the unused session ended",
            () => Promise.resolve(ended.length > 0 || undefined),
            20_000,
          );
          assert.ok(reqs.some((r) => /^DELETE \/whep\/live\/./.test(r)), JSON.stringify(reqs));
          // 404: MediaMTX had ended it already when the peer connection closed (DTLS close) just before.
          assert.ok(ended.every((st) => (st >= 200 && st < 300) || st === 404), `DELETE answered ${ended}`);
          await page.close();
        },
      );

      await t.step(
        "?mode=webrtc: the early offer is the page's one session, the player keeps it",
        async () => {
          const page = await ctx.newPage();
          const reqs = whepRequests(page);
          const refused: string[] = []; // the inline early start is allowed by its hash, nothing else
          page.on("console", (m) => /Content.Security.Policy/i.test(m.text()) && refused.push(m.text()));
          await page.goto(`${lg.url}/watch/live?mode=webrtc`);
          await livePlaying(page, "webrtc", "forced WebRTC");
          const early = await page.evaluate(() => performance.getEntriesByName("livegate:early").length);
          assert.equal(early, 1, "the early-start script ran");
          assert.deepEqual(refused, [], "no CSP violation");
          // It ran inline, in <head> before the stylesheet: no request for it.
          const files = await page.evaluate(() =>
            performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname)
          );
          assert.ok(!files.includes("/static/whep-early.js"), JSON.stringify(files));
          assert.deepEqual(reqs, ["POST /whep/live"], "one offer, nothing ended");
          await page.close();
        },
      );

      await t.step(
        "WebRTC last time, LL-HLS now (AAC): the early session is ended and LL-HLS plays",
        async () => {
          const page = await ctx.newPage();
          await page.addInitScript(() => localStorage.setItem("livegate.mode.live", "webrtc"));
          const ended: number[] = [];
          const reqs = whepRequests(page, ended);
          await page.goto(`${lg.url}/watch/live`);
          await livePlaying(page, "hls", "LL-HLS after an early WebRTC start");
          await waitFor("the early session ended", () => Promise.resolve(ended.length > 0 || undefined));
          assert.ok(reqs.some((r) => /^DELETE \/whep\/live\/./.test(r)), JSON.stringify(reqs));
          // Ended by the player bundle with the token the early bundle sent the offer with (not 403); 404:
          // MediaMTX had ended it already when the peer connection closed just before.
          assert.ok(ended.every((st) => (st >= 200 && st < 300) || st === 404), `DELETE answered ${ended}`);
          assert.equal(reqs[0], "POST /whep/live", JSON.stringify(reqs));
          assert.equal(
            reqs.filter((r) => r.startsWith("POST")).length,
            1,
            JSON.stringify(reqs),
          );
          assert.equal(
            await page.evaluate(() => (document.getElementById("video") as HTMLVideoElement).srcObject),
            null,
          );
          await page.close();
        },
      );

      await t.step("?mode=hls: no WHEP request", async () => {
        const page = await ctx.newPage();
        await page.addInitScript(() => localStorage.setItem("livegate.mode.live", "webrtc"));
        const reqs = whepRequests(page);
        await page.goto(`${lg.url}/watch/live?mode=hls`);
        await livePlaying(page, "hls", "forced LL-HLS");
        assert.deepEqual(reqs, []);
        await page.close();
      });
      await ctx.close();
    } finally {
      await browser.close();
      await stopProc(pub);
      await lg.stop();
    }
  },
});
