// The hook's cache of allowed publish-key decisions (src/auth/publish-cache.ts, used by the door's publish
// decision for a stream key, src/auth/access.ts):
// reused for at most TTL_MS; a change by another process (a second KV handle on the same file, as the CLI
// opens it) takes effect within TTL_MS; a revocation in this process at once; a lookup racing a clear is
// not stored; refusals are never cached.
import assert from "node:assert/strict";
import { Access } from "../../src/auth/access.ts";
import { PublishCache, TTL_MS } from "../../src/auth/publish-cache.ts";
import { PublishTickets } from "../../src/auth/publish-tickets.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { type Store, storeOf } from "../../src/store/kv.ts";
import { createKey, findKey, revokeKey, TOUCH_EVERY_MS } from "../../src/store/keys.ts";
import { createStream, deleteStream } from "../../src/store/streams.ts";
import { addUser, updateUser } from "../../src/store/users.ts";

/** The server's KV and a second handle on the same file (another process, e.g. `livegate key revoke`). */
async function twoHandles() {
  const dir = await Deno.makeTempDir({ prefix: "livegate-publish-cache-" });
  const server = storeOf(await Deno.openKv(`${dir}/kv.sqlite3`));
  const cli = storeOf(await Deno.openKv(`${dir}/kv.sqlite3`));
  const clock = new ManualClock(0);
  const door = new Access({ store: server, tickets: new PublishTickets(clock), clock });
  // As the app wires it (src/app/invalidation.ts): the server's announced changes clear the door's caches.
  server.changes.subscribe(() => door.clearCaches());
  doors.set(server, { door, clock });
  return {
    server,
    cli,
    door,
    async close() {
      server.kv.close();
      cli.kv.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const doors = new Map<Store, { door: Access; clock: ManualClock }>();

/** The hook's publish decision for `key` on `path` at time `now` (ms), through the server's door. */
async function checkPublishKeyCached(server: Store, path: string, key: string, now: number) {
  const { door, clock } = doors.get(server)!;
  clock.t = now;
  const d = await door.authorize({ actor: { kind: "key", key }, action: "publish", path }, { cache: true });
  return { allow: d.allow, reason: d.reason };
}

const clearPublishCache = (server: Store) => doors.get(server)!.door.publishCache.clear();
const publishCache = (server: Store) => doors.get(server)!.door.publishCache;

const T0 = 5_000_000;

Deno.test("PublishCache: TTL, clear, and no store after a clear during the lookup", () => {
  const c = new PublishCache();
  const v = { key: { id: "a", path: "live", name: "n", hash: "h", created: 0 }, reason: "ok" };
  c.set("x", v, c.generation, T0);
  assert.equal(c.get("x", T0 + TTL_MS - 1), v);
  assert.equal(c.get("x", T0 + TTL_MS), undefined, "expired after TTL_MS");
  c.set("x", v, c.generation, T0);
  assert.equal(c.get("x", T0 - 1), undefined, "an entry from the future (clock step back) is not used");
  c.set("x", v, c.generation, T0);
  const gen = c.generation;
  c.clear();
  assert.equal(c.get("x", T0), undefined);
  c.set("x", v, gen, T0);
  assert.equal(c.size, 0, "a lookup that started before the clear is not stored");
});

Deno.test("checkPublishKeyCached: a key revoked by another process stops publishing within TTL_MS", async () => {
  const h = await twoHandles();
  try {
    const { key, meta } = await createKey(h.cli, "live", "obs");
    assert.deepEqual(await checkPublishKeyCached(h.server, "live", key, T0), {
      allow: true,
      reason: "valid stream key",
    });
    await revokeKey(h.cli, meta.id); // the other process's cache is not ours
    // The documented window: the decision read at T0 may be reused until T0 + TTL_MS.
    assert.equal((await checkPublishKeyCached(h.server, "live", key, T0 + TTL_MS - 1)).allow, true);
    assert.equal((await checkPublishKeyCached(h.server, "live", key, T0 + TTL_MS)).allow, false);
    assert.equal((await checkPublishKeyCached(h.server, "live", key, T0 + TTL_MS + 1)).allow, false);
  } finally {
    await h.close();
  }
});

Deno.test("checkPublishKeyCached: changes in this process stop publishing at once", async () => {
  const h = await twoHandles();
  try {
    // Revoking through this process's store.
    const a = await createKey(h.server, "live", "a");
    assert.equal((await checkPublishKeyCached(h.server, "live", a.key, T0)).allow, true);
    await revokeKey(h.server, a.meta.id);
    assert.equal((await checkPublishKeyCached(h.server, "live", a.key, T0 + 1)).allow, false);

    // Any other change the store announces (here: a user disabled) clears the cache (src/app/invalidation.ts).
    await addUser(h.server, "sam", "sam-password-1", "streamer");
    await createStream(h.server, "cam", { owner: "sam" });
    const b = await createKey(h.server, "cam", "b", { owner: "sam" });
    assert.equal((await checkPublishKeyCached(h.server, "cam", b.key, T0)).allow, true);
    await updateUser(h.cli, "sam", { disabled: true }); // another process: not announced here
    assert.equal(
      (await checkPublishKeyCached(h.server, "cam", b.key, T0 + 1)).allow,
      true,
      "without a clear the cached decision would still be used (this is what the clear is for)",
    );
    await updateUser(h.server, "sam", { role: "streamer" }); // announced by this process's store
    const d = await checkPublishKeyCached(h.server, "cam", b.key, T0 + 2);
    assert.equal(d.allow, false);
    assert.match(d.reason, /disabled/);
  } finally {
    await h.close();
  }
});

Deno.test("checkPublishKeyCached: a lookup in flight while the cache is cleared is not kept", async () => {
  const h = await twoHandles();
  try {
    await createStream(h.server, "live", {});
    const { key } = await createKey(h.server, "live", "obs");
    const pending = checkPublishKeyCached(h.server, "live", key, T0); // reads the generation, then KV
    clearPublishCache(h.server); // a state-changing request starts meanwhile
    assert.equal((await pending).allow, true);
    assert.equal(publishCache(h.server).size, 0);
    await deleteStream(h.cli, "live"); // takes the stream's keys with it
    assert.equal((await checkPublishKeyCached(h.server, "live", key, T0 + 1)).allow, false);
  } finally {
    await h.close();
  }
});

Deno.test("checkPublishKeyCached: refusals are not cached; path and key must both match", async () => {
  const h = await twoHandles();
  try {
    const { key } = await createKey(h.server, "live", "obs");
    assert.equal((await checkPublishKeyCached(h.server, "live", "lg_guess", T0)).allow, false);
    assert.equal((await checkPublishKeyCached(h.server, "other", key, T0)).allow, false);
    assert.equal(publishCache(h.server).size, 0);
    // A key created by another process works at once (its earlier refusal was not kept).
    const other = await createKey(h.cli, "other", "new");
    assert.equal((await checkPublishKeyCached(h.server, "other", other.key, T0 + 1)).allow, true);
    assert.equal((await checkPublishKeyCached(h.server, "live", other.key, T0 + 2)).allow, false);
    assert.equal((await checkPublishKeyCached(h.server, "live", "", T0 + 3)).allow, false);
    assert.equal((await checkPublishKeyCached(h.server, "live", "x".repeat(300), T0 + 4)).allow, false);
  } finally {
    await h.close();
  }
});

Deno.test("checkPublishKeyCached: lastUsed is written on first use and then once per TOUCH_EVERY_MS", async () => {
  const h = await twoHandles();
  try {
    const { key } = await createKey(h.server, "live", "obs");
    await checkPublishKeyCached(h.server, "live", key, T0);
    assert.equal((await findKey(h.cli, key))!.lastUsed, T0);
    // Later uses: from the cache (in memory) or from KV, no new write within TOUCH_EVERY_MS.
    await checkPublishKeyCached(h.server, "live", key, T0 + 10);
    await checkPublishKeyCached(h.server, "live", key, T0 + TTL_MS + 10);
    assert.equal((await findKey(h.cli, key))!.lastUsed, T0);
    await checkPublishKeyCached(h.server, "live", key, T0 + TOUCH_EVERY_MS);
    assert.equal((await findKey(h.cli, key))!.lastUsed, T0 + TOUCH_EVERY_MS);
  } finally {
    await h.close();
  }
});

Deno.test("checkPublishKeyCached: concurrent lookups of one key share one set of KV reads", async () => {
  const h = await twoHandles();
  try {
    await createStream(h.server, "live", {});
    const { key } = await createKey(h.server, "live", "obs");
    const cache = publishCache(h.server);
    const before = cache.lookups;
    const all = await Promise.all(
      Array.from({ length: 50 }, () => checkPublishKeyCached(h.server, "live", key, T0)),
    );
    assert.ok(all.every((d: { allow: boolean }) => d.allow));
    assert.equal(cache.lookups - before, 1, "one lookup for 50 requests arriving together");
    // Refusals are shared the same way (and still not kept).
    const bad = await Promise.all(
      Array.from({ length: 20 }, () => checkPublishKeyCached(h.server, "live", "lg_nope", T0)),
    );
    assert.ok(bad.every((d: { allow: boolean }) => !d.allow));
    assert.equal(cache.lookups - before, 2);
  } finally {
    await h.close();
  }
});

Deno.test("checkPublishKeyCached: past half its TTL an entry is read again in the background", async () => {
  const h = await twoHandles();
  try {
    await createStream(h.server, "live", {});
    const { key, meta } = await createKey(h.server, "live", "obs");
    const cache = publishCache(h.server);
    assert.equal((await checkPublishKeyCached(h.server, "live", key, T0)).allow, true);
    const n = cache.lookups;
    assert.equal((await checkPublishKeyCached(h.server, "live", key, T0 + TTL_MS / 2 - 1)).allow, true);
    assert.equal(cache.lookups, n, "young entry: no lookup");
    const t1 = T0 + TTL_MS / 2 + 10;
    assert.equal(
      (await checkPublishKeyCached(h.server, "live", key, t1)).allow,
      true,
      "answered from the entry",
    );
    await new Promise((r) => setTimeout(r, 50)); // the background lookup
    assert.equal(cache.lookups, n + 1);
    // The refreshed entry counts from t1: past T0 + TTL_MS it is still used, without a lookup.
    assert.equal((await checkPublishKeyCached(h.server, "live", key, T0 + TTL_MS + 5)).allow, true);
    assert.equal(cache.lookups, n + 1);

    // A revocation by another process, found by a refresh, removes the entry at once (before its TTL).
    await revokeKey(h.cli, meta.id);
    const t2 = t1 + TTL_MS / 2 + 10;
    assert.equal((await checkPublishKeyCached(h.server, "live", key, t2)).allow, true, "still within TTL_MS");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(publishCache(h.server).size, 0);
    assert.equal((await checkPublishKeyCached(h.server, "live", key, t2 + 1)).allow, false);
  } finally {
    await h.close();
  }
});
