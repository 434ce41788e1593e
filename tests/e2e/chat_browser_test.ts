// The chat panel in Chromium (issue 16), against livegate with its real MediaMTX: two users on two pages
// (vic writes, sam the owner sees it; sam deletes it and both lose it; sam times vic out and vic's page says
// so and refuses to send), markup and links shown inert (textContent, anchors built by the DOM), and an
// anonymous viewer of the public stream who reads but cannot write.
import assert from "node:assert/strict";
import type { BrowserContext, Page } from "playwright-core";
import { ADMIN_PASSWORD, Client, startLivegate, waitFor } from "./harness.ts";
import { launchChromium } from "./chromium.ts";

Deno.test({
  name: "e2e chat: two users in Chromium, delete, timeout, anonymous read-only",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const lg = await startLivegate({
      // Two HTTP isolates (issue #20 item 4): the same test, the port served by two workers.
      LIVEGATE_WORKERS: "2",
    });
    const browser = await launchChromium();
    try {
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      for (const [name, role] of [["sam", "streamer"], ["vic", "viewer"]]) {
        const r = await admin.api("POST", "/api/users", { name, role, password: `${name}-password-1` });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      const s = await admin.api("POST", "/api/streams", { path: "pub", visibility: "public", owner: "sam" });
      assert.equal(s.status, 201, JSON.stringify(s.body));

      const pageFor = async (user?: string): Promise<[BrowserContext, Page]> => {
        const ctx = await browser.newContext();
        if (user) {
          const c = new Client(lg.url);
          assert.equal((await c.login(user, `${user}-password-1`)).status, 303);
          await ctx.addCookies([...c.cookies].map(([name, value]) => ({ name, value, url: lg.url })));
        }
        const page = await ctx.newPage();
        await page.goto(`${lg.url}/watch/pub`);
        return [ctx, page];
      };
      const [, sam] = await pageFor("sam");
      const [, vic] = await pageFor("vic");
      const [, anon] = await pageFor();
      for (const p of [sam, vic]) {
        await p.waitForFunction(() =>
          (document.getElementById("chat-input") as HTMLInputElement | null)?.disabled === false
        );
      }

      // vic writes (markup and a link inside); sam and the anonymous viewer see it, as text.
      const hostile = 'look <img src=x onerror="window.pwned=1"> https://example.org/a?b=1 ok';
      await vic.fill("#chat-input", hostile);
      await vic.click("#chat-send");
      for (const p of [sam, anon, vic]) {
        await p.waitForFunction(
          (t) => [...document.querySelectorAll("#chat-list .chat-text")].some((e) => e.textContent === t),
          hostile,
        );
      }
      const shown = await sam.evaluate(() => {
        const li = document.querySelector("#chat-list li:last-child")!;
        return {
          user: li.querySelector(".chat-user")?.textContent,
          imgs: document.querySelectorAll("#chat-list img").length,
          href: li.querySelector("a")?.getAttribute("href"),
          rel: li.querySelector("a")?.getAttribute("rel"),
          // deno-lint-ignore no-explicit-any
          pwned: (window as any).pwned,
          badgeOfOwnerTools: li.querySelectorAll(".chat-tools button").length,
        };
      });
      assert.deepEqual(shown, {
        user: "vic",
        imgs: 0,
        href: "https://example.org/a?b=1",
        rel: "noopener noreferrer nofollow ugc",
        pwned: undefined,
        badgeOfOwnerTools: 3,
      });
      // vic is no moderator: no tools.
      assert.equal(await vic.locator("#chat-list .chat-tools").count(), 0);

      // The anonymous viewer reads but cannot write, and is told why.
      assert.equal(await anon.locator("#chat-input").isDisabled(), true);
      assert.equal(await anon.locator("#chat-status").textContent(), "log in to write in this chat");

      // The owner deletes the message: it disappears for everyone.
      const li = sam.locator("#chat-list li").last();
      await li.hover();
      await li.getByRole("button", { name: "delete" }).click();
      for (const p of [sam, vic, anon]) {
        await p.waitForFunction(() => document.querySelectorAll("#chat-list li").length === 0);
      }

      // vic writes again; sam times vic out; vic is refused with the reason.
      await vic.fill("#chat-input", "second try");
      await vic.click("#chat-send");
      await sam.waitForFunction(() => document.querySelectorAll("#chat-list li").length === 1);
      const li2 = sam.locator("#chat-list li").last();
      await li2.hover();
      await li2.getByRole("button", { name: "timeout 5 min" }).click();
      await vic.waitForFunction(() =>
        (document.getElementById("chat-input") as HTMLInputElement | null)?.disabled === true
      );
      assert.match((await vic.locator("#chat-status").textContent())!, /timed out for 5 more minute/);
      // Even a frame sent around the disabled input is refused by the server.
      await vic.evaluate(() => {
        const ws = new WebSocket(`ws://${location.host}/chat/pub`);
        ws.onmessage = (e) => {
          const f = JSON.parse(e.data);
          if (f.type === "history") ws.send(JSON.stringify({ type: "send", text: "sneaky", ref: "x" }));
          // deno-lint-ignore no-explicit-any
          if (f.type === "error") (window as any).refused = f.reason;
        };
      });
      // deno-lint-ignore no-explicit-any
      const refused = await waitFor("refusal", () => vic.evaluate(() => (window as any).refused as string));
      assert.match(refused, /timed out/);
      assert.equal(await sam.locator("#chat-list .chat-text", { hasText: "sneaky" }).count(), 0);
      // The owner's settings: vic becomes a moderator (and may write again: moderators are never timed
      // out), guests may write; the anonymous viewer joins as a guest and writes.
      await sam.click("#chat-settings-open");
      await sam.waitForFunction(() =>
        !document.getElementById("chat-settings")!.classList.contains("hidden")
      );
      await sam.fill("#chat-moderators", "vic");
      await sam.check("#chat-guests");
      await sam.fill("#chat-words", "forbidden");
      await sam.click("#chat-settings button");
      await sam.waitForFunction(() =>
        document.getElementById("chat-status")?.textContent === "settings saved"
      );
      await vic.waitForFunction(() =>
        (document.getElementById("chat-input") as HTMLInputElement | null)?.disabled === false
      );
      assert.equal(await vic.locator(".chat-mod").isVisible(), true);
      await anon.waitForFunction(() => !document.querySelector(".chat-guest")!.classList.contains("hidden"));
      await anon.fill("#chat-guest-name", "Gina");
      await anon.click(".chat-guest button");
      await anon.waitForFunction(() =>
        (document.getElementById("chat-input") as HTMLInputElement | null)?.disabled === false
      );
      await anon.fill("#chat-input", "a forbidden word");
      await anon.click("#chat-send");
      await anon.waitForFunction(() =>
        /not allowed/.test(document.getElementById("chat-status")?.textContent ?? "")
      );
      await anon.fill("#chat-input", "hello from Gina");
      await anon.click("#chat-send");
      await sam.waitForFunction(() =>
        [...document.querySelectorAll("#chat-list li")].some((li) =>
          li.querySelector(".chat-user")?.textContent === "Gina" &&
          li.querySelector(".chat-badge.guest")?.textContent === "guest"
        )
      );
      assert.equal(await sam.locator("#chat-list .chat-text", { hasText: "forbidden" }).count(), 0);
      // Reconnect mid-conversation: the stream goes private for a moment, which ends the guest's socket
      // (1008) and refuses its reconnects (401); sam writes meanwhile; back to public, the panel resumes
      // after the last id it saw: everything once, nothing missing.
      // The guest's player, seeing the stream private (401), would take the page to the login page (as it
      // should: revocation_test.ts covers it); here the chat panel is under test, so the player's media
      // probe is held off for that moment.
      const probe = /\/api\/streams\/pub\/media/;
      await anon.route(probe, (r) => r.abort());
      const samApi = new Client(lg.url);
      assert.equal((await samApi.login("sam", "sam-password-1")).status, 303);
      assert.equal((await samApi.api("PATCH", "/api/streams/pub", { visibility: "private" })).status, 200);
      await anon.waitForFunction(() =>
        /reconnecting/.test(document.getElementById("chat-status")?.textContent ?? "")
      );
      for (const t of ["while you were away 1", "while you were away 2"]) {
        await sam.fill("#chat-input", t);
        await sam.click("#chat-send");
        await sam.waitForFunction(
          (x) => (document.getElementById("chat-list")?.textContent ?? "").includes(x),
          t,
        );
      }
      assert.equal((await samApi.api("PATCH", "/api/streams/pub", { visibility: "public" })).status, 200);
      await anon.waitForFunction(
        () => (document.getElementById("chat-list")?.textContent ?? "").includes("while you were away 2"),
        undefined,
        { timeout: 30_000 },
      );
      await anon.unroute(probe);
      assert.ok(anon.url().includes("/watch/pub"), `the guest is still on the watch page (${anon.url()})`);
      const texts = (p: Page) => p.$$eval("#chat-list .chat-text", (es) => es.map((e) => e.textContent));
      assert.deepEqual(await texts(anon), await texts(sam), "same messages, once each, in order");
      // The viewer count counts the panels (three pages plus vic's extra socket).
      await sam.waitForFunction(() =>
        /^\d+ watching$/.test(document.getElementById("chat-viewers")?.textContent ?? "")
      );
    } finally {
      await browser.close();
      await lg.stop();
    }
  },
});
