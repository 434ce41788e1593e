// In-process fuzzing of the JSON API, admin pages and WebRTC signalling as a logged-in admin with a valid
// CSRF token (so requests get past the guards): every route of the app, found from app.routes, with fuzzed
// path parameters, query strings and bodies. Plus: markup in stream titles is escaped on every page, and a
// logout or revoked session is refused at once even with the HLS session cache.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "../http/helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { createKey } from "../../src/store/keys.ts";
import { checkSane } from "./check.ts";
import { enc, nastyOrRandom, prng, randomJson } from "./corpus.ts";

const FIELDS = [
  "path",
  "title",
  "visibility",
  "owner",
  "viewers",
  "name",
  "role",
  "password",
  "disabled",
  "version",
  "expiresIn",
  "label",
  "start",
  "end",
  "current",
  "invite",
  "token",
  "again",
  "source",
  "sourceOnDemand",
  "embedOrigins",
  "url",
  "format",
];

Deno.test("hardening: fuzzed JSON API, admin pages and WHEP/WHIP bodies -> no 5xx", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "mallory", "mallory-password-123", "streamer");
    await createKey(t.kv, "live", "api-fuzz");
    const admin = new Jar(t.app, "192.0.2.90");
    assert.equal((await admin.login("admin", PASSWORD)).status, 303);
    const csrf = admin.cookies.get("lg_csrf")!;
    const routes = [
      ...new Map(
        t.app.routes
          .filter((r) => ["GET", "POST", "PUT", "PATCH", "DELETE"].includes(r.method))
          .filter((r) =>
            /^\/(api|admin|whep|whip|recordings|playback|metrics|ready|account|set-password)/.test(r.path)
          )
          .map((r) => [`${r.method} ${r.path}`, r]),
      ).values(),
    ];
    assert.ok(routes.length > 5, `routes: ${routes.map((r) => r.path)}`);
    const r = prng(0xa91);
    let cases = 0;
    const statuses: Record<number, number> = {};
    for (let i = 0; i < 2500; i++) {
      const route = r.pick(routes);
      const param = () =>
        r.pick(["live", "mallory", "x1", "nope", enc(nastyOrRandom(r, 30)), "..", "%2e%2e", "a".repeat(300)]);
      let path = route.path.replace(/:[A-Za-z]+/g, param).replace(/\*/g, param);
      if (r.int(4) === 0) path += `?${r.pick(FIELDS)}=${enc(nastyOrRandom(r, 40))}`;
      const headers: Record<string, string> = { "x-csrf-token": csrf };
      let body: BodyInit | undefined;
      if (route.method !== "GET") {
        const shape = r.int(6);
        if (shape === 0) {
          headers["content-type"] = "application/sdp";
          body = r.pick(["v=0\r\n", "", nastyOrRandom(r, 400), "v=0\r\n" + "a=x\r\n".repeat(20_000)]);
        } else if (shape === 1) {
          headers["content-type"] = r.pick([
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
          ]);
          body = nastyOrRandom(r, 200);
        } else {
          headers["content-type"] = "application/json";
          const o: Record<string, unknown> = {};
          for (const f of FIELDS) {
            if (r.next() < 0.3) {
              o[f] = r.next() < 0.5
                ? randomJson(r)
                : r.pick(["live", "admin", "mallory", "public", "private", "viewer", "streamer", "admin-x"]);
            }
          }
          body = JSON.stringify(shape === 2 ? randomJson(r) : o);
        }
      }
      let res: Response;
      try {
        res = await admin.req(path, { method: route.method, headers, body });
      } catch (e) {
        assert.ok(e instanceof TypeError, `${route.method} ${path}: ${e}`);
        continue;
      }
      await checkSane(
        res,
        `${route.method} ${path.slice(0, 120)} ${String(body ?? "").slice(0, 120)}`,
        route.method,
      );
      cases++;
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      // The fuzzing admin must stay logged in (it never targets itself) for the cases to mean anything.
      if (i % 250 === 0) {
        assert.equal((await admin.req("/api/me")).status, 200, "admin logged out by fuzzing");
      }
    }
    console.log(
      `API fuzz cases: ${cases} over ${routes.length} routes, statuses ${JSON.stringify(statuses)}`,
    );
    // The corpus must get past the guards: successes and validation errors, not only 403/404.
    assert.ok(
      (statuses[200] ?? 0) + (statuses[201] ?? 0) > 50 && (statuses[400] ?? 0) > 100,
      JSON.stringify(statuses),
    );
    assert.ok(cases >= 2000);
  } finally {
    t.close();
  }
});

Deno.test("attack: XSS - markup in stream titles is escaped on every page", async () => {
  const t = await testApp();
  try {
    const admin = new Jar(t.app, "192.0.2.91");
    assert.equal((await admin.login("admin", PASSWORD)).status, 303);
    const csrf = admin.cookies.get("lg_csrf")!;
    const payload = `<script>alert(1)</script>"><img src=x onerror=alert(1)>`;
    const res = await admin.req("/api/streams", {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({ path: "xss", title: payload, visibility: "public" }),
    });
    assert.equal(res.status, 201, await res.text());
    for (const page of ["/", "/watch/xss", "/admin", "/admin/streams/xss"]) {
      const r = await admin.req(page);
      const html = await checkSane(r, page);
      assert.equal(r.status, 200, `${page}: ${r.status}`);
      assert.ok(!html.includes(payload) && !html.includes("<script>alert"), `${page} echoes the title raw`);
      assert.match(r.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    }
    // The JSON API returns it as data (the pages' scripts set it with textContent).
    const api = await admin.req("/api/streams/xss");
    assert.equal((await api.json()).stream.title, payload);
  } finally {
    t.close();
  }
});

Deno.test("attack: logout and revoked sessions lose /hls access at once (despite the session cache)", async () => {
  const t = await testApp();
  try {
    await createKey(t.kv, "live", "cache");
    const hls = async (j: Jar) => {
      const r = await j.req("/hls/live/index.m3u8");
      await r.body?.cancel();
      return r.status;
    };
    const viewer = new Jar(t.app, "192.0.2.92");
    assert.equal((await viewer.login("admin", PASSWORD)).status, 303);
    const token = viewer.cookies.get("lg_session")!;
    assert.notEqual(await hls(viewer), 401); // 502: no MediaMTX in-process, but past the login check
    const lo = await viewer.req("/logout", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `csrf=${viewer.cookies.get("lg_csrf")}`,
    });
    assert.equal(lo.status, 303);
    const stolen = new Jar(t.app, "192.0.2.93");
    stolen.cookies.set("lg_session", token);
    assert.equal(await hls(stolen), 401, "a logged-out session still reads /hls");

    // Revoked by an admin through the API.
    await addUser(t.kv, "bob", "bob-password-12345", "viewer");
    const bob = new Jar(t.app, "192.0.2.94");
    assert.equal((await bob.login("bob", "bob-password-12345")).status, 303);
    assert.notEqual(await hls(bob), 401);
    const admin = new Jar(t.app, "192.0.2.95");
    assert.equal((await admin.login("admin", PASSWORD)).status, 303);
    const csrf = admin.cookies.get("lg_csrf")!;
    const del = await admin.req("/api/users/bob", { method: "DELETE", headers: { "x-csrf-token": csrf } });
    assert.ok(del.status < 300, `delete bob: ${del.status} ${await del.text()}`);
    assert.equal(await hls(bob), 401, "a deleted user still reads /hls");

    // Disabled by an admin through the API.
    await addUser(t.kv, "dave", "dave-password-12345", "viewer");
    const dave = new Jar(t.app, "192.0.2.98");
    assert.equal((await dave.login("dave", "dave-password-12345")).status, 303);
    assert.notEqual(await hls(dave), 401);
    const dis = await admin.req("/api/users/dave", {
      method: "PATCH",
      headers: { "x-csrf-token": csrf, "content-type": "application/json" },
      body: JSON.stringify({ disabled: true }),
    });
    assert.ok(dis.status < 300, `disable dave: ${dis.status} ${await dis.text()}`);
    assert.equal(await hls(dave), 401, "a disabled user still reads /hls");
  } finally {
    t.close();
  }
});

Deno.test("attack: share links - forged, tampered, other-path and revoked tokens all get the same refusal", async () => {
  const t = await testApp();
  try {
    const admin = new Jar(t.app, "192.0.2.96");
    assert.equal((await admin.login("admin", PASSWORD)).status, 303);
    const api = (path: string, method: string, body?: unknown) =>
      admin.req(path, {
        method,
        headers: { "content-type": "application/json", "x-csrf-token": admin.cookies.get("lg_csrf")! },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    for (const p of ["sh", "other"]) {
      assert.equal((await api("/api/streams", "POST", { path: p, visibility: "unlisted" })).status, 201);
    }
    const mk = async (
      p: string,
    ) => (await (await api(`/api/streams/${p}/shares`, "POST", { hours: 1 })).json());
    const good = await mk("sh");
    const other = await mk("other");
    const revoked = await mk("sh");
    assert.ok((await api(`/api/streams/sh/shares/${revoked.share.id}`, "DELETE")).status < 300);
    const [id, exp, sig] = (good.token as string).split(".");
    const flip = (s: string) => s.slice(0, -1) + (s.endsWith("A") ? "B" : "A");
    const later = (Number.parseInt(exp, 36) + 86_400_000 * 365).toString(36);
    const forged = [
      `${id}.${exp}.${flip(sig)}`,
      `${id}.${later}.${sig}`,
      `${flip(id)}.${exp}.${sig}`,
      `${id}.${exp}`,
      `${id}..${sig}`,
      `${id}.${exp}.${sig}.x`,
      other.token,
      revoked.token,
      "",
      ".",
      "x".repeat(3000),
      `${id}.${exp}.${sig.toLowerCase()}`,
    ];
    const anon = (tok: string) =>
      t.app.request(`http://localhost/hls/sh/index.m3u8?share=${encodeURIComponent(tok)}`, {}, {
        remoteAddr: { hostname: "198.51.100.97", port: 1, transport: "tcp" },
      });
    const ok = await anon(good.token);
    await ok.body?.cancel();
    assert.notEqual(ok.status, 401, "the real share link must pass the watch check");
    assert.notEqual(ok.status, 403);
    const first = await anon(forged[0]);
    const firstBody = await first.text();
    assert.ok([401, 403].includes(first.status), `${first.status} ${firstBody}`);
    for (const tok of forged) {
      const r = await anon(tok);
      assert.deepEqual(
        { s: r.status, b: await r.text() },
        { s: first.status, b: firstBody },
        tok.slice(0, 60),
      );
    }
  } finally {
    t.close();
  }
});
