// Edge delivery through the real routes (no MediaMTX): the delivery API issues a token only after the door
// allowed "watch" (fresh, so a change stops new tokens at once), the /e/ origin route refuses forged,
// expired, malformed and other-stream tokens with 403 before anything reaches upstream, and answers a good
// token with the upstream's outcome (here MediaMTX is down: 502/503, not cached). The per-stream setting
// needs "manage" and CSRF. Tokens: src/edge/token.ts.
import assert from "node:assert/strict";
import { Jar, testApp, viaServer } from "./helpers.ts";
import { REPLICA_USER } from "../../src/edge/delivery.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream, updateStream } from "../../src/store/streams.ts";
import { EdgeSecret, issueToken } from "../../src/edge/token.ts";

const SECRET = "http-edge-test-secret-0123456789abcdef";
const ENV = {
  LIVEGATE_DELIVERY: "edge",
  LIVEGATE_EDGE_URLS: "http://edge1.test,http://edge2.test",
  LIVEGATE_EDGE_SECRET: SECRET,
  LIVEGATE_EDGE_TOKEN_TTL: "60",
};

Deno.test("http: edge delivery - tokens only through the door, /e/ refuses bad tokens", async () => {
  const t = await testApp(ENV);
  try {
    await addUser(t.kv, "sam", "sam-password-1", "streamer");
    await addUser(t.kv, "vic", "vic-password-1", "viewer");
    await createStream(t.kv, "pub", { visibility: "public", owner: "sam" });
    await createStream(t.kv, "priv", { visibility: "private", owner: "sam" });
    const anon = new Jar(t.app);
    const vic = new Jar(t.app);
    assert.equal((await vic.login("vic", "vic-password-1")).status, 303);

    // Public: anyone gets an edge URL with a token for exactly that stream.
    const r = await anon.req("/api/streams/pub/delivery");
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("cache-control"), "no-store");
    const pub = await r.json();
    assert.equal(pub.mode, "edge");
    assert.match(pub.hls, /^http:\/\/edge[12]\.test\/e\/\d+\.\.[A-Za-z0-9_-]{43}\/pub\/index\.m3u8$/);
    assert.ok(pub.expiresAt > Date.now() + 50_000 && pub.expiresAt <= Date.now() + 61_000);
    assert.equal((await t.deps.edge.verify("pub", pub.token)).ok, true);
    // The CSP of pages lets the player reach the edges.
    const page = await anon.req("/watch/pub");
    assert.match(
      page.headers.get("content-security-policy") ?? "",
      /connect-src 'self' http:\/\/edge1\.test http:\/\/edge2\.test/,
    );

    // Private: no token without a login; a logged-in viewer gets one carrying a viewer id.
    assert.equal((await anon.req("/api/streams/priv/delivery")).status, 401);
    const vr = await vic.req("/api/streams/priv/delivery");
    assert.equal(vr.status, 200);
    const priv = await vr.json();
    assert.match(priv.token, /^\d+\.[A-Za-z0-9_-]{16}\./, "viewer id from the session");

    // A good token reaches upstream (MediaMTX is down here: 502/503, never stored by a cache).
    const ok = await anon.req(`/e/${priv.token}/priv/index.m3u8`);
    assert.ok(ok.status === 502 || ok.status === 503, `status ${ok.status}`);
    assert.equal(ok.headers.get("cache-control"), "no-store");
    assert.equal(ok.headers.get("access-control-allow-origin"), "*");

    // Refused at once with 403: other stream, forged, expired, malformed.
    const now = Math.floor(Date.now() / 1000);
    const forged = priv.token.slice(0, -2) + (priv.token.endsWith("AA") ? "BB" : "AA");
    const expired = await issueToken(t.deps.edge.secret, "priv", now - 1);
    const cases: [string, RegExp][] = [
      [`/e/${pub.token}/priv/index.m3u8`, /bad signature/],
      [`/e/${forged}/priv/index.m3u8`, /bad signature|malformed/],
      [`/e/${expired}/priv/index.m3u8`, /expired/],
      [`/e/nonsense/priv/index.m3u8`, /malformed/],
      [`/e/${priv.token}/priv/../x`, /malformed/],
      [`/e/${priv.token}/priv`, /malformed/],
    ];
    for (const [url, why] of cases) {
      const res = await anon.req(url);
      assert.equal(res.status, 403, url);
      assert.match((await res.json()).error, why, url);
    }
    // A token signed with another secret is a forgery too.
    const other = new EdgeSecret("some-other-secret-0123456789abcdefghijkl", "/nonexistent");
    const alien = await issueToken(other, "priv", now + 60);
    assert.equal((await anon.req(`/e/${alien}/priv/index.m3u8`)).status, 403);

    // Revoking access stops new tokens at once: the stream goes private for sam only via an allow-list.
    await updateStream(t.kv, "priv", { allow: ["sam"] });
    assert.equal((await vic.req("/api/streams/priv/delivery")).status, 403);
    // ... the old token keeps working until its expiry (documented bound: LIVEGATE_EDGE_TOKEN_TTL).
    assert.equal((await t.deps.edge.verify("priv", priv.token)).ok, true);

    // The per-stream setting: only who may manage the stream, with CSRF.
    const sam = new Jar(t.app);
    assert.equal((await sam.login("sam", "sam-password-1")).status, 303);
    const put = (j: Jar, body: unknown, csrf = j.cookies.get("lg_csrf") ?? "") =>
      j.req("/api/streams/pub/delivery", {
        method: "PUT",
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: JSON.stringify(body),
      });
    assert.equal((await put(vic, { mode: "direct" })).status, 403);
    assert.equal((await put(sam, { mode: "direct" }, "wrong")).status, 403);
    assert.equal((await put(sam, { mode: "sideways" })).status, 400);
    const set = await put(sam, { mode: "direct" });
    assert.equal(set.status, 200);
    assert.equal((await set.json()).effective, "direct");
    const direct = await (await anon.req("/api/streams/pub/delivery")).json();
    assert.deepEqual(direct, { mode: "direct", hls: "/hls/pub/index.m3u8" });
    assert.equal((await put(sam, { mode: "default" })).status, 200);
    assert.equal((await (await anon.req("/api/streams/pub/delivery")).json()).mode, "edge");
  } finally {
    t.close();
  }
});

Deno.test("http: edge delivery off by default - direct URLs, no secret file written", async () => {
  const dir = await Deno.makeTempDir();
  const t = await testApp({ LIVEGATE_DATA_DIR: dir });
  try {
    await createStream(t.kv, "pub", { visibility: "public" });
    const r = await new Jar(t.app).req("/api/streams/pub/delivery");
    assert.deepEqual(await r.json(), { mode: "direct", hls: "/hls/pub/index.m3u8" });
    const files = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(files, []);
  } finally {
    t.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("http: read replicas - the origin hook lets only the replica credential relay; the replica hook checks tokens", async () => {
  const hookOf = (secret: string, body: unknown, h: Awaited<ReturnType<typeof testApp>>) =>
    viaServer(h.handler, `http://localhost/internal/mediamtx/auth/${secret}`, {
      method: "POST",
      body: JSON.stringify(body),
    }, "127.0.0.1");
  const off = await testApp({ LIVEGATE_EDGE_SECRET: SECRET });
  try {
    // Without LIVEGATE_WHEP_REPLICAS nobody relays, not even with the right password.
    const pass = await off.deps.edge.replicaPassword();
    const r = await hookOf(off.secrets.hook, {
      action: "read",
      path: "live",
      user: REPLICA_USER,
      password: pass,
    }, off);
    assert.equal(r.status, 401);
    const hook = await off.app.request(
      `/internal/edge/replica-auth/${await off.deps.edge.replicaHookSecret()}`,
      {
        method: "POST",
        body: "{}",
      },
    );
    assert.equal(hook.status, 404);
  } finally {
    off.close();
  }
  const t = await testApp({
    LIVEGATE_EDGE_SECRET: SECRET,
    LIVEGATE_WHEP_REPLICAS: "http://replica.test:8889",
  });
  try {
    await createStream(t.kv, "priv", { visibility: "private" });
    const pass = await t.deps.edge.replicaPassword();
    const ask = (body: Record<string, string>) => hookOf(t.secrets.hook, { path: "priv", ...body }, t);
    assert.equal((await ask({ action: "read", user: REPLICA_USER, password: pass })).status, 200);
    assert.equal(
      (await ask({ action: "read", user: REPLICA_USER, password: pass.slice(1) + "0" })).status,
      401,
    );
    assert.equal((await ask({ action: "read", user: "someone", password: pass })).status, 401);
    for (const action of ["publish", "playback", "api", "metrics", "pprof"]) {
      assert.equal((await ask({ action, user: REPLICA_USER, password: pass })).status, 401, action);
    }
    // The replica's own hook: read with a token for exactly that path; a wrong URL secret is 403.
    const url = `/internal/edge/replica-auth/${await t.deps.edge.replicaHookSecret()}`;
    const post = (body: unknown, u = url) => t.app.request(u, { method: "POST", body: JSON.stringify(body) });
    const now = Math.floor(Date.now() / 1000);
    const tok = await issueToken(t.deps.edge.secret, "priv", now + 60);
    assert.equal((await post({ action: "read", path: "priv", token: tok })).status, 200);
    assert.equal((await post({ action: "read", path: "priv", password: tok })).status, 200);
    assert.equal((await post({ action: "read", path: "priv", query: `token=${tok}` })).status, 200);
    assert.equal((await post({ action: "read", path: "other", token: tok })).status, 401);
    assert.equal((await post({ action: "read", path: "priv" })).status, 401);
    assert.equal((await post({ action: "publish", path: "priv", token: tok })).status, 401);
    const expired = await issueToken(t.deps.edge.secret, "priv", now - 1);
    assert.equal((await post({ action: "read", path: "priv", token: expired })).status, 401);
    assert.equal(
      (await post({ action: "read", path: "priv", token: tok }, url.slice(0, -1) + "x")).status,
      403,
    );
    assert.equal((await t.app.request(url, { method: "POST", body: "not json" })).status, 400);
  } finally {
    t.close();
  }
});
