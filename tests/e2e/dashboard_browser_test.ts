// The newcomer's streamer flow in real headless Chromium, through the UI only (issue 24; also exercises the
// CSP and the bundled scripts): an admin invites a streamer (set-password link) and creates a public stream
// for them; the streamer sets a password through the link, copies Server + Stream Key from "Connect OBS"
// (regenerating it once; the key list updates in place) and publishes with exactly those; the home page,
// opened without login, turns the stream LIVE with a viewer count without a reload; the streamer makes the
// stream unlisted and copies a share link, which a guest without an account plays.
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

      // The admin invites a streamer: a set-password link instead of a password passed on by hand.
      const uf = page.locator('form[data-api="/api/users"]');
      await uf.locator("input[name=name]").fill("sam");
      await uf.locator("select[name=role]").selectOption("streamer");
      await uf.locator("button[type=submit]").click();
      await page.waitForSelector('form[data-api="/api/users"] .msg.secret code');
      const invite = (await uf.locator(".msg code").first().textContent())!.trim();
      assert.match(invite, /\/set-password\?token=/);

      // New stream through the form (JSON API + CSRF header from admin.js), owned by the streamer.
      const form = page.locator('form[data-api="/api/streams"]');
      await form.locator("input[name=path]").fill("studio");
      await form.locator("input[name=title]").fill("Studio A");
      await form.locator("select[name=visibility]").selectOption("public");
      await form.locator("input[name=owner]").fill("sam");
      await Promise.all([page.waitForEvent("load"), form.locator("button[type=submit]").click()]);
      assert.equal(await page.locator('#streams-table tr[data-path="studio"]').count(), 1);

      // A bad path shows the API's message in the form.
      await form.locator("input[name=path]").fill("studio");
      await form.locator("button[type=submit]").click();
      await page.waitForSelector("form[data-api='/api/streams'] .msg.error");
      assert.match(await form.locator(".msg").textContent() ?? "", /already exists/);

      // The streamer sets a password through the link, and is logged in.
      const samCtx = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
      const sam = await samCtx.newPage();
      sam.on("pageerror", (e) => errors.push(String(e)));
      sam.on("dialog", (d) => d.accept());
      await sam.goto(invite.replace(/^https?:\/\/[^/]+/, lg.url));
      await sam.fill("input[name=password]", "sam-password-123");
      await sam.fill("input[name=again]", "sam-password-123");
      await Promise.all([sam.waitForURL(`${lg.url}/`), sam.click("button[type=submit]")]);
      const copied = async (label: string) => {
        await sam.locator(`button[aria-label="${label}"]`).first().click();
        return (await sam.evaluate(() => navigator.clipboard.readText())).trim();
      };

      // Connect OBS on the stream page: Server and Stream Key with Copy buttons; the key list updates in
      // place (no reload).
      await sam.goto(`${lg.url}/admin/streams/studio`);
      let reloads = 0;
      sam.on("framenavigated", () => reloads++);
      const server = await copied("Copy Server");
      assert.match(server, /^rtmp:\/\/127\.0\.0\.1:\d+$/);
      const cf = sam.locator("#connect form");
      await cf.locator("button[type=submit]").click();
      await sam.waitForSelector("#connect .msg.secret code");
      const streamKey = await copied("Copy Stream Key");
      assert.match(streamKey, /^studio\?token=lg_/);
      const key = streamKey.split("token=")[1];
      const msgText = (await cf.locator(".msg").textContent()) ?? "";
      assert.ok(msgText.includes(`Bearer Token: ${key} Copy`), msgText);
      assert.equal(await sam.locator('#keys-table td:text-is("obs")').count(), 1, "new key listed in place");
      // Regenerate: the old key's row goes, the new one comes, the page stays.
      await cf.locator("button[type=submit]").click();
      await sam.waitForFunction(
        (k) => !document.querySelector("#connect .msg")?.textContent?.includes(k),
        key,
      );
      const key2 = (await copied("Copy Stream Key")).split("token=")[1];
      assert.notEqual(key2, key);
      assert.equal(await sam.locator('#keys-table td:text-is("obs")').count(), 1, "the old OBS key is gone");
      assert.equal(reloads, 0, "no reloads");
      const publishKey = key2;

      // The home page without login lists the public stream as offline, then LIVE without a reload.
      const guestCtx = await browser.newContext();
      const home = await guestCtx.newPage();
      home.on("pageerror", (e) => errors.push(String(e)));
      await home.goto(`${lg.url}/`);
      const row = home.locator('#streams li[data-path="studio"]');
      assert.match(await row.textContent() ?? "", /offline/);
      let navigations = 0;
      home.on("framenavigated", () => navigations++);
      pubs.push(publish(`${server}/studio?token=${publishKey}`));
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

      // The stream page's live panel shows the publisher and the guest viewer; Kick is possible now.
      await sam.goto(`${lg.url}/admin/streams/studio`);
      await sam.waitForFunction(
        () => /rtmp from 127\.0\.0\.1/.test(document.getElementById("live")?.textContent ?? ""),
        undefined,
        { timeout: 15_000 },
      );
      assert.equal(await sam.locator("#kick").isEnabled(), true);
      // At the top of the page too (on a phone the Live card is far down): live, with the viewers.
      assert.match(await sam.locator("#live-badge").textContent() ?? "", /^LIVE · [1-9]\d* watching$/);
      assert.equal(await sam.locator("#live-badge").getAttribute("href"), "#live-card");

      // Unlisted + share link: a guest without an account plays it through the copied link.
      await sam.locator("input[name=visibility][value=unlisted]").check();
      await Promise.all([
        sam.waitForEvent("load"),
        sam.locator('form[data-method="PATCH"] button[type=submit]').click(),
      ]);
      const sf = sam.locator('form[data-api="/api/streams/studio/shares"]');
      await sf.locator("select[name=hours]").selectOption("168");
      await sf.locator("input[name=label]").fill("friends");
      await sf.locator("button[type=submit]").click();
      await sam.waitForSelector('form[data-api="/api/streams/studio/shares"] .msg.secret code');
      const url = await copied("Copy Share link");
      assert.match(url, /\/watch\/studio\?share=/);
      assert.equal(await sam.locator('#shares-table td:text-is("friends")').count(), 1, "listed in place");
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
