// src/auth/publish-recheck.ts: a running publish is checked again against the store as it is now (here
// changed through a second KV handle on the same file, as the CLI in another process changes it), and
// kicked once what allowed it is gone. MediaMTX's side (live sources, kick) is given as functions here;
// tests/e2e/publish_recheck_test.ts runs the same with real MediaMTX and ffmpeg.
import assert from "node:assert/strict";
import { type LiveSource, PublishLedger, recheckPublishes } from "../../src/auth/publish-recheck.ts";
import { Access } from "../../src/auth/access.ts";
import { PublishTickets } from "../../src/auth/publish-tickets.ts";
import { systemClock } from "../../src/core/clock.ts";
import { storeOf } from "../../src/store/kv.ts";
import { createKey, revokeKey } from "../../src/store/keys.ts";
import { createStream, deleteStream, updateStream } from "../../src/store/streams.ts";
import { addUser, deleteUser, updateUser } from "../../src/store/users.ts";

const PW = "a-long-enough-password";

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "livegate-recheck-" });
  const server = storeOf(await Deno.openKv(`${dir}/kv.sqlite3`));
  const cli = storeOf(await Deno.openKv(`${dir}/kv.sqlite3`));
  const door = new Access({ store: server, tickets: new PublishTickets(), clock: systemClock });
  const ledger = new PublishLedger();
  let live: LiveSource[] = [];
  const kicked: LiveSource[] = [];
  const logs: string[] = [];
  let now = 1_000_000;
  const recheck = () =>
    recheckPublishes({
      ledger,
      grant: (path, allowance) => door.publishGrant(path, allowance),
      clearPublishCache: () => door.clearCaches(),
      live: () => Promise.resolve(live),
      kick: (s) => {
        kicked.push(s);
        return Promise.resolve(true);
      },
      log: (l) => logs.push(l),
      now: () => now,
    });
  return {
    server,
    cli,
    ledger,
    kicked,
    logs,
    setLive: (l: LiveSource[]) => live = l,
    advance: (ms: number) => now += ms,
    now: () => now,
    recheck,
    async close() {
      server.kv.close();
      cli.kv.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const rtmp = (id: string, path: string): LiveSource => ({ id, path, type: "rtmpConn" });

Deno.test("recheck: a publish goes on while its key holds, and is kicked once the key is revoked", async () => {
  const t = await setup();
  try {
    await createStream(t.server, "live", {});
    const { key, meta } = await createKey(t.server, "live", "obs");
    const ledger = t.ledger;
    await ledger.record("c1", "live", { key }, t.now());
    t.setLive([rtmp("c1", "live")]);
    assert.deepEqual(await t.recheck(), []);
    assert.deepEqual(await t.recheck(), [], "still allowed on the next round");
    assert.equal(t.kicked.length, 0);

    await revokeKey(t.cli, meta.id);
    assert.deepEqual(await t.recheck(), [{ path: "live", id: "c1", reason: "its stream key was revoked" }]);
    assert.deepEqual(t.kicked, [rtmp("c1", "live")]);
    assert.match(t.logs[0], /ended the publish to 'live' \(rtmpConn c1\): its stream key was revoked/);
    assert.equal(ledger.size, 0, "a kicked publish is forgotten");
    assert.deepEqual(await t.recheck(), []);
  } finally {
    await t.close();
  }
});

Deno.test("recheck: the key owner's deletion, disabling or demotion ends their publish; others go on", async () => {
  const t = await setup();
  try {
    for (const n of ["ann", "bob", "cat"]) await addUser(t.server, n, PW, "streamer");
    const keys: Record<string, string> = {};
    for (const n of ["ann", "bob", "cat"]) {
      await createStream(t.server, n, { owner: n });
      keys[n] = (await createKey(t.server, n, "obs", { owner: n })).key;
    }
    await createStream(t.server, "admin-show", {});
    const adminKey = (await createKey(t.server, "admin-show", "obs")).key;
    const ledger = t.ledger;
    for (const n of ["ann", "bob", "cat"]) await ledger.record(`c-${n}`, n, { key: keys[n] }, t.now());
    await ledger.record("c-admin", "admin-show", { key: adminKey }, t.now());
    t.setLive([
      rtmp("c-ann", "ann"),
      rtmp("c-bob", "bob"),
      rtmp("c-cat", "cat"),
      rtmp("c-admin", "admin-show"),
    ]);
    assert.deepEqual(await t.recheck(), []);

    await deleteUser(t.cli, "ann");
    await updateUser(t.cli, "bob", { disabled: true });
    await updateUser(t.cli, "cat", { role: "viewer" });
    const ended = (await t.recheck()).sort((a, b) => a.path.localeCompare(b.path));
    assert.deepEqual(ended, [
      { path: "ann", id: "c-ann", reason: "its stream key was revoked" }, // deleted with its owner
      { path: "bob", id: "c-bob", reason: "the key's owner 'bob' is disabled" },
      { path: "cat", id: "c-cat", reason: "'cat' may not publish to 'cat'" },
    ]);
    assert.deepEqual(t.kicked.map((s) => s.id).sort(), ["c-ann", "c-bob", "c-cat"]);
    assert.equal(ledger.size, 1, "the admin's publish is still watched");
  } finally {
    await t.close();
  }
});

Deno.test("recheck: a browser publish (ticket) ends when its user may no longer publish there", async () => {
  const t = await setup();
  try {
    await addUser(t.server, "dee", PW, "streamer");
    await addUser(t.server, "eve", PW, "streamer");
    await createStream(t.server, "studio", { owner: "dee" });
    const ledger = t.ledger;
    await ledger.record("w1", "studio", { user: "dee" }, t.now());
    t.setLive([{ id: "w1", path: "studio", type: "webRTCSession" }]);
    assert.deepEqual(await t.recheck(), []);
    await updateStream(t.cli, "studio", { owner: "eve" });
    assert.deepEqual(await t.recheck(), [{
      path: "studio",
      id: "w1",
      reason: "'dee' may not publish to 'studio'",
    }]);

    await ledger.record("w2", "studio", { user: "eve" }, t.now());
    t.setLive([{ id: "w2", path: "studio", type: "webRTCSession" }]);
    await deleteStream(t.cli, "studio");
    assert.deepEqual(await t.recheck(), [{
      path: "studio",
      id: "w2",
      reason: "'eve' may not publish to 'studio'",
    }]);
  } finally {
    await t.close();
  }
});

Deno.test("recheck: publishes that never went live are forgotten after a grace period, never kicked", async () => {
  const t = await setup();
  try {
    await createStream(t.server, "live", {});
    const { key, meta } = await createKey(t.server, "live", "obs");
    const ledger = t.ledger;
    // Allowed by the hook, but MediaMTX refused it (path busy) or it has not attached yet.
    await ledger.record("late", "live", { key }, t.now());
    // Another connection id on that path, and the same id on another path: neither is this publish.
    t.setLive([rtmp("other", "live"), rtmp("late", "elsewhere")]);
    await revokeKey(t.cli, meta.id);
    assert.deepEqual(await t.recheck(), []);
    assert.equal(t.kicked.length, 0);
    assert.equal(ledger.size, 1, "kept while it may still attach");
    t.advance(31_000);
    assert.deepEqual(await t.recheck(), []);
    assert.equal(ledger.size, 0);
  } finally {
    await t.close();
  }
});

Deno.test("publish ledger: bounded, and the newest record of a connection wins", async () => {
  const t = await setup();
  try {
    const ledger = t.ledger;
    for (let i = 0; i < 10_005; i++) await ledger.record(`c${i}`, "live", { user: "x" });
    assert.equal(ledger.size, 10_000);
    assert.equal(ledger.entries()[0][0], "c5", "the oldest went first");
    await ledger.record("c5", "other", { user: "y" });
    assert.equal(ledger.size, 10_000);
    assert.deepEqual(ledger.entries().at(-1)?.[1].path, "other");
  } finally {
    await t.close();
  }
});
