// The restream destinations API in process: owner or admin only (the door's "manage"), session + CSRF on
// writes, bad input with clear 400s (schemes, credentials in the URL, SRT stream id in the URL, missing
// parts), the key sealed at rest (AES-GCM, key file in the data dir) and never in an answer or the audit
// log, toggles and deletes, and a stream's deletion taking its destinations with it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream } from "../../src/store/streams.ts";
import { listAudit } from "../../src/store/audit.ts";
import { listAllDestinations } from "../../src/store/restream.ts";
import { loadSealer } from "../../src/core/seal.ts";
import { RESTREAM_KEY_FILE } from "../../src/restream/restreamer.ts";

type T = Awaited<ReturnType<typeof testApp>>;
const KEY = "abcd-efgh-ijkl-mnop-SECRETKEY1234";

async function api(t: T, user = "admin", password = PASSWORD) {
  const j = new Jar(t.app);
  assert.equal((await j.login(user, password)).status, 303, `login ${user}`);
  const call = async (method: string, path: string, body?: unknown, csrf = true) => {
    const res = await j.req(path, {
      method,
      headers: {
        "content-type": "application/json",
        ...(csrf ? { "x-csrf-token": j.cookies.get("lg_csrf") ?? "" } : {}),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(!text.includes(KEY), `${method} ${path}: the key must never be in an answer`);
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text);
    } catch { /* not JSON */ }
    // deno-lint-ignore no-explicit-any
    return { status: res.status, body: json as Record<string, any> };
  };
  return { jar: j, call };
}

async function setup() {
  const dataDir = await Deno.makeTempDir({ prefix: "livegate-restream-api-" });
  const t = await testApp({ LIVEGATE_DATA_DIR: dataDir });
  await addUser(t.kv, "sam", "sam-password-1", "streamer");
  await addUser(t.kv, "otto", "otto-password-1", "streamer");
  await addUser(t.kv, "vic", "vic-password-1", "viewer");
  await createStream(t.kv, "cam", { owner: "sam" });
  return {
    t,
    dataDir,
    async close() {
      await t.deps.restream.stop();
      t.close();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

Deno.test("restream api: create, list, toggle, change key, delete; key sealed and masked", async () => {
  const s = await setup();
  try {
    const { call } = await api(s.t, "sam", "sam-password-1");
    const base = "/api/streams/cam/destinations";
    const made = await call("POST", base, {
      name: "YouTube",
      url: "rtmp://a.rtmp.youtube.com/live2",
      key: KEY,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const d = made.body.destination;
    assert.equal(d.kind, "rtmp");
    assert.equal(d.url, "rtmp://a.rtmp.youtube.com/live2");
    assert.equal(d.key, "••••1234", "only the last 4 characters are shown");
    assert.equal(d.enabled, true);
    assert.equal(d.status.state, "idle");

    const srt = await call("POST", base, {
      name: "SRT box",
      url: "srt://203.0.113.5:9000?latency=200000",
      key: "publish:live",
      enabled: false,
    });
    assert.equal(srt.status, 201);
    assert.equal(srt.body.destination.kind, "srt");
    assert.equal(srt.body.destination.key, "••••", "a short key is not shown at all");

    const list = await call("GET", base);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.destinations.map((x: { name: string }) => x.name), ["YouTube", "SRT box"]);

    // At rest: sealed with the data dir's key file (created 0600), bound to the record's id.
    const stat = await Deno.stat(join(s.dataDir, RESTREAM_KEY_FILE));
    assert.equal(stat.mode! & 0o777, 0o600);
    const [rec] = (await listAllDestinations(s.t.kv)).filter((x) => x.id === d.id);
    assert.ok(!JSON.stringify(rec).includes(KEY), "the record holds no clear key");
    const sealer = await loadSealer({ envName: "X", dataDir: s.dataDir, fileName: RESTREAM_KEY_FILE });
    assert.equal(await sealer.open(rec.secret, d.id), KEY);
    await assert.rejects(() => sealer.open(rec.secret, "another-id"), /cannot decrypt/);

    // Toggle and a new key.
    const off = await call("PATCH", `${base}/${d.id}`, { enabled: false });
    assert.equal(off.status, 200);
    assert.equal(off.body.destination.enabled, false);
    const rekey = await call("PATCH", `${base}/${d.id}`, { key: "zzzz-zzzz-zzzz-NEWKEY9876" });
    assert.equal(rekey.body.destination.key, "••••9876");
    assert.equal((await call("PATCH", `${base}/${d.id}`, {})).status, 400, "nothing to change");
    assert.equal((await call("PATCH", `${base}/${d.id}`, { enabled: "yes" })).status, 400);
    assert.equal((await call("PATCH", `${base}/nope`, { enabled: true })).status, 404);

    // The audit log names the changes, never the key.
    const audit = await listAudit(s.t.kv);
    const actions = audit.map((a) => a.action);
    assert.ok(actions.includes("restream.create") && actions.includes("restream.update"));
    assert.ok(!JSON.stringify(audit).includes(KEY) && !JSON.stringify(audit).includes("NEWKEY9876"));

    assert.equal((await call("DELETE", `${base}/${d.id}`)).status, 200);
    assert.equal((await call("DELETE", `${base}/${d.id}`)).status, 404);
    assert.equal((await call("GET", base)).body.destinations.length, 1);
  } finally {
    await s.close();
  }
});

Deno.test("restream api: bad input gets a clear 400", async () => {
  const s = await setup();
  try {
    const { call } = await api(s.t);
    const base = "/api/streams/cam/destinations";
    const cases: [unknown, RegExp][] = [
      [{ name: "x", url: "ftp://host/app", key: KEY }, /unsupported scheme 'ftp:'/],
      [{ name: "x", url: "rtsp://host/app", key: KEY }, /unsupported scheme/],
      [{ name: "x", url: "file:///etc/passwd", key: KEY }, /unsupported scheme/],
      [{ name: "x", url: "rtmp://user:pw@host/app", key: KEY }, /credentials in the wrong place/],
      [{ name: "x", url: "rtmp://host/app?key=abc", key: KEY }, /credentials in the wrong place/],
      [{ name: "x", url: "srt://host:9000?streamid=publish:x", key: KEY }, /credentials in the wrong place/],
      [
        { name: "x", url: "srt://host:9000?passphrase=xyzxyzxyzxyz", key: KEY },
        /credentials in the wrong place/,
      ],
      [{ name: "x", url: "srt://host:9000?mode=listener", key: KEY }, /mode must be caller/],
      [{ name: "x", url: "srt://host:9000?foo=1", key: KEY }, /not supported/],
      [{ name: "x", url: "srt://host", key: KEY }, /needs a port/],
      [{ name: "x", url: "rtmp://host", key: KEY }, /needs the application/],
      [{ name: "x", url: "rtmp://host/app#frag", key: KEY }, /fragment/],
      [{ name: "x", url: "not a url", key: KEY }, /spaces/],
      [{ name: "x", url: "nourl", key: KEY }, /not a URL/],
      [{ name: "x", url: "", key: KEY }, /url is required/],
      [{ name: "x", url: "rtmp://host/app", key: "" }, /key is required/],
      [{ name: "x", url: "rtmp://host/app", key: "has space" }, /key must not contain/],
      [{ name: "x", url: "rtmp://host/app", key: "k".repeat(513) }, /at most 512/],
      [{ name: "", url: "rtmp://host/app", key: KEY }, /name must be 1-64/],
      [{ name: "a\nb", url: "rtmp://host/app", key: KEY }, /control characters/],
      [{ name: "x", url: "rtmp://host/app", key: KEY, enabled: 1 }, /enabled must be/],
      [{ name: "x", url: 5, key: KEY }, /url is required/],
      [{ name: "x", url: "rtmp://host/app", key: KEY, tlsVerify: false }, /rtmps:\/\/ destinations only/],
      [{ name: "x", url: "https://h/whip", key: KEY, tlsVerify: false }, /rtmps:\/\/ destinations only/],
      [{ name: "x", url: "rtmps://host/app", key: KEY, tlsVerify: "no" }, /tlsVerify must be true or false/],
      ["[1]", /JSON object/],
    ];
    for (const [body, re] of cases) {
      const r = await call("POST", base, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} -> ${r.status} ${JSON.stringify(r.body)}`);
      assert.match(String(r.body.error), re, JSON.stringify(body));
      assert.ok(!String(r.body.error).includes(KEY), "the error does not echo the key");
    }
    assert.equal(
      (await call("POST", "/api/streams/nope/destinations", { name: "x", url: "rtmp://h/a", key: KEY }))
        .status,
      404,
    );
    assert.equal((await call("POST", "/api/streams/bad!path/destinations", {})).status, 400);
    // The certificate opt-out: explicit, per rtmps:// destination; verification is on otherwise.
    const on = await call("POST", base, { name: "tls", url: "rtmps://h/app", key: KEY });
    assert.equal(on.body.destination.tlsVerify, true);
    const off = await call("POST", base, { name: "self", url: "rtmps://h/app", key: KEY, tlsVerify: false });
    assert.equal(off.status, 201);
    assert.equal(off.body.destination.tlsVerify, false);
    const moved = await call("PATCH", `${base}/${off.body.destination.id}`, { url: "rtmp://h/app" });
    assert.equal(moved.body.destination.tlsVerify, true, "the opt-out does not follow the URL to rtmp://");
    for (const d of [on, off]) {
      assert.equal((await call("DELETE", `${base}/${d.body.destination.id}`)).status, 200);
    }
    // The cap on destinations per stream.
    for (let i = 0; i < 10; i++) {
      assert.equal((await call("POST", base, { name: `d${i}`, url: "rtmp://h/a", key: KEY })).status, 201);
    }
    const over = await call("POST", base, { name: "d11", url: "rtmp://h/a", key: KEY });
    assert.equal(over.status, 400);
    assert.match(over.body.error, /at most 10/);
  } finally {
    await s.close();
  }
});

Deno.test("restream api: only the owner or an admin, with session and CSRF", async () => {
  const s = await setup();
  try {
    const base = "/api/streams/cam/destinations";
    const anon = await s.t.app.request(`http://localhost${base}`);
    assert.equal(anon.status, 401);
    const other = await api(s.t, "otto", "otto-password-1");
    assert.equal((await other.call("GET", base)).status, 403);
    assert.equal((await other.call("POST", base, { name: "x", url: "rtmp://h/a", key: KEY })).status, 403);
    const viewer = await api(s.t, "vic", "vic-password-1");
    assert.equal((await viewer.call("GET", base)).status, 403);
    // Another user's refusal is the same for a stream that does not exist.
    assert.equal((await other.call("GET", "/api/streams/ghost/destinations")).status, 403);
    const owner = await api(s.t, "sam", "sam-password-1");
    const noCsrf = await owner.call("POST", base, { name: "x", url: "rtmp://h/a", key: KEY }, false);
    assert.equal(noCsrf.status, 403);
    assert.equal((await owner.call("GET", base)).body.destinations.length, 0, "nothing was created");
    assert.equal((await owner.call("POST", base, { name: "x", url: "rtmp://h/a", key: KEY })).status, 201);
  } finally {
    await s.close();
  }
});

Deno.test("restream api: deleting the stream deletes its destinations", async () => {
  const s = await setup();
  try {
    const { call } = await api(s.t);
    await s.t.deps.restream.start();
    const base = "/api/streams/cam/destinations";
    assert.equal((await call("POST", base, { name: "a", url: "rtmp://h/a", key: KEY })).status, 201);
    assert.equal((await call("POST", base, { name: "b", url: "srt://h:1", key: KEY })).status, 201);
    assert.equal((await call("DELETE", "/api/streams/cam")).status, 200);
    // The restreamer follows the change; give its queue a moment.
    for (let i = 0; i < 50 && (await listAllDestinations(s.t.kv)).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await listAllDestinations(s.t.kv)).length, 0);
  } finally {
    await s.close();
  }
});
