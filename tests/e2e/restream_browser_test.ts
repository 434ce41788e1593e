// The Restream panel in real headless Chromium (CSP and the bundled static/restream.ts exercised): an admin
// adds a YouTube-style RTMP destination and an SRT destination (a second MediaMTX) through the form, a bad
// URL shows the API's reason, the rows turn live with a bitrate without a reload when the stream is
// published, Disable stops one, an RTMPS destination added with "Do not verify the certificate" says so
// under its URL, and the keys are nowhere in the page.
import assert from "node:assert/strict";
import { ADMIN_PASSWORD, publish, startLivegate, stopProc, waitFor } from "./harness.ts";
import { launchChromium } from "./chromium.ts";
import { startMtxDestination } from "./restream_destinations.ts";

const RTMP_KEY = "yt-browser-key-0123456789";
const SRT_KEY = "publish:browser-out";

Deno.test({
  name: "e2e/browser: restream destinations added in the dashboard go live with their health shown",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const mtx = await startMtxDestination();
    const lg = await startLivegate();
    const browser = await launchChromium();
    const pubs: Deno.ChildProcess[] = [];
    try {
      const errors: string[] = [];
      const page = await (await browser.newContext()).newPage();
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => {
        if (m.type() === "error" && /Content Security Policy/.test(m.text())) errors.push(m.text());
      });
      page.on("dialog", (d) => d.accept());
      await page.goto(`${lg.url}/login?next=/admin/streams/live`);
      await page.fill("input[name=user]", "admin");
      await page.fill("input[name=password]", ADMIN_PASSWORD);
      await Promise.all([page.waitForURL(`${lg.url}/admin/streams/live`), page.click("button[type=submit]")]);

      const panel = page.locator("#restream");
      await panel.locator("text=No destinations yet.").waitFor();
      const add = async (name: string, url: string, key: string, noVerify = false) => {
        await panel.locator("input[name=name]").fill(name);
        await panel.locator("input[name=url]").fill(url);
        await panel.locator("input[name=key]").fill(key);
        if (noVerify) await panel.locator("input[name=noverify]").check();
        await panel.locator("button[type=submit]").click();
      };
      await add("Bad", "ftp://example.com/x", "k");
      await page.waitForFunction(() =>
        /unsupported scheme/.test(document.querySelector("#restream .msg")?.textContent ?? "")
      );
      await add("YouTube-style", `rtmp://127.0.0.1:${mtx.rtmp}/yt`, RTMP_KEY);
      await panel.locator("tr[data-destination]").first().waitFor();
      await add("SRT out", `srt://127.0.0.1:${mtx.srt}`, SRT_KEY);
      await page.waitForFunction(() =>
        document.querySelectorAll("#restream tr[data-destination]").length === 2
      );
      const rows = panel.locator("tr[data-destination]");
      assert.match(await rows.nth(0).textContent() ?? "", /YouTube-style.*••••6789.*idle/);
      assert.match(await rows.nth(1).textContent() ?? "", /SRT out.*••••.*idle/);

      let navigations = 0;
      page.on("framenavigated", () => navigations++);
      pubs.push(publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 90, { size: "320x180" }));
      await page.waitForFunction(
        () => document.querySelectorAll('#restream [data-state="live"]').length === 2,
        undefined,
        { timeout: 45_000 },
      );
      assert.match(await rows.nth(0).textContent() ?? "", /live.*kbit\/s/);
      assert.equal(navigations, 0, "updated in place");
      // "live" is ffmpeg writing; the destination MediaMTX is ready once it has read the tracks (~2 s more).
      await waitFor(
        "the RTMP destination has the stream",
        async () => (await mtx.online(`yt/${RTMP_KEY}`)) || undefined,
        20_000,
      );
      await waitFor(
        "the SRT destination has the stream",
        async () => (await mtx.online("browser-out")) || undefined,
        20_000,
      );

      // Disable the SRT destination: it stops, the row says so.
      await rows.nth(1).locator("button", { hasText: "Disable" }).click();
      await page.waitForFunction(() =>
        /disabled/.test(document.querySelectorAll("#restream tr[data-destination]")[1]?.textContent ?? "")
      );
      await waitFor(
        "SRT destination offline",
        async () => (await mtx.online("browser-out")) ? undefined : true,
        10_000,
      );

      // A self-signed RTMPS server: the explicit opt-out in the form, shown under the URL.
      await add("Own RTMPS", "rtmps://127.0.0.1:1/app", "own-rtmps-key", true);
      await page.waitForFunction(() =>
        /certificate not verified/.test(
          document.querySelectorAll("#restream tr[data-destination]")[2]?.textContent ?? "",
        )
      );
      assert.doesNotMatch(await rows.nth(0).textContent() ?? "", /certificate not verified/);

      const html = await page.content();
      assert.ok(!html.includes(RTMP_KEY) && !html.includes(SRT_KEY), "no key in the page");
      assert.deepEqual(errors, []);
    } finally {
      for (const p of pubs) await stopProc(p);
      await browser.close();
      await lg.stop();
      await mtx.stop();
    }
    assert.ok(!lg.logs.join("\n").includes(RTMP_KEY), "no key in the log");
  },
});
