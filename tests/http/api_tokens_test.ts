// API tokens over HTTP (in-process app, memory KV): each scope allows exactly its routes, refusals are
// 401 (bad/revoked/expired) and 403 (scope), revocation takes effect on the very next request, the secret
// is stored hashed and shown once, last use is recorded, admin-scope use is audited.
import nodeAssert from "node:assert/strict";
const assert = (v: unknown, msg?: string) => nodeAssert.ok(v, msg);
const assertEquals = <T>(a: T, b: T, msg?: string) => nodeAssert.deepEqual(a, b, msg);
const assertMatch = (s: string, re: RegExp) => nodeAssert.match(s, re);
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream } from "../../src/store/streams.ts";
import { createToken } from "../../src/store/tokens.ts";
import { listAudit } from "../../src/store/audit.ts";

async function setup() {
  const t = await testApp();
  await addUser(t.kv, "sam", PASSWORD, "streamer");
  await addUser(t.kv, "vic", PASSWORD, "viewer");
  await createStream(t.kv, "cam", { owner: "sam", visibility: "private" });
  return t;
}

async function loggedIn(t: Awaited<ReturnType<typeof setup>>, user: string) {
  const jar = new Jar(t.app);
  const r = await jar.login(user, PASSWORD);
  assertEquals(r.status, 303);
  return jar;
}

async function mint(jar: Jar, body: Record<string, unknown>) {
  return await jar.req("/api/tokens", {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": jar.cookies.get("lg_csrf")! },
    body: JSON.stringify(body),
  });
}

Deno.test("API tokens: created once, stored hashed, each scope allows exactly its routes", async () => {
  const t = await setup();
  try {
    const admin = await loggedIn(t, "admin");
    const tokens: Record<string, string> = {};
    for (const scope of ["read", "streams", "admin"]) {
      const r = await mint(admin, { name: `t-${scope}`, scopes: [scope], expiresIn: "1d" });
      assertEquals(r.status, 201);
      const b = await r.json();
      assertMatch(b.token, /^lgt_[A-Za-z0-9_-]{43}$/);
      assertEquals(b.meta.hash, undefined);
      tokens[scope] = b.token;
    }
    // Only the hash is stored: the secret appears nowhere in KV.
    for await (const e of t.kv.kv.list({ prefix: [] })) {
      assert(!JSON.stringify(e.value).includes(tokens.read.slice(4)), `secret stored at ${String(e.key)}`);
    }
    // The list shows the tokens without secrets or hashes.
    const list = await (await admin.req("/api/tokens")).json();
    assertEquals(list.tokens.length, 3);
    assert(!JSON.stringify(list).includes("lgt_"));

    const call = (tok: string, path: string, init: RequestInit = {}) =>
      t.app.request(`http://localhost${path}`, {
        ...init,
        headers: { authorization: `Bearer ${tok}`, "content-type": "application/json", ...init.headers },
      });
    // route -> [read, streams, admin] expected statuses
    const table: [string, string, string | undefined, number[]][] = [
      ["GET", "/api/me", undefined, [200, 200, 200]],
      ["GET", "/api/live", undefined, [200, 200, 200]],
      // past the door, the recordings API asks MediaMTX's playback server, which is not running here: 502
      ["GET", "/api/recordings/cam", undefined, [502, 502, 502]],
      ["GET", "/api/streams", undefined, [403, 200, 200]],
      ["GET", "/api/streams/cam", undefined, [403, 200, 200]],
      ["GET", "/api/streams/cam/keys", undefined, [403, 200, 200]],
      ["POST", "/api/streams/cam/keys", '{"name":"x"}', [403, 201, 201]],
      ["GET", "/api/users", undefined, [403, 403, 200]],
      ["GET", "/api/audit", undefined, [403, 403, 200]],
      ["POST", "/api/streams", '{"path":"new1"}', [403, 403, 201]],
      ["GET", "/api/tokens", undefined, [403, 403, 403]],
      ["POST", "/api/tokens", '{"scopes":["admin"]}', [403, 403, 403]],
    ];
    for (const [method, path, body, want] of table) {
      for (const [i, scope] of ["read", "streams", "admin"].entries()) {
        const p = method === "POST" && path === "/api/streams" ? path : path;
        const b = body?.replace("new1", `new-${scope}`);
        const r = await call(tokens[scope], p, { method, body: b });
        const text = await r.text();
        assertEquals(r.status, want[i], `${scope} ${method} ${path}: ${text}`);
        if (
          r.status === 403 && path !== "/api/tokens" && !path.startsWith("/api/users") &&
          path !== "/api/audit"
        ) {
          assertMatch(text, /scopes \(\w+\) do not allow/);
        }
      }
    }
    // Admin-scope use is audited (each request, with method, path and status); other scopes are not.
    const audit = await listAudit(t.kv, 500);
    const uses = audit.filter((a) => a.action === "token.use");
    assert(uses.length >= table.length, `audited ${uses.length}`);
    assert(uses.some((a) => a.detail === "GET /api/users -> 200"));
    assert(uses.every((a) => a.actor === "admin"));
    // Last use is shown.
    const after = await (await admin.req("/api/tokens")).json();
    assert(after.tokens.every((x: { lastUsed?: number }) => typeof x.lastUsed === "number"));
  } finally {
    t.close();
  }
});

Deno.test("API tokens: a token never does more than its user may (a viewer's streams scope is refused)", async () => {
  const t = await setup();
  try {
    const vic = await loggedIn(t, "vic");
    assertEquals((await mint(vic, { scopes: ["streams"] })).status, 403);
    const sam = await loggedIn(t, "sam");
    assertEquals((await mint(sam, { scopes: ["admin"] })).status, 403);
    const r = await mint(sam, { scopes: ["streams"], name: "obs" });
    const tok = (await r.json()).token;
    const call = (path: string) =>
      t.app.request(`http://localhost${path}`, { headers: { authorization: `Bearer ${tok}` } });
    assertEquals((await call("/api/streams/cam")).status, 200); // sam owns cam
    await createStream(t.kv, "other", { visibility: "private" });
    assertEquals((await call("/api/streams/other")).status, 403); // not sam's
    // A token made from the CLI for a viewer with the admin scope still has a viewer's rights.
    const { token: vt } = await createToken(t.kv, "vic", { name: "x", scopes: ["admin"], ttlS: 3600 });
    const r2 = await t.app.request("http://localhost/api/users", {
      headers: { authorization: `Bearer ${vt}` },
    });
    assertEquals(r2.status, 403);
  } finally {
    t.close();
  }
});

Deno.test("API tokens: revoked -> 401 at once, expired -> 401, bad bearer -> 401, no CSRF with a bearer", async () => {
  const t = await setup();
  try {
    const sam = await loggedIn(t, "sam");
    const b = await (await mint(sam, { scopes: ["streams"], name: "ci" })).json();
    const call = (tok: string, path = "/api/streams") =>
      t.app.request(`http://localhost${path}`, { headers: { authorization: `Bearer ${tok}` } });
    assertEquals((await call(b.token)).status, 200);
    const del = await sam.req(`/api/tokens/${b.meta.id}`, {
      method: "DELETE",
      headers: { "x-csrf-token": sam.cookies.get("lg_csrf")! },
    });
    assertEquals(del.status, 200);
    const r = await call(b.token);
    assertEquals(r.status, 401);
    assertEquals((await r.json()).error, "invalid or revoked API token");
    assertMatch(r.headers.get("www-authenticate") ?? "", /Bearer/);
    // Revoking again: 404.
    const again = await sam.req(`/api/tokens/${b.meta.id}`, {
      method: "DELETE",
      headers: { "x-csrf-token": sam.cookies.get("lg_csrf")! },
    });
    assertEquals(again.status, 404);

    const { token: old } = await createToken(t.kv, "sam", {
      name: "old",
      scopes: ["read"],
      ttlS: 60,
      now: Date.now() - 120_000,
    });
    const r2 = await call(old, "/api/me");
    assertEquals(r2.status, 401);
    assertEquals((await r2.json()).error, "this API token has expired");
    for (const h of ["Bearer", "Bearer ", "Bearer a b", "Bearer lgt_nope", "bearer \u00e9"]) {
      const r3 = await t.app.request("http://localhost/api/me", { headers: { authorization: h } });
      assertEquals(r3.status, 401, h);
      await r3.body?.cancel();
    }
    // A bearer write needs no CSRF token (browsers never send it by themselves).
    const { token: w } = await createToken(t.kv, "sam", { name: "w", scopes: ["streams"], ttlS: 3600 });
    const r4 = await t.app.request("http://localhost/api/streams/cam", {
      method: "PATCH",
      headers: { authorization: `Bearer ${w}`, "content-type": "application/json" },
      body: JSON.stringify({ title: "via token" }),
    });
    assertEquals(r4.status, 200, await r4.clone().text());
    // Deleting the user ends their tokens, and a new user of that name does not inherit them.
    const { deleteUser } = await import("../../src/store/users.ts");
    await deleteUser(t.kv, "sam");
    await addUser(t.kv, "sam", PASSWORD, "streamer");
    assertEquals((await call(w, "/api/me")).status, 401);
  } finally {
    t.close();
  }
});

Deno.test("API tokens page: create shows the secret once, the list shows it without, revoke ends it", async () => {
  const t = await setup();
  try {
    const sam = await loggedIn(t, "sam");
    const page = await (await sam.req("/account/tokens")).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1];
    assert(page.includes('value="streams"') && !page.includes('value="admin"'));
    const r = await sam.req("/account/tokens", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `csrf=${csrf}&name=obs&scope=read&scope=streams&expires=1d`,
    });
    assertEquals(r.status, 201);
    const html = await r.text();
    const tok = /<code id="new-token">(lgt_[^<]+)<\/code>/.exec(html)![1];
    const use = await t.app.request("http://localhost/api/streams", {
      headers: { authorization: `Bearer ${tok}` },
    });
    assertEquals(use.status, 200);
    const again = await (await sam.req("/account/tokens")).text();
    assert(!again.includes(tok) && again.includes("read, streams"));
    const id = /data-id="([^"]+)"/.exec(again)![1];
    // A cross-site form post is refused.
    const bad = await sam.req(`/account/tokens/${id}/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `csrf=wrong`,
    });
    assertEquals(bad.status, 403);
    const rv = await sam.req(`/account/tokens/${id}/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `csrf=${csrf}`,
    });
    assertEquals(rv.status, 303);
    const gone = await t.app.request("http://localhost/api/streams", {
      headers: { authorization: `Bearer ${tok}` },
    });
    assertEquals(gone.status, 401);
  } finally {
    t.close();
  }
});
