// The dashboard in real headless Chromium (so the CSP and the bundled scripts are exercised): an admin
// creates a public stream and a key through the forms, the key is shown once; the home page, opened without
// login, turns the stream LIVE with a viewer count without a reload when ffmpeg publishes; an unlisted
// stream's share link plays for a guest.
import assert from "node:assert/strict";
import { ADMIN_PASSWORD, publish, startLivegate, stopProc } from "./harness.ts";
import { launchChromium } from "./chromium.ts";

Deno.test({
  name:
    "e2e/browser: dashboard forms create a stream and key; home list goes live without reload; share link",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate();
    const browser = await launchChromium();
    const pubs: Deno.ChildProcess[] = [];
    try {
      const errors: string[] = [];
      const adminCtx = await browser.newContext();
      const page = await adminCtx.newPage();
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => {
        if (m.type() === "error" && /Content Security Policy/.test(m.text())) errors.push(m.text());
      });
      page.on("dialog", (d) => d.accept());

      await page.goto(`${lg.url}/login?next=/admin`);
      await page.fill("input[name=user]", "admin");
      await page.fill("input[name=password]", ADMIN_PASSWORD);
      await Promise.all([page.waitForURL(`${lg.url}/admin`), page.click("button[type=submit]")]);

      // New stream through the form (JSON API + CSRF header from admin.js), then the page reloads.
      const form = page.locator('form[data-api="/api/streams"]');
      await form.locator("input[name=path]").fill("studio");
      await form.locator("input[name=title]").fill("Studio A");
      await form.locator("select[name=visibility]").selectOption("public");
      await Promise.all([page.waitForEvent("load"), form.locator("button[type=submit]").click()]);
      assert.equal(await page.locator('#streams-table tr[data-path="studio"]').count(), 1);

      // A bad path shows the API's message in the form.
      await form.locator("input[name=path]").fill("studio");
      await form.locator("button[type=submit]").click();
      await page.waitForSelector("form[data-api='/api/streams'] .msg.error");
      assert.match(await form.locator(".msg").textContent() ?? "", /already exists/);

      // Key creation on the stream page: the secret appears once, in place.
      await page.goto(`${lg.url}/admin/streams/studio`);
      const kf = page.locator('form[data-api="/api/streams/studio/keys"]');
      await kf.locator("input[name=name]").fill("obs");
      await kf.locator("button[type=submit]").click();
      await page.waitForSelector('form[data-api="/api/streams/studio/keys"] .msg.secret code');
      const key = (await kf.locator(".msg code").first().textContent())!.trim();
      assert.match(key, /^lg_/);
      // Ready for OBS: Server and Stream Key (and the WHIP variant), each with a Copy button.
      const msgText = (await kf.locator(".msg").textContent()) ?? "";
      assert.match(msgText, /Server: rtmp:\/\/127\.0\.0\.1:\d+ Copy/);
      assert.ok(msgText.includes(`Stream Key: studio?token=${key} Copy`), msgText);
      assert.ok(msgText.includes(`Bearer Token: ${key} Copy`), msgText);
      assert.equal(await kf.locator('.msg button[aria-label="Copy Stream Key"]').count(), 1);

      // The home page without login lists the public stream as offline, then LIVE without a reload.
      const guestCtx = await browser.newContext();
      const home = await guestCtx.newPage();
      home.on("pageerror", (e) => errors.push(String(e)));
      await home.goto(`${lg.url}/`);
      const row = home.locator('#streams li[data-path="studio"]');
      assert.match(await row.textContent() ?? "", /offline/);
      let navigations = 0;
      home.on("framenavigated", () => navigations++);
      pubs.push(publish(`rtmp://127.0.0.1:${lg.rtmpPort}/studio?token=${key}`));
      await home.waitForFunction(
        () => document.querySelector('#streams li[data-path="studio"] .badge.live') !== null,
        undefined,
        { timeout: 30_000 },
      );
      assert.equal(navigations, 0, "updated in place");

      // A guest watches it (public, no login) and the count on the home page goes up.
      const player = await guestCtx.newPage();
      await player.goto(`${lg.url}/watch/studio`);
      await player.waitForFunction(
        () => (globalThis as unknown as { livegate: { status: string } }).livegate?.status === "live",
        undefined,
        { timeout: 30_000 },
      );
      await home.waitForFunction(
        () =>
          /[1-9]\d* watching/.test(
            document.querySelector('#streams li[data-path="studio"] .viewers')?.textContent ?? "",
          ),
        undefined,
        { timeout: 15_000 },
      );

      // The stream page's live panel shows the publisher and the guest viewer.
      await page.goto(`${lg.url}/admin/streams/studio`);
      await page.waitForFunction(
        () => /rtmp from 127\.0\.0\.1/.test(document.getElementById("live")?.textContent ?? ""),
        undefined,
        { timeout: 15_000 },
      );

      // Unlisted + share link: a guest without an account plays it through the link.
      await page.locator("select[name=visibility]").selectOption("unlisted");
      await Promise.all([
        page.waitForEvent("load"),
        page.locator('form[data-method="PATCH"] button[type=submit]').click(),
      ]);
      const sf = page.locator('form[data-api="/api/streams/studio/shares"]');
      await sf.locator("button[type=submit]").click();
      await page.waitForSelector('form[data-api="/api/streams/studio/shares"] .msg.secret code');
      const url = (await sf.locator(".msg code").first().textContent())!.trim();
      assert.match(url, /\/watch\/studio\?share=/);
      const shareCtx = await browser.newContext();
      const shared = await shareCtx.newPage();
      await shared.goto(url.replace(/^https?:\/\/[^/]+/, lg.url));
      await shared.waitForFunction(
        () => (globalThis as unknown as { livegate: { status: string } }).livegate?.status === "live",
        undefined,
        { timeout: 30_000 },
      );
      // Without the link the stream is closed to guests, and it left the public list.
      const other = await (await browser.newContext()).newPage();
      await other.goto(`${lg.url}/watch/studio`);
      assert.match(other.url(), /\/login\?next=/);
      assert.deepEqual(errors, []);
    } finally {
      for (const p of pubs) await stopProc(p);
      await browser.close();
      await lg.stop();
    }
  },
});
