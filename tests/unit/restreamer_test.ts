// The restreamer's decisions without processes: which destinations get a runner for which snapshots and
// store changes (ffmpeg replaced by a path that cannot start, so a started runner shows "failed: cannot
// start ffmpeg" at once and a stopped one "idle").
import assert from "node:assert/strict";
import { storeOf } from "../../src/store/kv.ts";
import { createStream } from "../../src/store/streams.ts";
import { Restreamer } from "../../src/restream/restreamer.ts";
import type { Snapshot } from "../../src/mediamtx/live-state.ts";
import type { LivePath } from "../../src/mediamtx/client.ts";
import { b64encode } from "../../src/core/crypto.ts";
import { Access } from "../../src/auth/access.ts";
import { PublishTickets } from "../../src/auth/publish-tickets.ts";
import { systemClock } from "../../src/core/clock.ts";
import { addUser, updateUser } from "../../src/store/users.ts";
import { createGauges } from "../../src/metrics/gauges.ts";

const path = (name: string): LivePath => ({
  name,
  online: true,
  onlineSince: null,
  codecs: [],
  inboundBytes: 0,
  bitrate: null,
  source: null,
  readers: [],
});

async function setup() {
  const store = storeOf(await Deno.openKv(":memory:"));
  const subs = new Set<(s: Snapshot) => void>();
  const live = {
    latest: undefined as Snapshot | undefined,
    subscribe(fn: (s: Snapshot) => void) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
  await addUser(store, "adm", "adm-password-1", "admin");
  await addUser(store, "sam", "sam-password-1", "streamer");
  const rs = new Restreamer({
    store,
    access: new Access({ store, tickets: new PublishTickets(systemClock), clock: systemClock }),
    secrets: { internalUser: "livegate", internalPass: "p" },
    rtspPort: 1,
    live,
    log: () => {},
    dataDir: "/nonexistent",
    keyEnv: b64encode(new Uint8Array(32).fill(7)),
    ffmpeg: "/nonexistent/ffmpeg",
  });
  const unsub = store.changes.subscribe((c) => rs.onChange(c));
  const snap = (...names: string[]) => {
    for (const fn of subs) fn({ at: Date.now(), paths: names.map(path) });
  };
  const settle = () => rs.settled();
  return {
    store,
    rs,
    snap,
    settle,
    async close() {
      await rs.stop();
      unsub();
      store.kv.close();
    },
  };
}

Deno.test("restreamer: runs enabled destinations of live, registered streams only", async () => {
  const t = await setup();
  try {
    await createStream(t.store, "cam", {});
    await createStream(t.store, "other", {});
    const a = await t.rs.create("cam", { name: "a", url: "rtmp://h/app", key: "k1" }, "adm");
    const b = await t.rs.create("cam", { name: "b", url: "rtmp://h/app", key: "k2", enabled: false }, "adm");
    const o = await t.rs.create("other", { name: "o", url: "srt://h:1", key: "k3" }, "adm");
    await t.rs.start();
    const state = async (p: string, id: string) => (await t.rs.list(p)).find((d) => d.id === id)!.status;

    t.snap("cam");
    await t.settle();
    assert.equal((await state("cam", a.id)).state, "failed", "started (this ffmpeg cannot start)");
    assert.match((await state("cam", a.id)).lastError ?? "", /cannot start ffmpeg/);
    assert.equal((await state("cam", b.id)).state, "idle", "disabled: not started");
    assert.equal((await state("other", o.id)).state, "idle", "offline stream: not started");
    assert.deepEqual(t.rs.states(), [{ path: "cam", state: "failed" }], "what the metric reports");

    // Offline: stopped (idle), the last error kept for the page.
    t.snap();
    await t.settle();
    assert.equal((await state("cam", a.id)).state, "idle");
    assert.match((await state("cam", a.id)).lastError ?? "", /cannot start ffmpeg/);

    // Enabling b while cam is live starts it.
    t.snap("cam");
    await t.rs.update("cam", b.id, { enabled: true }, "adm");
    await t.settle();
    assert.equal((await state("cam", b.id)).state, "failed");

    // A stream record removed behind the server's back (another process): not started again.
    await t.store.kv.delete(["streams", "cam"]);
    t.snap();
    await t.settle();
    t.snap("cam");
    await t.settle();
    assert.equal((await state("cam", a.id)).state, "idle");
  } finally {
    await t.close();
  }
});

Deno.test("restreamer: a key sealed with another key shows failed with the reason, without a process", async () => {
  const t = await setup();
  try {
    await createStream(t.store, "cam", {});
    const a = await t.rs.create("cam", { name: "a", url: "rtmp://h/app", key: "k1" }, "adm");
    // Damage the sealed key (as a changed LIVEGATE_RESTREAM_KEY would make it unreadable).
    const k = ["restream", "cam", a.id];
    const rec = (await t.store.kv.get<{ secret: { iv: string; data: string } }>(k)).value!;
    await t.store.kv.set(k, { ...rec, secret: { ...rec.secret, data: b64encode(new Uint8Array(20)) } });
    await t.rs.start();
    t.snap("cam");
    await t.settle();
    const s = (await t.rs.list("cam"))[0].status;
    assert.equal(s.state, "failed");
    assert.match(s.lastError ?? "", /cannot be read.*enter it again/);
  } finally {
    await t.close();
  }
});

Deno.test("restreamer: a destination runs only while the user who set it up may manage the stream", async () => {
  const t = await setup();
  try {
    await createStream(t.store, "cam", { owner: "sam" });
    const d = await t.rs.create("cam", { name: "sam's channel", url: "rtmp://h/app", key: "k1" }, "sam");
    assert.equal(d.by, "sam");
    await t.rs.start();
    t.snap("cam");
    await t.settle();
    const status = async () => (await t.rs.list("cam"))[0].status;
    assert.match((await status()).lastError ?? "", /cannot start ffmpeg/, "runs for the owner");
    // sam is demoted: the store announces it, the destination stops with the reason.
    await updateUser(t.store, "sam", { role: "viewer" });
    await t.settle();
    assert.equal((await status()).state, "failed");
    assert.match((await status()).lastError ?? "", /'sam', who set it up, may no longer manage this stream/);
    // An admin enabling it again takes it over.
    await t.rs.update("cam", d.id, { enabled: true }, "adm");
    await t.settle();
    assert.match((await status()).lastError ?? "", /cannot start ffmpeg/);
    assert.equal((await t.rs.list("cam"))[0].by, "adm");
  } finally {
    await t.close();
  }
});

Deno.test("metrics: livegate_restream_destinations counts destinations by path and state", async () => {
  const reg = createGauges({
    restream: () => [
      { path: "cam", state: "live" },
      { path: "cam", state: "live" },
      { path: "cam", state: "retrying" },
      { path: "b", state: "failed" },
    ],
  });
  const text = await reg.metrics();
  assert.match(text, /livegate_restream_destinations\{path="cam",state="live"\} 2/);
  assert.match(text, /livegate_restream_destinations\{path="cam",state="retrying"\} 1/);
  assert.match(text, /livegate_restream_destinations\{path="b",state="failed"\} 1/);
});
