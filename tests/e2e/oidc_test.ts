// Single sign-on against a real OpenID Provider (npm oidc-provider, tests/e2e/oidc_provider.ts) with
// Chromium: "Sign in with Test IdP", log in at the provider, back at livegate logged in with the role the
// groups claim maps to (admin group -> admin, others -> viewer); logout goes to the provider's
// end_session_endpoint. Each bad input is played against the real provider and must give a clear page
// (400/401/502) and never a session: wrong state, no state cookie, replayed callback, expired code, wrong
// nonce, an ID token for another client, an ID token signed by another key, a wrong issuer, a provider
// that is down. livegate runs in this process (memory KV, served on a free port; no MediaMTX needed).
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "./chromium.ts";
import { freePort } from "./harness.ts";
import { startIdp, type TestIdp } from "./oidc_provider.ts";
import { testApp } from "../http/helpers.ts";
import { addUser, getUser } from "../../src/store/users.ts";
import type { OidcTransaction } from "../../src/store/identities.ts";

const NAME = "Test IdP";

/** Clicks "Sign in with Test IdP" and logs in at the provider as `login` (consent included). */
async function signIn(page: Page, base: string, login: string) {
  await page.goto(`${base}/login`);
  await page.getByText(`Sign in with ${NAME}`).click();
  await page.waitForSelector('input[name="login"]', { timeout: 20_000 });
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', "any-password");
  // The login and the consent page share one URL (/interaction/<uid>): wait for the navigation itself.
  await Promise.all([page.waitForNavigation({ timeout: 20_000 }), page.click('button[type="submit"]')]);
  // The consent page (first sign-in of this account) has one "Continue" button.
  if (page.url().includes("/interaction/")) {
    await page.click('button[type="submit"]', { timeout: 20_000 });
  }
}

/** Callbacks held in front of livegate (the test's server wrapper) instead of being handled. */
const held: { on: boolean; url?: string; cookie?: string } = { on: false };

/** Signs in up to the provider's redirect back and returns that callback URL without letting it reach
 * livegate (the server wrapper holds it), with the browser's lg_oidc cookie (the state binding). */
async function captureCallback(ctx: BrowserContext, base: string, login: string) {
  const page = await ctx.newPage();
  held.on = true;
  held.url = held.cookie = undefined;
  try {
    await signIn(page, base, login);
    const deadline = Date.now() + 20_000;
    while (!held.url && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  } finally {
    held.on = false;
  }
  assert.ok(held.url, "the provider redirected back with a code");
  const cookie = /(?:^|; )lg_oidc=([^;]+)/.exec(held.cookie ?? "")?.[1];
  assert.ok(cookie, "state cookie set");
  // Not awaited: closing a page in a loaded Chromium was seen to take minutes, and the provider's code
  // must be used within its 20 s (the context is closed at the end of the step, with a bound).
  page.close().catch(() => {});
  return { url: new URL(held.url), cookie };
}

/** Closes a browser context, waiting at most 10 s (a stuck close must not stall the suite). */
async function closeCtx(ctx: BrowserContext) {
  await Promise.race([ctx.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
}

async function call(url: URL | string, cookie?: string) {
  const r = await fetch(url, {
    redirect: "manual",
    headers: cookie ? { cookie: `lg_oidc=${cookie}` } : {},
    signal: AbortSignal.timeout(30_000), // a hang is a failure with a message, not a stalled suite
  });
  const body = await r.text();
  const session = r.headers.getSetCookie().some((c) => c.startsWith("lg_session=") && !/max-age=0/i.test(c));
  return { status: r.status, body, session, location: r.headers.get("location") };
}

async function me(page: Page, base: string) {
  return await page.evaluate(async (b) => {
    const r = await fetch(`${b}/api/me`);
    return { status: r.status, body: await r.json() };
  }, base);
}

Deno.test({
  name:
    "e2e OIDC: Chromium signs in at a real provider (admin group -> admin, others viewer); bad input never gives a session",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lgPort = freePort();
    const base = `http://127.0.0.1:${lgPort}`;
    const idp: TestIdp = await startIdp(base);
    const closed = freePort();
    const app = await testApp({
      LIVEGATE_PORT: String(lgPort),
      LIVEGATE_PUBLIC_URL: base,
      LIVEGATE_OIDC_PROVIDERS: JSON.stringify([
        {
          id: "test",
          name: NAME,
          issuer: idp.issuer,
          clientId: idp.clientId,
          scopes: ["openid", "profile", "email", "groups"],
          roleClaim: "groups",
          adminValues: ["livegate-admins"],
          streamerValues: ["streamers"],
        },
        {
          id: "wrongiss",
          name: "Wrong Issuer",
          issuer: `http://localhost:${idp.port}`,
          clientId: "livegate",
        },
        { id: "down", name: "Down IdP", issuer: `http://127.0.0.1:${closed}`, clientId: "x" },
      ]),
      LIVEGATE_OIDC_TEST_CLIENT_SECRET: idp.clientSecret,
    });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: lgPort, onListen: () => {} },
      (req, info) => {
        if (held.on && new URL(req.url).pathname === "/login/oidc/test/callback") {
          held.url = req.url;
          held.cookie = req.headers.get("cookie") ?? "";
          return new Response("held by the test", { status: 200 });
        }
        return app.handler(req, info);
      },
    );
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const b = browser;

      await t.step("a user in the admin group signs in and is an admin", async () => {
        const ctx = await b.newContext();
        const page = await ctx.newPage();
        await signIn(page, base, "admin-alice");
        await page.waitForURL(`${base}/`, { timeout: 20_000 });
        const r = await me(page, base);
        assert.deepEqual(r, { status: 200, body: { user: "admin-alice", role: "admin" } });
        assert.equal((await getUser(app.kv, "admin-alice"))?.role, "admin");

        // Logout ends the livegate session and goes to the provider's end_session_endpoint.
        const session = (await ctx.cookies(base)).find((c) => c.name === "lg_session")!.value;
        await page.goto(`${base}/`);
        await page.getByText("Log out").click();
        await page.waitForURL((u) => u.href.startsWith(idp.issuer), { timeout: 20_000 }).catch((e) => {
          throw new Error(`${e.message} at ${page.url()}`);
        });
        assert.match(page.url(), /\/session\/end/);
        const after = await fetch(`${base}/api/me`, { headers: { cookie: `lg_session=${session}` } });
        assert.equal(after.status, 401, "the livegate session ended");
        await after.body?.cancel();
        // The provider asks "sign out?": yes, and it sends the browser back to livegate's login page.
        await page.click('button[autofocus], button[type="submit"]');
        await page.waitForURL(`${base}/login`, { timeout: 20_000 }).catch((e) => {
          throw new Error(`${e.message} at ${page.url()}`);
        });
        await closeCtx(ctx);
      });

      await t.step("a user outside the admin group gets viewer", async () => {
        const ctx = await b.newContext();
        const page = await ctx.newPage();
        await signIn(page, base, "bob");
        await page.waitForURL(`${base}/`, { timeout: 20_000 });
        assert.deepEqual(await me(page, base), { status: 200, body: { user: "bob", role: "viewer" } });
        await closeCtx(ctx);
      });

      await t.step("a local account links its provider account, then signs in through it", async () => {
        await addUser(app.kv, "lena", "lena-local-password", "streamer");
        const ctx = await b.newContext();
        const page = await ctx.newPage();
        await page.goto(`${base}/login`);
        await page.fill('input[name="user"]', "lena");
        await page.fill('input[name="password"]', "lena-local-password");
        await page.click('#login button[type="submit"]');
        await page.waitForURL(`${base}/`);
        await page.goto(`${base}/account/sso`);
        await page.getByText(`Link my ${NAME} account`).click();
        // The provider's login (the "continue" page forwards by itself).
        await page.waitForSelector('input[name="login"]', { timeout: 20_000 });
        await page.fill('input[name="login"]', "lena-at-idp");
        await page.fill('input[name="password"]', "any-password");
        await Promise.all([page.waitForNavigation({ timeout: 20_000 }), page.click('button[type="submit"]')]);
        if (page.url().includes("/interaction/")) {
          await page.click('button[type="submit"]', { timeout: 20_000 });
        }
        await page.waitForURL(`${base}/account/sso`, { timeout: 20_000 });
        assert.match(await page.locator("#sso").innerText(), /linked/);
        await closeCtx(ctx);
        // A fresh browser: "Sign in with" as lena-at-idp lands on the local account, role unchanged.
        const ctx2 = await b.newContext();
        const p2 = await ctx2.newPage();
        await signIn(p2, base, "lena-at-idp");
        await p2.waitForURL(`${base}/`, { timeout: 20_000 });
        assert.deepEqual(await me(p2, base), { status: 200, body: { user: "lena", role: "streamer" } });
        assert.equal(await getUser(app.kv, "lena-at-idp"), null, "no second account");
        await closeCtx(ctx2);
      });

      await t.step("wrong state, no state cookie, then the right one once; a replay is refused", async () => {
        const ctx = await b.newContext();
        const { url, cookie } = await captureCallback(ctx, base, "carol");
        const wrong = new URL(url);
        wrong.searchParams.set("state", "x" + url.searchParams.get("state"));
        let r = await call(wrong, cookie);
        assert.equal(r.status, 401);
        assert.match(r.body, /state does not match/);
        assert.ok(!r.session);
        r = await call(url); // another browser: no state cookie
        assert.equal(r.status, 401);
        assert.ok(!r.session);
        r = await call(url, cookie); // the real one works (the captured answer was good)
        assert.equal(r.status, 303, r.body);
        assert.ok(r.session);
        r = await call(url, cookie); // replayed
        assert.equal(r.status, 401);
        assert.match(r.body, /expired or was already used/);
        assert.ok(!r.session);
        await closeCtx(ctx);
      });

      await t.step("a wrong nonce is refused", async () => {
        const ctx = await b.newContext();
        const { url, cookie } = await captureCallback(ctx, base, "erin");
        const key = ["oidc_tx", url.searchParams.get("state")!];
        const tx = (await app.kv.kv.get<OidcTransaction>(key)).value!;
        await app.kv.kv.set(key, { ...tx, nonce: "not-the-nonce-that-was-sent" });
        const r = await call(url, cookie);
        assert.equal(r.status, 401);
        assert.match(r.body, /nonce/i, r.body);
        assert.ok(!r.session);
        await closeCtx(ctx);
      });

      await t.step("an expired code is refused", async () => {
        const ctx = await b.newContext();
        const { url, cookie } = await captureCallback(ctx, base, "dave");
        await new Promise((r) => setTimeout(r, 21_000)); // the provider's codes live 20 s
        const r = await call(url, cookie);
        assert.equal(r.status, 401);
        assert.match(r.body, /refused the sign-in code/);
        assert.ok(!r.session);
        await closeCtx(ctx);
      });

      await t.step("an ID token for another client is refused", async () => {
        idp.misbehave.foreignAudience = "some-other-client";
        try {
          const ctx = await b.newContext();
          const { url, cookie } = await captureCallback(ctx, base, "frank");
          const r = await call(url, cookie);
          assert.equal(r.status, 401);
          assert.match(r.body, /did not check out/);
          assert.ok(!r.session);
          await closeCtx(ctx);
        } finally {
          delete idp.misbehave.foreignAudience;
        }
      });

      await t.step("an ID token signed by another key (same key id) is refused", async () => {
        await idp.restart({ newKey: true });
        const ctx = await b.newContext();
        const { url, cookie } = await captureCallback(ctx, base, "gina");
        const r = await call(url, cookie);
        assert.equal(r.status, 401);
        assert.match(r.body, /did not check out/);
        assert.ok(!r.session);
        assert.equal(await getUser(app.kv, "gina"), null);
        await closeCtx(ctx);
      });

      await t.step("a wrong issuer and a provider that is down give a clear page", async () => {
        let r = await call(`${base}/login/oidc/wrongiss`);
        assert.equal(r.status, 502);
        assert.match(r.body, /not set up correctly/);
        r = await call(`${base}/login/oidc/down`);
        assert.equal(r.status, 502);
        assert.match(r.body, /cannot be reached/);
        assert.equal((await call(`${base}/login/oidc/nope`)).status, 404);
        // The real provider goes down between sign-in and callback.
        const ctx = await b.newContext();
        const { url, cookie } = await captureCallback(ctx, base, "hank");
        await idp.stop();
        r = await call(url, cookie);
        assert.equal(r.status, 502);
        assert.match(r.body, /cannot be reached/);
        assert.ok(!r.session);
        await closeCtx(ctx);
      });
    } finally {
      await browser?.close();
      await idp.stop();
      await server.shutdown();
      app.close();
    }
  },
});
