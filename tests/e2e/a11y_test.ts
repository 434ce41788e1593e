// Every page at desktop (1280x800) and phone (390x844) size in real Chromium (issue 24 items 4 and 12): no
// horizontal scroll (the page is no wider than the screen), and the axe-core accessibility engine finds no
// serious or critical WCAG 2.2 AA violation; at 360x740 (the narrowest common phone) no horizontal scroll on
// the logged-in pages.
// Pages as an admin, a streamer and an anonymous visitor, in the states a user reaches: a live stream with
// recordings and a cut clip, a recording played, a stream with a pulled source and a restream destination,
// the login page with a single sign-on button (a real OpenID provider) and after a failed login, the error
// pages (401, 403, 404, 410, the embed refusal), the set-password link (and its error), and what shows
// right after an action (a share link and an OBS key made, an invitation link, a new API token).
import assert from "node:assert/strict";
import axe from "axe-core";
import type { Page } from "playwright-core";
import {
  ADMIN_PASSWORD,
  Client,
  freePort,
  publish,
  startLivegate,
  stopProc,
  waitFor,
  waitHlsOnline,
} from "./harness.ts";
import { launchChromium } from "./chromium.ts";
import { startIdp } from "./oidc_provider.ts";
import { playLink } from "../../src/recordings/range.ts";

/** Sizes checked with axe and for horizontal scroll; `overflowOnly`: only for horizontal scroll. */
const SIZES = [
  { width: 1280, height: 800, overflowOnly: false },
  { width: 390, height: 844, overflowOnly: false },
  { width: 360, height: 740, overflowOnly: true },
];
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

async function audit(
  page: Page,
  overflowOnly: boolean,
): Promise<{ violations: Violation[]; overflow: number }> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - globalThis.innerWidth);
  if (overflowOnly) return { violations: [], overflow };
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
  return { violations, overflow };
}

Deno.test({
  name:
    "e2e/a11y: every page at 1280x800 and 390x844 (no horizontal scroll, no serious or critical axe violation) and 360x740 (no horizontal scroll)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // A real OpenID provider, so the login page shows its "Sign in with" button and /account/sso its row.
    const lgPort = freePort();
    const base = `http://127.0.0.1:${lgPort}`;
    const idp = await startIdp(base);
    const lg = await startLivegate({
      LIVEGATE_PORT: String(lgPort),
      LIVEGATE_OIDC_PROVIDERS: JSON.stringify([
        { id: "test", name: "Example SSO", issuer: idp.issuer, clientId: idp.clientId },
      ]),
      LIVEGATE_OIDC_TEST_CLIENT_SECRET: idp.clientSecret,
    });
    lg.url = base;
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
      // A pulled source that cannot connect (its panel shows the state and the reason) and a restream
      // destination (its panel lists it), on streams of their own.
      assert.equal(
        (await admin.api("POST", "/api/streams", { path: "cam", visibility: "private" })).status,
        201,
      );
      const src = await admin.api("PATCH", "/api/streams/cam", {
        source: `rtsp://127.0.0.1:${freePort()}/cam1`,
      });
      assert.equal(src.status, 200, JSON.stringify(src.body));
      const dest = await admin.api("POST", "/api/streams/studio/destinations", {
        name: "YouTube",
        url: `rtmp://127.0.0.1:${freePort()}/live2`,
        key: "a11y-test-key",
      });
      assert.equal(dest.status, 201, JSON.stringify(dest.body));
      pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 240, { size: "320x180" });
      await waitHlsOnline(admin, "live", 60_000);
      // Recordings of the live stream, and a clip cut from them (the clip page needs one).
      const spans = await waitFor("12 s recorded", async () => {
        const r = await admin.api("GET", "/api/recordings/live");
        const s = r.status === 200 ? r.body.spans as { start: string; duration: number }[] : [];
        return (s.at(-1)?.duration ?? 0) >= 12 ? s : undefined;
      }, 90_000);
      const clip = await admin.api("POST", "/api/clips", { path: "live", last: 8, title: "Eight seconds" });
      assert.equal(clip.status, 201, JSON.stringify(clip.body));
      const played = { start: spans.at(-1)!.start, duration: 10 };

      /**
       * A page as `who` sees it, answered with `status` (200 unless given; error pages have theirs); `then`
       * brings it into a state reached from there (a failed login) or waits until its panel shows the state.
       */
      const pages: {
        who: "admin" | "sam" | "anon";
        path: string;
        status?: number;
        then?: (p: Page) => Promise<unknown>;
      }[] = [
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
        { who: "anon", path: "/no-such-page", status: 404 },
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
        {
          who: "sam",
          path: "/admin/streams/studio",
          then: (p) => p.locator("#restream tr[data-destination]").first().waitFor({ timeout: 20_000 }),
        },
        { who: "sam", path: "/go-live/studio" },
        { who: "sam", path: "/account" },
        { who: "admin", path: `/clips/${clip.body.clip.id}` },
        { who: "anon", path: `/clips/${clip.body.clip.id}` },
        { who: "admin", path: playLink("live", played) },
        {
          who: "admin",
          path: "/admin/streams/cam",
          then: (p) =>
            p.waitForFunction(
              () => !["", "–"].includes(document.getElementById("source-state")?.textContent ?? ""),
              undefined,
              {
                timeout: 20_000,
              },
            ),
        },
        { who: "admin", path: "/account/sso" },
        {
          who: "anon",
          path: "/login?next=/admin",
          then: async (p) => {
            await p.fill("input[name=user]", "admin");
            await p.fill("input[name=password]", "not-the-password");
            await Promise.all([p.waitForLoadState("load"), p.click("button[type=submit]")]);
            await p.locator("text=/wrong|invalid|incorrect/i").first().waitFor({ timeout: 20_000 });
          },
        },
        { who: "anon", path: "/set-password?token=lg_no-such-link", status: 410 },
        // What a newcomer sees right after an action: secrets shown once, inline errors.
        {
          who: "sam",
          path: "/admin/streams/friends",
          then: async (p) => {
            const share = p.locator('form[data-api="/api/streams/friends/shares"]');
            await share.locator("button[type=submit]").click();
            await share.locator(".msg.secret code").waitFor({ timeout: 20_000 });
            const obs = p.locator('#connect form[data-api="/api/streams/friends/keys"]');
            await obs.locator("button[type=submit]").click(); // "Regenerate" asks first: dialogs are accepted
            await obs.locator(".msg.secret code").first().waitFor({ timeout: 20_000 });
          },
        },
        {
          who: "admin",
          path: "/admin",
          then: async (p) => {
            const form = p.locator('form[data-api="/api/users"]');
            await form.locator("input[name=name]").fill(`guest-${crypto.randomUUID().slice(0, 8)}`);
            await form.locator("button[type=submit]").click();
            await form.locator(".msg.secret code").first().waitFor({ timeout: 20_000 });
          },
        },
        {
          who: "admin",
          path: "/account/tokens",
          then: async (p) => {
            await p.fill("#new-token-form input[name=name]", `a11y-${crypto.randomUUID().slice(0, 8)}`);
            const [res] = await Promise.all([
              p.waitForNavigation(),
              p.click("#new-token-form button[type=submit]"),
            ]);
            if (res?.status() !== 201) throw new Error(`creating an API token answered ${res?.status()}`);
          },
        },
        {
          who: "anon",
          path: new URL(invite.body.setPasswordUrl).pathname + new URL(invite.body.setPasswordUrl).search,
          then: async (p) => {
            await p.fill("input[name=password]", "newbie-password-1");
            await p.fill("input[name=again]", "newbie-password-2");
            await Promise.all([p.waitForNavigation(), p.click("button[type=submit]")]);
            await p.locator("text=The two passwords differ.").waitFor({ timeout: 20_000 });
          },
        },
        // A private stream (the anonymous context holds the share link of 'friends', which opens that one);
        // its watch page sends an anonymous visitor to the login page, a bad share link gets the error page.
        { who: "anon", path: "/watch/cam?share=not-a-valid-link", status: 401 },
        { who: "anon", path: "/embed/cam", status: 401 },
        { who: "sam", path: "/admin/users/admin", status: 403 },
        { who: "admin", path: "/admin/streams/no-such-stream", status: 404 },
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
        for (const { who, path, status, then } of pages) {
          // At 360 px only the pages with tables and panels (the logged-in ones); error pages and the
          // anonymous pages (login, player, embed) are single columns already checked at 390 px.
          if (size.overflowOnly && (who === "anon" || status)) continue;
          const page = await ctx[who].newPage();
          page.on("dialog", (d) => d.accept());
          const res = await page.goto(`${lg.url}${path}`);
          await page.waitForLoadState("load");
          const where = `${size.width}x${size.height} ${who} ${path.replace(/(token|share)=[^&]+/, "$1=…")}`;
          if (res?.status() !== (status ?? 200)) {
            problems.push(`${where}: HTTP ${res?.status()}, not ${status ?? 200}`);
          }
          if (then) await then(page);
          await page.waitForTimeout(500); // the page's scripts fill in lists and the player's status
          const shot = size.overflowOnly ? undefined : SHOT_OF[`${who} ${path}`];
          if (shot) {
            await Deno.mkdir(SHOTS, { recursive: true });
            await page.screenshot({
              path: `${SHOTS}${shot}-${size.width < 600 ? "phone" : "desktop"}.png`,
              fullPage: size.width < 600,
            });
          }
          const { violations, overflow } = await audit(page, size.overflowOnly);
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
      await idp.stop();
    }
  },
});
