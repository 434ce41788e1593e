// End to end in real headless Chromium: log in through the form, the player shows "offline", then
// starts by itself when ffmpeg goes live, and the video plays (currentTime advances) with audio.
import assert from "node:assert/strict";
import { launchChromium, videoInfo } from "./chromium.ts";
import { ADMIN_PASSWORD, publish, startLivegate, stopProc, waitFor } from "./harness.ts";

interface PlayerState {
  status: string;
  mode: string;
  note: string;
  latency: number;
  fatalErrors: number;
  starts: number;
}

Deno.test({
  name: "e2e/browser: login form -> player shows offline -> starts by itself -> plays with audio",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate();
    const browser = await launchChromium();
    let pub: Deno.ChildProcess | undefined;
    try {
      const page = await browser.newPage();
      const consoleErrors: string[] = [];
      page.on("pageerror", (e) => consoleErrors.push(String(e)));

      // The old /test URL redirects to the player, which needs a login.
      await page.goto(`${lg.url}/test`);
      assert.match(page.url(), /\/login\?next=%2Fwatch%2Flive$/);
      // A wrong password keeps us on the login page with a message.
      await page.fill("input[name=user]", "admin");
      await page.fill("input[name=password]", "not-the-password");
      await page.click("button[type=submit]");
      assert.match(await page.textContent(".error") ?? "", /Wrong user name or password/);
      await page.fill("input[name=password]", ADMIN_PASSWORD);
      await Promise.all([page.waitForURL(`${lg.url}/watch/live`), page.click("button[type=submit]")]);

      const state = () => page.evaluate(() => (globalThis as unknown as { livegate: PlayerState }).livegate);
      await waitFor(
        "offline shown",
        async () => (await state()).status === "offline" ? true : undefined,
        15_000,
      );
      assert.match(await page.textContent("#overlay") ?? "", /offline/i);

      pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`);
      await waitFor("player live", async () => (await state()).status === "live" ? true : undefined, 30_000);
      const t0 = await page.evaluate(() =>
        (document.getElementById("video") as HTMLVideoElement).currentTime
      );
      await page.waitForTimeout(3000);
      const v = await videoInfo(page);
      assert.ok(v.t - t0 > 1.5, `currentTime advanced ${t0} -> ${v.t}`);
      assert.equal(v.paused, false);
      assert.equal(v.w, 640);
      assert.ok(v.audioBytes > 0, `audio decoded (${v.audioBytes} bytes)`);
      const s = await state();
      assert.equal(s.fatalErrors, 0, "no fatal hls.js error");
      // RTMP brings AAC, which WebRTC cannot carry: the player stays on LL-HLS to keep the sound, and says so.
      assert.equal(s.mode, "hls");
      assert.match(s.note, /AAC/);
      // The viewer reads one plain sentence; the engineer's reason stays folded under "Why?" (issue 24).
      assert.match(await page.innerText("#note"), /^Playing with a short delay \(about 1 s\)\.\s+Why\?$/);
      assert.match(await page.textContent("#note details") ?? "", /AAC, which WebRTC cannot carry/);
      assert.ok(Number.isFinite(s.latency) && s.latency > 0 && s.latency < 6, `latency shown: ${s.latency}`);
      assert.match(await page.textContent("#latency") ?? "", /latency \d+\.\d s/);
      assert.deepEqual(consoleErrors, []);
    } finally {
      if (pub) await stopProc(pub);
      await browser.close();
      await lg.stop();
    }
  },
});
