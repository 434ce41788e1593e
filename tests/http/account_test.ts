// The own account (issue 24 item 9): password change with the current password, the own sessions with
// device and last use, ending one or all others, and set-password links (invitation and reset) that work
// once and expire.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { createSession, getSession, TOUCH_MS } from "../../src/store/sessions.ts";

const CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

async function loginAs(app: Jar["app"], user: string, password: string, ua: string, ip = "203.0.113.7") {
  const j = new Jar(app, ip);
  const csrf = await j.csrf();
  const r = await j.req("/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": ua },
    body: new URLSearchParams({ csrf, user, password, next: "/" }),
  });
  assert.equal(r.status, 303);
  return j;
}

const api = (j: Jar, path: string, method = "GET", body?: unknown) =>
  j.req(path, {
    method,
    headers: { "content-type": "application/json", "x-csrf-token": j.cookies.get("lg_csrf") ?? "" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

Deno.test("account: own sessions with device, current first; end one, end all others; not someone else's", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "sam", "sam-password-123", "viewer");
    const laptop = await loginAs(t.app, "sam", "sam-password-123", CHROME);
    const phone = await loginAs(t.app, "sam", "sam-password-123", IPHONE, "203.0.113.8");
    const third = await loginAs(t.app, "sam", "sam-password-123", CHROME, "203.0.113.9");
    const admin = await loginAs(t.app, "admin", PASSWORD, CHROME, "203.0.113.10");

    const v = await (await api(phone, "/api/account")).json();
    assert.equal(v.user, "sam");
    assert.equal(v.total, 3);
    assert.equal(v.sessions[0].current, true);
    assert.equal(v.sessions[0].device, "Safari 17 on iOS");
    assert.deepEqual(v.sessions.slice(1).map((s: { device: string }) => s.device), [
      "Chrome 156 on Linux",
      "Chrome 156 on Linux",
    ]);

    // The page lists them, with local-time elements and an End button per other session.
    const page = await (await phone.req("/account")).text();
    assert.match(page, /Safari 17 on iOS\s*<span class="badge">this device<\/span>/);
    assert.equal((page.match(/data-method="DELETE"/g) ?? []).length, 2);
    assert.match(page, /<time datetime="\d{4}-/);

    // An admin's session is not "one of sam's": 404, and it keeps working.
    const adminId = (await (await api(admin, "/api/account")).json()).sessions[0].id;
    assert.equal((await api(phone, `/api/account/sessions/${adminId}`, "DELETE")).status, 404);
    assert.equal((await admin.req("/api/me")).status, 200);

    // End the laptop's session from the phone.
    const laptopId = (await (await api(laptop, "/api/account")).json()).sessions[0].id;
    assert.equal((await api(phone, `/api/account/sessions/${laptopId}`, "DELETE")).status, 200);
    assert.equal((await laptop.req("/api/me")).status, 401);
    // Without the CSRF header: refused.
    const noCsrf = await phone.req("/api/account/sessions/end-others", { method: "POST" });
    assert.equal(noCsrf.status, 403);
    const r = await (await api(phone, "/api/account/sessions/end-others", "POST")).json();
    assert.equal(r.ended, 1);
    assert.equal((await third.req("/api/me")).status, 401);
    assert.equal((await phone.req("/api/me")).status, 200, "this session stays");
    assert.equal((await api(phone, "/api/account?page=0")).status, 400);
    assert.equal((await new Jar(t.app).req("/api/account")).status, 401);
    assert.equal((await new Jar(t.app).req("/account")).status, 302);
  } finally {
    t.close();
  }
});

Deno.test("account: sessions are paged (50 a page), and last use is written at most every 5 min", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "many", "many-password-123", "viewer");
    const tokens: string[] = [];
    for (let i = 0; i < 120; i++) {
      tokens.push(await createSession(t.kv, "many", 3600, { device: `Dev ${i}` }));
    }
    const j = await loginAs(t.app, "many", "many-password-123", CHROME);
    const p1 = await (await api(j, "/api/account")).json();
    assert.equal(p1.total, 121);
    assert.equal(p1.pages, 3);
    assert.equal(p1.sessions.length, 50);
    const p3 = await (await api(j, "/api/account?page=3")).json();
    assert.equal(p3.sessions.length, 21);
    const html = await (await j.req("/account?page=2")).text();
    assert.match(html, /Page 2 of 3/);

    const s0 = (await getSession(t.kv, tokens[0], 3600))!;
    const soon = (await getSession(t.kv, tokens[0], 3600, s0.lastUsed! + 1000))!;
    assert.equal(soon.lastUsed, s0.lastUsed, "not written again within 5 min");
    const later = s0.lastUsed! + TOUCH_MS + 1000;
    assert.equal((await getSession(t.kv, tokens[0], 3600, later))!.lastUsed, later);
  } finally {
    t.close();
  }
});

Deno.test("account: password change needs the current password, ends the other sessions, keeps this one", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "pat", "pat-password-123", "streamer");
    const a = await loginAs(t.app, "pat", "pat-password-123", CHROME);
    const b = await loginAs(t.app, "pat", "pat-password-123", IPHONE, "203.0.113.8");
    const wrong = await api(a, "/api/account/password", "POST", {
      current: "nope",
      password: "new-password-456",
    });
    assert.equal(wrong.status, 403);
    assert.match((await wrong.json()).error, /current password is wrong/);
    const weak = await api(a, "/api/account/password", "POST", {
      current: "pat-password-123",
      password: "short",
    });
    assert.equal(weak.status, 400);
    assert.equal((await api(a, "/api/account/password", "POST", { password: "x" })).status, 400);
    const ok = await api(a, "/api/account/password", "POST", {
      current: "pat-password-123",
      password: "new-password-456",
    });
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.match((await ok.json()).message, /Password changed/);
    assert.equal((await a.req("/api/me")).status, 200, "this session stays");
    assert.equal((await b.req("/api/me")).status, 401, "the other one ended");
    await loginAs(t.app, "pat", "new-password-456", CHROME, "203.0.113.20");
    // Guessing the current password is limited like logins are.
    let last = 0;
    for (let i = 0; i < 15; i++) {
      last = (await api(a, "/api/account/password", "POST", {
        current: `guess-${i}`,
        password: "another-pass-789",
      }))
        .status;
      if (last === 429) break;
    }
    assert.equal(last, 429, "wrong current passwords run into the login limit");
  } finally {
    t.close();
  }
});

Deno.test("set-password links: an invitation sets the password once, logs in; reused, replaced or forged links are refused", async () => {
  const t = await testApp();
  try {
    const admin = await loginAs(t.app, "admin", PASSWORD, CHROME);
    const created = await api(admin, "/api/users", "POST", {
      name: "newbie",
      role: "streamer",
      invite: true,
    });
    assert.equal(created.status, 201);
    const body = await created.json();
    assert.equal(body.password, undefined, "no password to pass on by hand");
    const url = new URL(body.setPasswordUrl);
    assert.equal(url.pathname, "/set-password");
    const token = url.searchParams.get("token")!;
    assert.ok(Date.parse(body.expiresAt) - Date.now() > 6 * 24 * 3600_000);
    assert.equal((await api(admin, "/api/users", "POST", { name: "x1", invite: "yes" })).status, 400);

    const guest = new Jar(t.app, "198.51.100.4");
    const form = await (await guest.req(`/set-password?token=${token}`)).text();
    assert.match(form, /For the account <strong>newbie<\/strong>/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(form)![1];
    const post = (fields: Record<string, string>) =>
      guest.req("/set-password", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrf: guest.cookies.get("lg_csrf") ?? csrf, token, ...fields }),
      });
    assert.equal((await post({ password: "newbie-pass-123", again: "different-pass-1" })).status, 400);
    assert.equal(
      (await post({ password: "short", again: "short" })).status,
      400,
      "weak: the link stays usable",
    );
    const noCsrf = await guest.req("/set-password", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, password: "newbie-pass-123", again: "newbie-pass-123" }),
    });
    assert.equal(noCsrf.status, 403);
    const done = await post({ password: "newbie-pass-123", again: "newbie-pass-123" });
    assert.equal(done.status, 303);
    assert.deepEqual(await (await guest.req("/api/me")).json(), { user: "newbie", role: "streamer" });
    // Used once: the link and a second submission are gone.
    assert.equal((await new Jar(t.app).req(`/set-password?token=${token}`)).status, 410);
    assert.equal((await post({ password: "other-pass-1234", again: "other-pass-1234" })).status, 410);
    await loginAs(t.app, "newbie", "newbie-pass-123", CHROME, "203.0.113.30");

    // A reset link replaces the previous one; forged and malformed tokens are the same "gone" page.
    const l1 = new URL(
      (await (await api(admin, "/api/users/newbie/password-link", "POST")).json()).setPasswordUrl,
    );
    const l2 = new URL(
      (await (await api(admin, "/api/users/newbie/password-link", "POST")).json()).setPasswordUrl,
    );
    assert.equal((await new Jar(t.app).req(l1.pathname + l1.search)).status, 410, "replaced");
    assert.equal((await new Jar(t.app).req(l2.pathname + l2.search)).status, 200);
    for (const bad of ["", "x", "A".repeat(43), "<script>", "%00".repeat(20)]) {
      const r = await new Jar(t.app).req(`/set-password?token=${bad}`);
      assert.equal(r.status, 410, bad);
      assert.match(await r.text(), /expired or was already used/);
    }
    assert.equal((await api(admin, "/api/users/nobody/password-link", "POST")).status, 404);
    const viewer = await loginAs(t.app, "newbie", "newbie-pass-123", CHROME, "203.0.113.31");
    assert.equal((await api(viewer, "/api/users/admin/password-link", "POST")).status, 403, "admins only");
  } finally {
    t.close();
  }
});

Deno.test("set-password links expire (7 days)", async () => {
  const { ManualClock } = await import("../../src/core/clock.ts");
  const clock = new ManualClock(Date.now());
  const t = await testApp();
  try {
    const { createPasswordLink, peekPasswordLink, redeemPasswordLink } = await import(
      "../../src/store/password-links.ts"
    );
    await addUser(t.kv, "late", "late-password-123", "viewer");
    const { token } = await createPasswordLink(t.kv, "late", clock.now());
    assert.ok(await peekPasswordLink(t.kv, token, clock.now() + 6 * 24 * 3600_000));
    const after = clock.now() + 7 * 24 * 3600_000 + 1;
    assert.equal(await peekPasswordLink(t.kv, token, after), null);
    await assert.rejects(
      () => redeemPasswordLink(t.kv, token, "late-pass-4567", after),
      /expired or was already used/,
    );
  } finally {
    t.close();
  }
});

Deno.test("user routes: a name too long to be a KV key is 404 on every method, never a 500", async () => {
  const t = await testApp();
  try {
    const admin = await loginAs(t.app, "admin", PASSWORD, CHROME);
    const long = "a".repeat(3000);
    for (
      const [method, path, body] of [
        ["GET", `/api/users/${long}`, undefined],
        ["PATCH", `/api/users/${long}`, { role: "viewer" }],
        ["DELETE", `/api/users/${long}`, undefined],
        ["POST", `/api/users/${long}/password`, { password: "long-name-pass-1" }],
        ["POST", `/api/users/${long}/password-link`, undefined],
        ["DELETE", `/api/account/sessions/${long}`, undefined],
      ] as const
    ) {
      const r = await api(admin, path, method, body);
      assert.equal(r.status, 404, `${method} ${path.slice(0, 30)}: ${await r.clone().text()}`);
      assert.ok((await r.json()).error);
    }
    assert.equal((await admin.req(`/admin/users/${long}`)).status, 404);
  } finally {
    t.close();
  }
});

Deno.test("error pages keep a logged-in user's top bar (name, account, log out); anonymous ones have none", async () => {
  const t = await testApp();
  try {
    const admin = await loginAs(t.app, "admin", PASSWORD, CHROME);
    for (const path of ["/no-such-page", "/admin/users/nobody", "/watch/..bad"]) {
      const r = await admin.req(path);
      assert.ok(r.status >= 400, `${path}: ${r.status}`);
      const html = await r.text();
      assert.match(html, /<a class="who" href="\/account"[^>]*>admin<\/a>/, path);
      assert.match(html, /action="\/logout"/, path);
      assert.doesNotMatch(html, /<!--lg:nav-->/);
    }
    const anon = await (await new Jar(t.app).req("/no-such-page")).text();
    assert.doesNotMatch(anon, /action="\/logout"|class="who"/);
  } finally {
    t.close();
  }
});
