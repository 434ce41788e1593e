// In-process HTTP tests (app.request): login, CSRF, rate limits, sessions, redirects, guards.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "./helpers.ts";

Deno.test("http: login success sets an HttpOnly SameSite=Lax session and redirects to next", async () => {
  const t = await testApp();
  try {
    const j = new Jar(t.app);
    const res = await j.login("admin", PASSWORD, { next: "/watch/live" });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/watch/live");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("lg_session="))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/, "plain HTTP: no Secure flag");
    const me = await j.req("/api/me");
    assert.deepEqual(await me.json(), { user: "admin", role: "admin" });
  } finally {
    t.close();
  }
});

Deno.test("http: Secure cookie over HTTPS (direct or via a trusted proxy)", async () => {
  const t = await testApp();
  try {
    const j = new Jar(t.app);
    const csrf = await j.csrf();
    const res = await t.app.request("https://localhost/login", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: `lg_csrf=${j.cookies.get("lg_csrf")}`,
      },
      body: new URLSearchParams({ csrf, user: "admin", password: PASSWORD, next: "/" }),
    }, { remoteAddr: { hostname: "198.51.100.1", port: 1, transport: "tcp" } });
    assert.equal(res.status, 303);
    assert.match(res.headers.getSetCookie().find((c) => c.startsWith("lg_session="))!, /Secure/);
  } finally {
    t.close();
  }
  const p = await testApp({ LIVEGATE_TRUST_PROXY: "true" });
  try {
    const j = new Jar(p.app, "127.0.0.1");
    const csrf = await j.csrf();
    const res = await j.req("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-proto": "https" },
      body: new URLSearchParams({ csrf, user: "admin", password: PASSWORD, next: "/" }),
    });
    assert.match(res.headers.getSetCookie().find((c) => c.startsWith("lg_session="))!, /Secure/);
  } finally {
    p.close();
  }
});

Deno.test("http: LIVEGATE_SECURE_COOKIES decides the Secure flag of the CSRF cookie too", async () => {
  const csrfCookie = async (env: Record<string, string>, url: string) => {
    const t = await testApp(env);
    try {
      const res = await t.app.request(url);
      await res.body?.cancel();
      return res.headers.getSetCookie().find((c) => c.startsWith("lg_csrf="))!;
    } finally {
      t.close();
    }
  };
  assert.match(await csrfCookie({ LIVEGATE_SECURE_COOKIES: "always" }, "http://localhost/login"), /Secure/);
  assert.doesNotMatch(
    await csrfCookie({ LIVEGATE_SECURE_COOKIES: "never" }, "https://localhost/login"),
    /Secure/,
  );
  assert.match(await csrfCookie({}, "https://localhost/login"), /Secure/, "auto, over HTTPS");
  assert.doesNotMatch(await csrfCookie({}, "http://localhost/login"), /Secure/, "auto, plain HTTP");
});

Deno.test("http: wrong password and unknown user get the same 401 answer", async () => {
  const t = await testApp();
  try {
    const a = await new Jar(t.app).login("admin", "wrong-password");
    const b = await new Jar(t.app).login("nobody", "wrong-password");
    assert.equal(a.status, 401);
    assert.equal(b.status, 401);
    assert.match(await a.text(), /Wrong user name or password/);
    assert.match(await b.text(), /Wrong user name or password/);
    assert.equal(a.headers.getSetCookie().some((c) => c.startsWith("lg_session=")), false);
  } finally {
    t.close();
  }
});

Deno.test("http: CSRF - missing, wrong or cross-site tokens are refused with 403", async () => {
  const t = await testApp();
  try {
    const j = new Jar(t.app);
    const csrf = await j.csrf();
    assert.equal((await j.login("admin", PASSWORD, { csrf: "forged" })).status, 403);
    assert.equal((await j.login("admin", PASSWORD, { csrf: "" })).status, 403);
    const cross = await j.req("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: new URLSearchParams({ csrf, user: "admin", password: PASSWORD }),
    });
    assert.equal(cross.status, 403);
    // A token from another browser (cookie not matching) fails too.
    const other = new Jar(t.app);
    assert.equal((await other.login("admin", PASSWORD, { csrf })).status, 403);
    // Logout needs the token as well.
    assert.equal((await j.login("admin", PASSWORD, { csrf })).status, 303);
    const lo = await j.logout("bad");
    assert.equal(lo.status, 403);
    assert.equal((await j.req("/api/me")).status, 200, "still logged in");
  } finally {
    t.close();
  }
});

Deno.test("http: rate limit per IP -> 429 with Retry-After; other IPs unaffected", async () => {
  const t = await testApp();
  try {
    const attacker = new Jar(t.app, "198.51.100.66");
    for (let i = 0; i < t.cfg.loginLimits.perIp; i++) {
      assert.equal((await attacker.login(`guess${i}`, "wrong-password")).status, 401);
    }
    const blocked = await attacker.login("admin", PASSWORD);
    assert.equal(blocked.status, 429);
    const ra = Number(blocked.headers.get("retry-after"));
    assert.ok(ra > 0 && ra <= t.cfg.loginLimits.windowSeconds, `Retry-After ${ra}`);
    // The real admin from another IP still gets in.
    assert.equal((await new Jar(t.app, "192.0.2.10").login("admin", PASSWORD)).status, 303);
  } finally {
    t.close();
  }
});

Deno.test("http: rate limit per user name across IPs", async () => {
  const t = await testApp();
  try {
    for (let i = 0; i < t.cfg.loginLimits.perUser; i++) {
      const r = await new Jar(t.app, `198.51.100.${i + 1}`).login("admin", "wrong-password");
      assert.equal(r.status, 401);
    }
    const r = await new Jar(t.app, "198.51.100.200").login("admin", "wrong-password");
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get("retry-after")) > 0);
  } finally {
    t.close();
  }
});

Deno.test("http: new session id on every login; logout deletes the session", async () => {
  const t = await testApp();
  try {
    const j = new Jar(t.app);
    await j.login("admin", PASSWORD);
    const first = j.cookies.get("lg_session")!;
    await j.login("admin", PASSWORD, { csrf: j.cookies.get("lg_csrf") });
    const second = j.cookies.get("lg_session")!;
    assert.notEqual(first, second);
    // The old session was ended by the new login.
    const old = await t.app.request("http://localhost/api/me", {
      headers: { cookie: `lg_session=${first}` },
    });
    assert.equal(old.status, 401);
    const lo = await j.logout();
    assert.equal(lo.status, 303);
    const after = await t.app.request("http://localhost/api/me", {
      headers: { cookie: `lg_session=${second}` },
    });
    assert.equal(after.status, 401);
  } finally {
    t.close();
  }
});

Deno.test("http: ?next= never redirects off-site", async () => {
  const t = await testApp();
  try {
    for (
      const next of [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/ok\r\nx",
      ]
    ) {
      const res = await new Jar(t.app).login("admin", PASSWORD, { next });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), "/", next);
    }
  } finally {
    t.close();
  }
});

Deno.test("http: guards - /hls 401 without session, pages redirect to login, /test redirects", async () => {
  const t = await testApp();
  try {
    const anon = new Jar(t.app);
    for (const p of ["/hls/live/index.m3u8", "/hls/live/x_seg1.mp4", "/hls/anything"]) {
      const r = await anon.req(p);
      assert.equal(r.status, 401, p);
      assert.deepEqual(await r.json(), { error: "login required" });
    }
    const w = await anon.req("/watch/live");
    assert.equal(w.status, 302);
    assert.equal(w.headers.get("location"), "/login?next=%2Fwatch%2Flive");
    const test = await anon.req("/test");
    assert.equal(test.status, 301);
    assert.equal(test.headers.get("location"), "/watch/live");
  } finally {
    t.close();
  }
});

Deno.test("http: /hls with MediaMTX down -> 502/503 with a message", async () => {
  const t = await testApp();
  try {
    const j = new Jar(t.app);
    await j.login("admin", PASSWORD);
    const r = await j.req("/hls/live/index.m3u8");
    assert.ok(r.status === 502 || r.status === 503, String(r.status));
    assert.match((await r.json()).error, /MediaMTX/);
  } finally {
    t.close();
  }
});

Deno.test("http: pages carry CSP and escape user input", async () => {
  const t = await testApp();
  try {
    const r = await new Jar(t.app).login("<script>alert(1)</script>", "wrong-password");
    const html = await r.text();
    assert.ok(!html.includes("<script>alert(1)</script>"));
    assert.ok(html.includes("&lt;script&gt;"));
    assert.match(r.headers.get("content-security-policy") ?? "", /script-src 'self'/);
  } finally {
    t.close();
  }
});

Deno.test("http: bad login bodies get 400, not 500", async () => {
  const t = await testApp();
  try {
    const j = new Jar(t.app);
    await j.csrf();
    const cases: [string, string][] = [
      ["application/json", "{}"],
      ["application/x-www-form-urlencoded", "x".repeat(20_000)],
      ["text/plain", "user=admin"],
    ];
    for (const [type, body] of cases) {
      const r = await j.req("/login", { method: "POST", headers: { "content-type": type }, body });
      assert.equal(r.status, 400, `${type}`);
    }
  } finally {
    t.close();
  }
});
