// Attacks, in-process: session fixation, CSRF on every state-changing route (enumerated from the app, so
// new routes are covered as they land), brute force without locking out the real user, stream key
// enumeration, open redirects, XSS.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "../http/helpers.ts";
import { createKey, revokeKey } from "../../src/store/keys.ts";
import { addUser } from "../../src/store/users.ts";
import { mediamtxEnv } from "../../src/mediamtx/env.ts";
import { checkSane, count } from "./check.ts";

const conn = (ip: string) => ({ remoteAddr: { hostname: ip, port: 40000, transport: "tcp" } });

Deno.test("attack: session fixation - a planted session id is never the one a login uses", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "mallory", "mallory-password-123", "viewer");
    const attacker = new Jar(t.app, "198.51.100.1");
    assert.equal((await attacker.login("mallory", "mallory-password-123")).status, 303);
    const planted = attacker.cookies.get("lg_session")!;
    for (const fixed of [planted, "attacker-chosen-session-id", "A".repeat(43)]) {
      const victim = new Jar(t.app, "192.0.2.20");
      const csrf = await victim.csrf();
      victim.cookies.set("lg_session", fixed);
      assert.equal((await victim.login("admin", PASSWORD, { csrf })).status, 303);
      const got = victim.cookies.get("lg_session")!;
      assert.notEqual(got, fixed, "login kept the planted session id");
      const asPlanted = await t.app.request("http://localhost/api/me", {
        headers: { cookie: `lg_session=${fixed}` },
      });
      assert.equal(asPlanted.status, 401, "the planted id must not be logged in as anyone afterwards");
      const me = await victim.req("/api/me");
      assert.equal((await me.json()).user, "admin");
    }
  } finally {
    t.close();
  }
});

/** Every POST/PUT/PATCH/DELETE route of the real app, with its parameters filled in. */
function stateChangingRoutes(app: { routes: { method: string; path: string }[] }) {
  const out = new Map<string, { method: string; path: string }>();
  for (const r of app.routes) {
    if (!["POST", "PUT", "PATCH", "DELETE"].includes(r.method)) continue;
    if (r.path.startsWith("/internal/mediamtx/auth/")) continue; // MediaMTX's hook: per-start secret instead
    if (r.path.startsWith("/internal/edge/replica-auth/")) continue; // a replica's hook: secret path, no cookies
    const path = r.path
      .replace(/:name\b/g, "mallory")
      .replace(/:path\b/g, "live")
      .replace(/:rung\{[^/]*\}/g, "180p") // a quality ladder's rung (pattern :rung{...})
      .replace(/:id\b/g, "x1")
      .replace(/:[A-Za-z]+/g, "x1")
      .replace(/\*/g, "x1");
    out.set(`${r.method} ${path}`, { method: r.method, path });
  }
  return [...out.values()];
}

Deno.test("attack: CSRF - every state-changing route refuses a missing token and a cross-site origin", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "mallory", "mallory-password-123", "viewer");
    await createKey(t.kv, "live", "csrf");
    const routes = stateChangingRoutes(t.app);
    assert.ok(routes.some((r) => r.path === "/logout"), `routes found: ${JSON.stringify(routes)}`);
    console.log(
      `CSRF check on ${routes.length} routes: ${routes.map((r) => `${r.method} ${r.path}`).join(", ")}`,
    );
    const admin = new Jar(t.app, "192.0.2.30");
    assert.equal((await admin.login("admin", PASSWORD)).status, 303);
    const token = admin.cookies.get("lg_csrf")!;
    const attempts: [string, Record<string, string>][] = [
      ["no token", {}],
      ["wrong token", { "x-csrf-token": "A".repeat(43) }],
      ["cross-site origin", { "x-csrf-token": token, origin: "https://evil.example" }],
      ["cross-site fetch", { "x-csrf-token": token, "sec-fetch-site": "cross-site" }],
    ];
    for (const r of routes) {
      for (const [what, extra] of attempts) {
        const isForm = r.path === "/logout" || r.path === "/login" || r.path === "/set-password";
        const headers = {
          "content-type": isForm ? "application/x-www-form-urlencoded" : "application/json",
          ...extra,
        };
        const body = isForm
          ? (extra["x-csrf-token"] ? `csrf=${extra["x-csrf-token"]}` : "user=admin&password=x")
          : JSON.stringify({ role: "admin", password: "new-password-123456", title: "x", name: "x" });
        const res = await admin.req(r.path, { method: r.method, headers, body });
        const text = await checkSane(res, `${what} ${r.method} ${r.path}`, r.method);
        assert.equal(res.status, 403, `${what}: ${r.method} ${r.path} -> ${res.status} ${text}`);
        count("csrf");
      }
    }
    // Nothing changed: still logged in, mallory still exists with her password.
    assert.equal((await admin.req("/api/me")).status, 200);
    assert.equal((await new Jar(t.app, "192.0.2.31").login("mallory", "mallory-password-123")).status, 303);
  } finally {
    t.close();
  }
});

Deno.test("attack: brute force - attackers get 429, the real user still logs in", async () => {
  const t = await testApp();
  try {
    const lim = t.cfg.loginLimits;
    // The real user's browser has logged in before.
    const real = new Jar(t.app, "192.0.2.40");
    assert.equal((await real.login("admin", PASSWORD)).status, 303);
    assert.ok(real.cookies.get("lg_device"), "a successful login remembers the browser");

    // One attacker address: locked after perIp failures, even with the right password.
    const one = new Jar(t.app, "203.0.113.1");
    for (let i = 0; i < lim.perIp; i++) assert.equal((await one.login("admin", `guess-${i}`)).status, 401);
    const blocked = await one.login("admin", PASSWORD);
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get("retry-after")) > 0);
    assert.match(await blocked.text(), /Too many failed logins/);
    // The real user from another address is not affected.
    assert.equal((await new Jar(t.app, "192.0.2.41").login("admin", PASSWORD)).status, 303);

    // A distributed attack (one guess per address) reaches the per-user limit ...
    for (let i = 0; i < lim.perUser; i++) {
      const s = (await new Jar(t.app, `203.0.113.${100 + i}`).login("admin", `spray-${i}`)).status;
      assert.ok(s === 401 || s === 429, `spray ${i}: ${s}`);
    }
    // ... so an unknown browser, even with the right password, has to wait,
    const fresh = await new Jar(t.app, "203.0.113.250").login("admin", PASSWORD);
    assert.equal(fresh.status, 429);
    // but the real user's known browser, from a new address, still gets in.
    real.cookies.delete("lg_session");
    const back = new Jar(t.app, "192.0.2.42");
    back.cookies = new Map(real.cookies);
    assert.equal((await back.login("admin", PASSWORD)).status, 303);
    // A device cookie is bound to its user: it does not lift the lock for another name.
    await addUser(t.kv, "victim", "victim-password-123", "viewer");
    for (let i = 0; i < lim.perUser; i++) {
      await new Jar(t.app, `203.0.114.${i + 1}`).login("victim", `spray-${i}`);
    }
    const other = new Jar(t.app, "192.0.2.43");
    other.cookies = new Map(real.cookies);
    assert.equal((await other.login("victim", "victim-password-123")).status, 429);
    // A forged device cookie does not either.
    const forged = new Jar(t.app, "192.0.2.44");
    forged.cookies.set("lg_device", "A".repeat(43));
    assert.equal((await forged.login("admin", PASSWORD)).status, 429);
  } finally {
    t.close();
  }
});

Deno.test("attack: stream key enumeration - every wrong key gets the same answer", async () => {
  const t = await testApp();
  try {
    const { key } = await createKey(t.kv, "live", "enum");
    const { key: other } = await createKey(t.kv, "other", "enum");
    const { key: revoked, meta } = await createKey(t.kv, "live", "revoked");
    await revokeKey(t.kv, meta.id);
    const wrong = [
      "",
      "lg_",
      key.slice(0, -1),
      key.slice(0, -1) + (key.endsWith("A") ? "B" : "A"),
      key.toUpperCase(),
      key + "x",
      revoked,
      "lg_" + "A".repeat(32),
      "x".repeat(5000),
      "' OR 1=1 --",
    ];
    const validate = async (k: string) => {
      const res = await t.app.request(
        `http://localhost/api/stream/validate?token=${encodeURIComponent(k)}`,
        {},
        conn("198.51.100.9"),
      );
      return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
    };
    const first = await validate(wrong[0]);
    assert.equal(first.status, 401);
    for (const k of wrong) assert.deepEqual(await validate(k), first, `validate ${k.slice(0, 40)}`);
    assert.equal((await validate(key)).status, 200);

    // The publish hook: a wrong key, a revoked key and another path's key all get 401. (The reason in the
    // body is for livegate's log; MediaMTX tells every refused publisher the same "authentication failed".)
    const hook = async (token: string) => {
      const res = await t.app.request(`http://localhost/internal/mediamtx/auth/${t.secrets.hook}`, {
        method: "POST",
        body: JSON.stringify({ action: "publish", path: "live", protocol: "rtmp", token, ip: "192.0.2.1" }),
      }, conn("127.0.0.1"));
      await res.body?.cancel();
      return { status: res.status };
    };
    const h = await hook(wrong[2]);
    assert.equal(h.status, 401);
    // (Over-long fields are refused as malformed, 400, before any lookup.)
    for (const k of [...wrong.slice(3), other].filter((k) => k.length <= 4096)) {
      assert.deepEqual(await hook(k), h, `hook ${k.slice(0, 40)}`);
    }
    assert.equal((await hook(key)).status, 200);
    count("enumeration", wrong.length * 2 + 2);
  } finally {
    t.close();
  }
});

const REDIRECTS = [
  "//evil.example",
  "///evil.example",
  "////evil.example/",
  "/\\evil.example",
  "\\\\evil.example",
  "/\\/evil.example",
  "/\t/evil.example",
  "/\n/evil.example",
  "/\r/evil.example",
  "/ /evil.example",
  "https://evil.example",
  "http:evil.example",
  "javascript:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "evil.example",
  "@evil.example",
  "/@evil.example",
  "/%2F%2Fevil.example",
  "/%5Cevil.example",
  "%2F%2Fevil.example",
  "/.//evil.example",
  "/..//evil.example",
  "/%09/evil.example",
  "\u3002evil.example",
  "/\u3002/evil.example",
  "/\uff0f/evil.example",
  "/\u2215/evil.example",
  "http://localhost@evil.example",
  "//localhost@evil.example",
  "/x?next=//evil.example",
  "/" + "a".repeat(5000),
];

Deno.test("attack: open redirects via ?next= stay on this site", async () => {
  const t = await testApp();
  try {
    const sameOrigin = (res: Response, what: string) => {
      const loc = res.headers.get("location");
      assert.ok(loc, `${what}: no Location (status ${res.status})`);
      // How a browser resolves it: tabs/newlines are stripped, backslashes become slashes.
      const resolved = new URL(loc!, "http://localhost/login");
      assert.equal(resolved.origin, "http://localhost", `${what} -> Location ${loc}`);
    };
    const loggedIn = new Jar(t.app, "192.0.2.50");
    assert.equal((await loggedIn.login("admin", PASSWORD)).status, 303);
    for (const next of REDIRECTS) {
      // POST /login with next in the form.
      const j = new Jar(t.app, "192.0.2.51");
      const res = await j.login("admin", PASSWORD, { next });
      assert.equal(res.status, 303);
      sameOrigin(res, `login next=${JSON.stringify(next).slice(0, 60)}`);
      // GET /login?next= when already logged in.
      let r2: Response;
      try {
        r2 = await loggedIn.req(`/login?next=${encodeURIComponent(next.toWellFormed())}`);
      } catch (e) {
        assert.ok(e instanceof TypeError);
        continue;
      }
      assert.equal(r2.status, 302);
      sameOrigin(r2, `GET /login?next=${JSON.stringify(next).slice(0, 60)}`);
      count("redirects", 2);
    }
    // A page behind the login: the redirect to /login carries next, which must survive the round trip.
    const anon = new Jar(t.app, "192.0.2.52");
    const r = await anon.req("/watch/live");
    assert.equal(r.status, 302);
    assert.equal(r.headers.get("location"), "/login?next=%2Fwatch%2Flive");
    const back = await anon.login("admin", PASSWORD, { next: "/watch/live" });
    assert.equal(back.headers.get("location"), "/watch/live");
  } finally {
    t.close();
  }
});

Deno.test("attack: XSS - markup in user names, paths and forms is escaped and CSP forbids inline script", async () => {
  const t = await testApp();
  try {
    const payloads = [
      "<script>alert(1)</script>",
      '"><img src=x onerror=alert(1)>',
      "'><svg onload=alert(1)>",
    ];
    // User names cannot carry markup at all.
    for (const p of payloads) {
      await assert.rejects(() => addUser(t.kv, p, "some-password-1234", "viewer"));
    }
    const j = new Jar(t.app, "192.0.2.60");
    for (const p of payloads) {
      // Echoed user name on a failed login.
      const res = await j.login(p, "wrong-password");
      const html = await checkSane(res, `login as ${p}`);
      assert.ok(!html.includes(p), `login page echoes ${p} raw`);
      const csp = res.headers.get("content-security-policy") ?? "";
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      count("xss");
    }
    assert.equal((await j.login("admin", PASSWORD)).status, 303);
    for (const p of payloads) {
      for (
        const path of [`/watch/${encodeURIComponent(p)}`, `/login?next=${encodeURIComponent("/" + p)}`, "/"]
      ) {
        const res = await j.req(path);
        const html = await checkSane(res, path);
        assert.ok(!html.includes(p), `${path} echoes ${p} raw`);
        count("xss");
      }
    }
  } finally {
    t.close();
  }
});

Deno.test("attack: log forging - publisher-supplied fields cannot add lines to livegate's log", async () => {
  const t = await testApp();
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => lines.push(a.map(String).join(" "));
  try {
    const res = await t.app.request(`http://localhost/internal/mediamtx/auth/${t.secrets.hook}`, {
      method: "POST",
      body: JSON.stringify({
        action: "publish",
        path: "live\n[livegate] MediaMTX started (pid 1)",
        ip: "1.2.3.4\r\n[livegate] admin logged in",
        protocol: "rtmp\u2028x",
        token: "wrong",
      }),
    }, conn("127.0.0.1"));
    assert.equal(res.status, 401);
  } finally {
    console.log = orig;
    t.close();
  }
  const refused = lines.filter((l) => l.includes("refused publish"));
  assert.equal(refused.length, 1, lines.join("|"));
  assert.doesNotMatch(refused[0], /[\r\n\u2028]/);
  // The path is not a registered stream: it is not shown at all (it may hold a key); the other fields are
  // escaped.
  assert.match(refused[0], /an unregistered path \(\d+ characters, not shown\)/);
  assert.doesNotMatch(refused[0], /MediaMTX started/);
  assert.match(refused[0], /1\.2\.3\.4\\u000d\\u000a\[livegate\] admin logged in/);
});

Deno.test("attack: MediaMTX's HTTP listeners are loopback-only in mediamtx.yml and in the MTX_* env", async () => {
  const yml = await Deno.readTextFile(new URL("../../mediamtx.yml", import.meta.url));
  for (const k of ["apiAddress", "metricsAddress", "playbackAddress", "hlsAddress", "webrtcAddress"]) {
    const m = new RegExp(`^${k}:\\s*(\\S+)`, "m").exec(yml);
    assert.ok(m, `${k} missing in mediamtx.yml`);
    assert.match(m![1], /^127\.0\.0\.1:\d+$/, `${k} in mediamtx.yml`);
  }
  assert.match(yml, /^pprof:\s*false/m);
  const t = await testApp({ LIVEGATE_HOST: "0.0.0.0" });
  try {
    const env = mediamtxEnv(t.cfg, t.secrets);
    for (
      const k of [
        "MTX_APIADDRESS",
        "MTX_METRICSADDRESS",
        "MTX_PLAYBACKADDRESS",
        "MTX_HLSADDRESS",
        "MTX_WEBRTCADDRESS",
      ]
    ) {
      assert.match(env[k], /^127\.0\.0\.1:\d+$/, k);
    }
    assert.match(env.MTX_AUTHHTTPADDRESS, /^http:\/\/127\.0\.0\.1:/, "the hook is called over loopback");
  } finally {
    t.close();
  }
});

Deno.test("attack: brute force in parallel cannot overrun the limits (attempts are counted before hashing)", async () => {
  const t = await testApp();
  try {
    const lim = t.cfg.loginLimits;
    const guess = async (ips: string[], user: string) => {
      const jars = await Promise.all(ips.map(async (ip) => {
        const j = new Jar(t.app, ip);
        await j.csrf();
        return j;
      }));
      const res = await Promise.all(jars.map((j, i) => j.login(user, `parallel-guess-${i}`)));
      const counts: Record<number, number> = {};
      for (const r of res) {
        counts[r.status] = (counts[r.status] ?? 0) + 1;
        await r.body?.cancel();
      }
      return counts;
    };
    // 60 simultaneous guesses from one address: only perIp of them reach the password check.
    const one = await guess(Array.from({ length: 60 }, () => "203.0.113.60"), "admin");
    assert.equal(one[401], lim.perIp, JSON.stringify(one));
    assert.equal(one[429], 60 - lim.perIp, JSON.stringify(one));
    // 60 simultaneous guesses from 60 addresses at another user: at most perUser are checked.
    await addUser(t.kv, "carol", "carol-password-123", "viewer");
    const many = await guess(Array.from({ length: 60 }, (_, i) => `203.0.115.${i + 1}`), "carol");
    assert.ok((many[401] ?? 0) <= lim.perUser, JSON.stringify(many));
    assert.equal((many[401] ?? 0) + (many[429] ?? 0), 60, JSON.stringify(many));
    // Successful logins do not use up the user's budget.
    for (let i = 0; i < lim.perUser + 2; i++) {
      assert.equal(
        (await new Jar(t.app, `192.0.2.${100 + i}`).login("admin", PASSWORD)).status,
        303,
        `login ${i}`,
      );
    }
  } finally {
    t.close();
  }
});

Deno.test("attack: a CSRF token planted before the login is not the logged-in session's (rotated at login)", async () => {
  const t = await testApp();
  try {
    const victim = new Jar(t.app, "192.0.2.21");
    const planted = "P".repeat(43); // e.g. set by a neighbouring site on a shared parent domain
    victim.cookies.set("lg_csrf", planted);
    assert.equal((await victim.login("admin", PASSWORD, { csrf: planted })).status, 303);
    const now = victim.cookies.get("lg_csrf")!;
    assert.notEqual(now, planted, "the token was rotated at login");
    const write = async (token: string, path: string) => {
      const r = await victim.req("/api/streams", {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": token },
        body: JSON.stringify({ path }),
      });
      await r.body?.cancel();
      return r.status;
    };
    assert.equal(await write(planted, "planted"), 403, "the planted token no longer matches the browser's");
    assert.equal(await write(now, "fresh"), 201);
  } finally {
    t.close();
  }
});
