// Every page at desktop (1280x800) and phone (390x844) size in real Chromium (issue 24 items 4 and 12): no
// horizontal scroll (the page is no wider than the screen), and the axe-core accessibility engine finds no
// serious or critical WCAG 2.2 AA violation. Pages as an admin, a streamer and an anonymous visitor.
import assert from "node:assert/strict";
import axe from "axe-core";
import type { Page } from "playwright-core";
import { ADMIN_PASSWORD, Client, publish, startLivegate, stopProc, waitHlsOnline } from "./harness.ts";
import { launchChromium } from "./chromium.ts";

const SIZES = [{ width: 1280, height: 800 }, { width: 390, height: 844 }];
/** The README's screenshots, written again by every run so they never go stale (docs/screenshots/). */
const SHOTS = new URL("../../docs/screenshots/", import.meta.url).pathname;
const SHOT_OF: Record<string, string> = {
  "admin /admin": "dashboard",
  "sam /admin/streams/studio": "stream-page",
  "anon /watch/live": "player",
  "admin /account": "account",
};

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

async function audit(page: Page): Promise<{ violations: Violation[]; overflow: number }> {
  await page.addScriptTag({ content: (axe as unknown as { source: string }).source });
  const violations = await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const r = await (globalThis as any).axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
    });
    // deno-lint-ignore no-explicit-any
    return r.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      // deno-lint-ignore no-explicit-any
      nodes: v.nodes.slice(0, 3).map((n: any) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  }) as Violation[];
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - globalThis.innerWidth);
  return { violations, overflow };
}

Deno.test({
  name:
    "e2e/a11y: every page at 1280x800 and 390x844: no horizontal scroll, no serious or critical axe violation",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate();
    const browser = await launchChromium();
    let pub: Deno.ChildProcess | undefined;
    try {
      // A streamer with a public stream that is live, an unlisted one with a share link, a viewer.
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      assert.equal(
        (await admin.api("POST", "/api/users", {
          name: "sam",
          role: "streamer",
          password: "sam-password-123",
        })).status,
        201,
      );
      assert.equal(
        (await admin.api("POST", "/api/streams", {
          path: "studio",
          title: "Studio",
          visibility: "public",
          owner: "sam",
        })).status,
        201,
      );
      assert.equal((await admin.api("PATCH", "/api/streams/live", { visibility: "public" })).status, 200);
      const share = await admin.api("POST", "/api/streams", {
        path: "friends",
        visibility: "unlisted",
        owner: "sam",
      });
      assert.equal(share.status, 201);
      const link = await admin.api("POST", "/api/streams/friends/shares", { hours: 24 });
      assert.equal(link.status, 201, JSON.stringify(link.body));
      const invite = await admin.api("POST", "/api/users", { name: "newbie", role: "viewer", invite: true });
      pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`);
      await waitHlsOnline(admin, "live");

      const pages: { who: "admin" | "sam" | "anon"; path: string }[] = [
        { who: "anon", path: "/" },
        { who: "anon", path: "/login" },
        { who: "anon", path: "/watch/live" },
        {
          who: "anon",
          path: new URL(link.body.url ?? link.body.share?.url).pathname +
            new URL(link.body.url ?? link.body.share?.url).search,
        },
        {
          who: "anon",
          path: new URL(invite.body.setPasswordUrl).pathname + new URL(invite.body.setPasswordUrl).search,
        },
        { who: "anon", path: "/no-such-page" },
        { who: "admin", path: "/" },
        { who: "admin", path: "/admin" },
        { who: "admin", path: "/admin/streams/live" },
        { who: "admin", path: "/admin/users/sam" },
        { who: "admin", path: "/account" },
        { who: "admin", path: "/account/tokens" },
        { who: "admin", path: "/admin/analytics" },
        { who: "anon", path: "/embed/live" },
        { who: "admin", path: "/recordings" },
        { who: "admin", path: "/recordings/live" },
        { who: "sam", path: "/admin" },
        { who: "sam", path: "/admin/streams/studio" },
        { who: "sam", path: "/go-live/studio" },
        { who: "sam", path: "/account" },
      ];
      const problems: string[] = [];
      for (const size of SIZES) {
        const ctx: Record<string, Awaited<ReturnType<typeof browser.newContext>>> = {};
        for (const who of ["admin", "sam", "anon"] as const) {
          // bypassCSP: only so the axe engine can be injected (the CSP itself is tested in browser_test.ts).
          ctx[who] = await browser.newContext({ viewport: size, bypassCSP: true });
          if (who === "anon") continue;
          const p = await ctx[who].newPage();
          await p.goto(`${lg.url}/login`);
          await p.fill("input[name=user]", who);
          await p.fill("input[name=password]", who === "admin" ? ADMIN_PASSWORD : "sam-password-123");
          await Promise.all([p.waitForURL(`${lg.url}/`), p.click("button[type=submit]")]);
          await p.close();
        }
        for (const { who, path } of pages) {
          const page = await ctx[who].newPage();
          await page.goto(`${lg.url}${path}`);
          await page.waitForLoadState("load");
          await page.waitForTimeout(500); // the page's scripts fill in lists and the player's status
          const shot = SHOT_OF[`${who} ${path}`];
          if (shot) {
            await Deno.mkdir(SHOTS, { recursive: true });
            await page.screenshot({
              path: `${SHOTS}${shot}-${size.width < 600 ? "phone" : "desktop"}.png`,
              fullPage: size.width < 600,
            });
          }
          const { violations, overflow } = await audit(page);
          const where = `${size.width}x${size.height} ${who} ${path.replace(/(token|share)=[^&]+/, "$1=…")}`;
          if (overflow > 1) problems.push(`${where}: ${overflow} px wider than the screen`);
          for (const v of violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
            problems.push(
              `${where}: ${v.impact} ${v.id} (${v.help}) at ${
                v.nodes.map((n) => n.target.join(" ")).join(" | ")
              }`,
            );
          }
          await page.close();
        }
        for (const c of Object.values(ctx)) await c.close();
      }
      assert.deepEqual(problems, [], problems.join("\n"));
    } finally {
      if (pub) await stopProc(pub);
      await browser.close();
      await lg.stop();
    }
  },
});
