// The hook reuses allowed publish decisions for up to 2 s (src/auth/publish-cache.ts). A key revoked, a
// stream deleted, a publisher kicked or a key owner disabled through livegate must stop the next publish
// at once; a change made behind livegate's back (another process: the CLI) within TTL_MS.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { createKey } from "../../src/store/keys.ts";
import { createStream } from "../../src/store/streams.ts";
import { addUser } from "../../src/store/users.ts";
import { TTL_MS } from "../../src/auth/publish-cache.ts";

type T = Awaited<ReturnType<typeof testApp>>;

async function publish(t: T, key: string, path = "live"): Promise<number> {
  const r = await t.app.request(`http://localhost/internal/mediamtx/auth/${t.secrets.hook}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      action: "publish",
      path,
      protocol: "rtmp",
      query: `token=${key}`,
      ip: "127.0.0.1",
    }),
  });
  await r.body?.cancel();
  return r.status;
}

async function admin(t: T): Promise<(path: string, method: string, body?: unknown) => Promise<number>> {
  const j = new Jar(t.app);
  assert.equal((await j.login("admin", PASSWORD)).status, 303);
  return async (path, method, body) => {
    const r = await j.req(path, {
      method,
      headers: { "content-type": "application/json", "x-csrf-token": j.cookies.get("lg_csrf") ?? "" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await r.body?.cancel();
    return r.status;
  };
}

/** A key whose record is removed behind livegate's back (as another process would; no cache clear). */
async function removeOutOfBand(t: T, meta: { path: string; id: string; hash: string }) {
  await t.kv.kv.atomic().delete(["keys", meta.path, meta.id]).delete(["key_hash", meta.hash]).commit();
}

Deno.test("http: hook cache - a key revoked through livegate stops the next publish", async () => {
  const t = await testApp();
  try {
    const api = await admin(t);
    await createStream(t.kv, "live", {});
    const { key, meta } = await createKey(t.kv, "live", "obs");
    assert.equal(await publish(t, key), 200);
    assert.equal(await publish(t, key), 200, "second decision (from the cache)");
    assert.equal(await api(`/api/streams/live/keys/${meta.id}`, "DELETE"), 200);
    assert.equal(await publish(t, key), 401);
  } finally {
    t.close();
  }
});

Deno.test("http: hook cache - deleting the stream through livegate stops the next publish", async () => {
  const t = await testApp();
  try {
    const api = await admin(t);
    await createStream(t.kv, "live", {});
    const { key } = await createKey(t.kv, "live", "obs");
    assert.equal(await publish(t, key), 200);
    assert.equal(await api("/api/streams/live", "DELETE"), 200);
    assert.equal(await publish(t, key), 401);
  } finally {
    t.close();
  }
});

Deno.test("http: hook cache - disabling the key's owner through livegate stops the next publish", async () => {
  const t = await testApp();
  try {
    const api = await admin(t);
    await addUser(t.kv, "sam", "sam-password-1", "streamer");
    await createStream(t.kv, "cam", { owner: "sam" });
    const { key } = await createKey(t.kv, "cam", "obs", { owner: "sam" });
    assert.equal(await publish(t, key, "cam"), 200);
    assert.equal(await api("/api/users/sam", "PATCH", { disabled: true }), 200);
    assert.equal(await publish(t, key, "cam"), 401);
  } finally {
    t.close();
  }
});

Deno.test("http: hook cache - a change announced by the store clears it, a request that changes nothing does not; out of band: within TTL_MS", async () => {
  const t = await testApp();
  try {
    const api = await admin(t);
    await createStream(t.kv, "live", {});
    const a = await createKey(t.kv, "live", "a");
    const other = await createKey(t.kv, "live", "other");
    assert.equal(await publish(t, a.key), 200);
    await removeOutOfBand(t, a.meta);
    assert.equal(await publish(t, a.key), 200, "still the cached decision: the cache is really in use");
    // Requests that change nothing stored clear nothing (MediaMTX is down here: the kick answers 502; a
    // failed login answers 401), whatever their HTTP method.
    assert.equal(await api("/api/streams/live/kick", "POST"), 502);
    const anon = new Jar(t.app, "198.51.100.9");
    assert.equal((await anon.login("admin", "wrong-password")).status, 401);
    assert.equal(await publish(t, a.key), 200, "no change was announced: the cached decision stands");
    // A key change through livegate is announced and clears the hook's cache.
    assert.equal(await api(`/api/streams/live/keys/${other.meta.id}`, "DELETE"), 200);
    assert.equal(await publish(t, a.key), 401);

    // Nothing through livegate: the change reaches the hook within TTL_MS.
    const b = await createKey(t.kv, "live", "b");
    assert.equal(await publish(t, b.key), 200);
    const changed = Date.now();
    await removeOutOfBand(t, b.meta);
    let status = 200;
    while (status === 200 && Date.now() - changed < TTL_MS + 1000) {
      status = await publish(t, b.key);
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 401);
    assert.ok(Date.now() - changed <= TTL_MS + 100, `refused after ${Date.now() - changed} ms`);
  } finally {
    t.close();
  }
});
