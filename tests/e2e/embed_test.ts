// End to end in headless Chromium: a page on another site (a second local HTTP server, reached as
// "localhost" while livegate is "127.0.0.1") embeds /embed/<path> in an <iframe>: the player plays there
// (muted, with its Unmute button); a site not on the stream's list is refused by the browser (CSP
// frame-ancestors); a private stream embedded without a session shows "private" with a login link.
import assert from "node:assert/strict";
import { launchChromium } from "./chromium.ts";
import { ADMIN_PASSWORD, Client, freePort, publish, startLivegate, stopProc, waitFor } from "./harness.ts";

/** A tiny site serving one page that frames `src`. */
function hostSite(port: number, src: string) {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, signal: ac.signal, onListen: () => {} },
    () =>
      new Response(
        `<!doctype html><title>host</title><h1>a blog</h1>` +
          `<iframe id="player" src="${src}" width="640" height="360" allow="autoplay; fullscreen"></iframe>`,
        { headers: { "content-type": "text/html" } },
      ),
  );
  return {
    url: `http://localhost:${port}`,
    stop: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

Deno.test({
  name:
    "e2e/embed: another site frames the player and it plays; an unlisted site is refused; private says so",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lg = await startLivegate();
    const admin = new Client(lg.url);
    const allowedPort = freePort(), otherPort = freePort();
    const allowed = hostSite(allowedPort, `${lg.url}/embed/live`);
    const other = hostSite(otherPort, `${lg.url}/embed/live`);
    const privSite = hostSite(freePort(), `${lg.url}/embed/priv`);
    const browser = await launchChromium();
    const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 120);
    try {
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      const r = await admin.api("PATCH", "/api/streams/live", {
        visibility: "public",
        embedOrigins: [allowed.url],
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.embedOrigins, [allowed.url]);
      assert.equal(
        (await admin.api("POST", "/api/streams", { path: "priv", visibility: "private" })).status,
        201,
      );
      assert.equal(
        (await admin.api("PATCH", "/api/streams/priv", { embedOrigins: [privSite.url] })).status,
        200,
      );

      await t.step("an allowed site: the embedded player plays, muted, with Unmute", async () => {
        const page = await browser.newPage();
        const errors: string[] = [];
        const messages: string[] = [];
        page.on("pageerror", (e) => errors.push(String(e)));
        page.on("console", (m) => messages.push(m.text()));
        await page.goto(allowed.url);
        const frame = await waitFor(
          "player frame",
          () => Promise.resolve(page.frames().find((f) => f.url().includes("/embed/live")) ?? undefined),
        );
        const status = () =>
          frame.evaluate(() => (globalThis as unknown as { livegate?: { status: string } }).livegate?.status);
        await waitFor("embedded player live", async () => (await status()) === "live" || undefined, 40_000);
        const t0 = await frame.evaluate(() =>
          (document.getElementById("video") as HTMLVideoElement).currentTime
        );
        await page.waitForTimeout(2500);
        const v = await frame.evaluate(() => {
          const el = document.getElementById("video") as HTMLVideoElement;
          return { t: el.currentTime, muted: el.muted, w: el.videoWidth };
        });
        assert.ok(v.t - t0 > 1, `currentTime advanced ${t0} -> ${v.t}`);
        assert.equal(v.muted, true);
        assert.equal(v.w, 640);
        assert.equal(await frame.isVisible("#unmute"), true);
        assert.equal(await frame.locator("header").count(), 0, "no page header in the embed");
        // media-chrome controls around the player: play/pause by button and key, mute by key, the
        // latency indicator and the viewer count in its bar, styles not refused by the CSP.
        await waitFor(
          "controls loaded",
          async () => (await frame.locator("media-controller media-play-button").count()) === 1 || undefined,
        );
        for (
          const sel of [
            "media-mute-button",
            "media-volume-range",
            "media-pip-button",
            "media-fullscreen-button",
          ]
        ) {
          assert.equal(await frame.locator(`media-control-bar ${sel}`).count(), 1, sel);
        }
        assert.match(await frame.textContent("media-control-bar #latency") ?? "", /latency \d/);
        await waitFor(
          "viewer count",
          async () => /[1-9]\d* watching/.test(await frame.textContent("#viewer-count") ?? "") || undefined,
        );
        const paused = () =>
          frame.evaluate(() => (document.getElementById("video") as HTMLVideoElement).paused);
        await frame.click("media-play-button");
        await waitFor("paused by the button", async () => (await paused()) || undefined, 5000);
        await frame.locator("body").press("k");
        await waitFor("playing by K", async () => !(await paused()) || undefined, 5000);
        await page.waitForTimeout(4000);
        assert.equal(
          await frame.isEnabled("#back-to-live"),
          false,
          "at the live edge: nothing to go back to",
        );
        assert.ok(!messages.some((m) => /Content Security Policy/.test(m)), messages.join("\n"));
        await frame.click("#unmute");
        assert.equal(
          await frame.evaluate(() => (document.getElementById("video") as HTMLVideoElement).muted),
          false,
        );
        assert.deepEqual(errors, []);
        await page.close();
      });

      await t.step("a site not on the list: the browser refuses to frame it (CSP)", async () => {
        const page = await browser.newPage();
        const messages: string[] = [];
        page.on("console", (m) => messages.push(m.text()));
        await page.goto(other.url);
        await waitFor(
          "CSP refusal",
          () => Promise.resolve(messages.some((m) => /frame-ancestors/.test(m)) || undefined),
          15_000,
        );
        const frame = page.frames().find((f) => f !== page.mainFrame());
        assert.ok(frame);
        assert.ok(!frame.url().includes("/embed/live") || (await frame.locator("#video").count()) === 0);
        await page.close();
      });

      await t.step("a private stream without a session: 'private' and a login link, no player", async () => {
        const page = await browser.newPage();
        await page.goto(privSite.url);
        const frame = await waitFor(
          "priv frame",
          () => Promise.resolve(page.frames().find((f) => f.url().includes("/embed/priv")) ?? undefined),
        );
        await waitFor(
          "private shown",
          async () => /private/i.test(await frame.textContent("body") ?? "") || undefined,
        );
        assert.equal(await frame.locator("video").count(), 0);
        assert.match(await frame.getAttribute("a", "href") ?? "", /\/watch\/priv$/);
        await page.close();
      });

      await t.step("the dashboard's Source and Embed cards (static/sources.ts) in the browser", async () => {
        const page = await browser.newPage();
        await page.goto(`${lg.url}/login?next=${encodeURIComponent("/admin/streams/live")}`);
        await page.fill("input[name=user]", "admin");
        await page.fill("input[name=password]", ADMIN_PASSWORD);
        await Promise.all([
          page.waitForURL(`${lg.url}/admin/streams/live`),
          page.click("button[type=submit]"),
        ]);
        await waitFor(
          "snippet",
          async () =>
            /<iframe src=".*\/embed\/live"/.test(await page.textContent("#embed-snippet") ?? "") || undefined,
        );
        await waitFor(
          "source state",
          async () => /none/.test(await page.textContent("#source-state") ?? "") || undefined,
        );
        await page.fill("#source-form input[name=source]", "ftp://camera.example/x");
        await page.click("#source-form button[type=submit]");
        await waitFor(
          "refusal shown",
          async () =>
            /unknown scheme 'ftp'/.test(await page.textContent("#source-form .msg") ?? "") || undefined,
        );
        await page.fill("#embed-origins", `${allowed.url}, https://blog.example.com`);
        await page.click("#embed-form button[type=submit]");
        await waitFor(
          "saved",
          async () => /Saved/.test(await page.textContent("#embed-form .msg") ?? "") || undefined,
        );
        const got = await admin.api("GET", "/api/streams/live");
        assert.deepEqual(got.body.embedOrigins, [allowed.url, "https://blog.example.com"].sort());
        assert.equal(got.body.source, null);
        await page.close();
      });

      await t.step(
        "made private while embedded: the frame says so and stays (no login page in it)",
        async () => {
          const page = await browser.newPage();
          await page.goto(allowed.url);
          const frame = await waitFor(
            "player frame",
            () => Promise.resolve(page.frames().find((f) => f.url().includes("/embed/live")) ?? undefined),
          );
          const status = () =>
            frame.evaluate(() =>
              (globalThis as unknown as { livegate?: { status: string } }).livegate?.status
            );
          await waitFor("live", async () => (await status()) === "live" || undefined, 40_000);
          assert.equal(
            (await admin.api("PATCH", "/api/streams/live", { visibility: "private" })).status,
            200,
          );
          await waitFor("ended", async () => (await status()) === "ended" || undefined, 30_000);
          assert.match(await frame.textContent("#overlay") ?? "", /This stream is private/);
          assert.match(frame.url(), /\/embed\/live$/);
          await page.close();
        },
      );
    } finally {
      await stopProc(pub);
      await browser.close();
      await Promise.all([allowed.stop(), other.stop(), privSite.stop()]);
      await lg.stop();
    }
  },
});
