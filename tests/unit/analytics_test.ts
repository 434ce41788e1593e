// Stream analytics, the pure parts and the store: presence of viewers at a sample, QoE quantiles, range
// parsing (400 naming the parameter), merging samples into steps (viewer-seconds kept), downsampling of old
// samples in a memory KV with a ManualClock, and the daily salt of the viewer hashes.
import assert from "node:assert/strict";
import { ManualClock } from "../../src/core/clock.ts";
import { HttpError } from "../../src/core/errors.ts";
import { storeOf } from "../../src/store/kv.ts";
import { type Broadcast, K, listSamples, type Sample, writeBatch } from "../../src/store/analytics.ts";
import { ViewerTracker } from "../../src/auth/viewers.ts";
import type { LivePath } from "../../src/mediamtx/client.ts";
import { presentViewers } from "../../src/analytics/presence.ts";
import { emptyHist, observe, quantile } from "../../src/analytics/qoe.ts";
import { bucket, medianStep, parseRange, stepFor } from "../../src/analytics/report.ts";
import { Analytics, mergeSamples, ROLLUP_MS } from "../../src/analytics/aggregator.ts";
import { ViewerHasher } from "../../src/analytics/viewer-hash.ts";
import { BeaconLimiter, parseBeacon } from "../../src/analytics/beacon.ts";
import type { Reader } from "../../src/auth/reader-recheck.ts";

Deno.test("analytics: presence = HLS request within the interval, or a WHEP session MediaMTX still has", () => {
  const now = 1_000_000;
  const v = (id: string, lastSeen: number, kind: "session" | "share" | "anonymous" = "session") => ({
    id,
    kind,
    user: null,
    ip: "198.51.100.1",
    userAgent: "",
    since: 0,
    lastSeen,
  });
  const reader = (mtxId: string, starter: Reader["starter"]): [string, Reader] => [mtxId, {
    kind: "whep",
    path: "live",
    starter,
    action: "watch",
    mtxId,
    at: 0,
    end: () => Promise.resolve(true),
  }];
  const p = presentViewers({
    path: "live",
    now,
    windowMs: 10_000,
    hls: [v("s1", now - 500), v("s2", now - 10_000), v("share:ab:1.2.3.4", now - 1, "share"), v("w1", now)],
    readers: [
      reader("m1", { sessionId: "w1" }),
      reader("m2", { ip: "9.9.9.9" }),
      reader("gone", { sessionId: "x" }),
    ],
    mtxReaders: [{ type: "webRTCSession", id: "m1" }, { type: "webRTCSession", id: "m2" }],
  });
  assert.deepEqual(
    Object.fromEntries(p),
    { w1: "webrtc", "ip:9.9.9.9": "webrtc", s1: "hls", "share:ab:1.2.3.4": "share" },
  );
});

Deno.test("analytics: QoE quantiles interpolate within buckets; above the last bound answers it", () => {
  const h = emptyHist();
  assert.equal(quantile(h, "ttff", 0.5), null);
  for (let i = 0; i < 100; i++) observe(h, "ttff", 400); // bucket (300, 500]
  const p50 = quantile(h, "ttff", 0.5)!;
  assert.ok(p50 > 300 && p50 <= 500, String(p50));
  observe(h, "latency", 999_999);
  assert.equal(quantile(h, "latency", 0.95), 12_000);
});

Deno.test("analytics: bad ranges -> 400 naming the parameter", () => {
  const now = Date.parse("2026-06-01T00:00:00Z");
  const q = (o: Record<string, string>) => (k: string) => o[k];
  const err = (o: Record<string, string>, name: string) =>
    assert.throws(
      () => parseRange(q(o), now, 90),
      (e) => e instanceof HttpError && e.status === 400 && e.message.startsWith(`${name}:`),
    );
  err({ from: "nope" }, "from");
  err({ to: "1e309" }, "to");
  err({ from: "100", to: "50" }, "from");
  err({ to: String(now + 3_600_000) }, "to");
  err({ from: "0" }, "from"); // longer than the retention
  err({ format: "xml" }, "format");
  err({ table: "x" }, "table");
  const r = parseRange(q({ from: "2026-05-31T00:00:00Z" }), now, 90);
  assert.equal(r.to - r.from, 86_400_000);
  assert.equal(stepFor(0, 86_400_000, 10_000), 60_000);
  assert.equal(stepFor(0, 900_000, 10_000), 10_000);
});

Deno.test("analytics: one late sample does not coarsen a series (the step is the samples' median)", () => {
  const steps = [10_000, 10_004, 10_002, 29_000, 10_001, 10_003, 10_000];
  let t = 0;
  const samples: Sample[] = steps.map((
    step,
  ) => ({ t: t += step, step, v: 1, max: 1, d: {}, br: null } as Sample));
  const step = stepFor(samples[0].t, samples.at(-1)!.t, Math.max(10_000, medianStep(samples)));
  assert.ok(step < 10_010, `step ${step}`);
  assert.equal(bucket(samples, step).length, samples.length);
  assert.equal(medianStep([]), 0);
});

Deno.test("analytics: merging samples keeps viewer-seconds, takes the highest count", () => {
  const s = (t: number, v: number): Sample => ({
    t,
    step: 10_000,
    v,
    max: v,
    d: { webrtc: 0, hls: v, share: 0 },
    br: 1000,
  });
  const raw = [s(0, 2), s(10_000, 4), s(20_000, 0), s(60_000, 6)];
  const m = mergeSamples(0, 60_000, raw.slice(0, 3));
  assert.equal(m.v * m.step, (2 + 4 + 0) * 10_000);
  assert.equal(m.max, 4);
  const b = bucket(raw, 60_000);
  assert.equal(b.length, 2);
  assert.equal(b[1].max, 6);
});

Deno.test("analytics: old raw samples are merged into 5-minute samples, viewer-seconds kept", async () => {
  const store = storeOf(await Deno.openKv(":memory:"));
  try {
    const clock = new ManualClock(Date.parse("2026-06-10T00:00:00Z"));
    const a = new Analytics({
      store,
      clock,
      log: () => {},
      cfg: { enabled: true, retentionDays: 90, sampleMs: 10_000, rawHours: 48 },
      live: { get: () => Promise.resolve([]) },
      viewers: { viewers: () => [] },
      readers: { entries: () => [] },
    });
    const old = clock.now() - 72 * 3_600_000; // older than 48 h: merged
    const recent = clock.now() - 3_600_000; // kept raw
    const muts = [];
    let viewerMs = 0;
    for (let i = 0; i < 60; i++) { // 10 minutes of raw samples
      const v = i % 7;
      viewerMs += v * 10_000;
      muts.push({
        key: K.sample("live", old + i * 10_000),
        value: { t: old + i * 10_000, step: 10_000, v, max: v, d: { webrtc: 0, hls: v, share: 0 }, br: null },
      });
    }
    muts.push({
      key: K.sample("live", recent),
      value: { t: recent, step: 10_000, v: 1, max: 1, d: { webrtc: 0, hls: 1, share: 0 }, br: null },
    });
    await writeBatch(store, muts);
    const merged = await a.downsample();
    assert.ok(merged >= 50, String(merged));
    const all = await listSamples(store, "live", 0, clock.now());
    const rolled = all.filter((s) => s.step === ROLLUP_MS);
    assert.ok(rolled.length >= 2 && rolled.length <= 3, JSON.stringify(all.map((s) => s.step)));
    assert.equal(all.filter((s) => s.step === 10_000 && s.t === recent).length, 1);
    const after = all.filter((s) => s.t < recent).reduce((x, s) => x + s.v * s.step, 0);
    assert.ok(Math.abs(after - viewerMs) < 100, `${after} vs ${viewerMs}`);
    assert.equal(Math.max(...rolled.map((s) => s.max)), 6);
    assert.equal(await a.downsample(), 0, "a second run finds nothing left to merge");
  } finally {
    store.kv.close();
  }
});

Deno.test("analytics: viewer hashes are salted per UTC day, stable within it, never the identity", async () => {
  const store = storeOf(await Deno.openKv(":memory:"));
  try {
    const clock = new ManualClock(Date.parse("2026-06-10T08:00:00Z"));
    const h1 = new ViewerHasher(store, clock);
    const a = await h1.hash("ip:203.0.113.9");
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(await new ViewerHasher(store, clock).hash("ip:203.0.113.9"), a, "same day, after a restart");
    clock.advance(24 * 3_600_000);
    const b = await h1.hash("ip:203.0.113.9");
    assert.notEqual(b, a, "a new day, a new salt");
    const salt = (await store.kv.get<{ day: string }>(K.salt)).value!;
    assert.equal(salt.day, "2026-06-11");
    for await (const e of store.kv.list({ prefix: ["analytics"] })) {
      assert.doesNotMatch(JSON.stringify(e), /203\.0\.113\.9/);
    }
  } finally {
    store.kv.close();
  }
});

Deno.test("analytics: beacon fields are checked by name; the limiter allows a burst then one per 5 s", () => {
  const ok = {
    v: 1,
    view: "abcdefgh12",
    delivery: "hls",
    playMs: 1000,
    rebuffers: [],
    latencyMs: 900,
    levelChanges: 0,
    fatalErrors: 0,
  };
  assert.equal(parseBeacon(JSON.stringify(ok)).latencyMs, 900);
  const bad: [unknown, RegExp][] = [
    [{ ...ok, ttffMs: -1 }, /^ttffMs:/],
    [{ ...ok, playMs: "1" }, /^playMs:/],
    [{ ...ok, rebuffers: new Array(51).fill(1) }, /^rebuffers:/],
    [{ ...ok, view: "x" }, /^view:/],
    [{ ...ok, extra: 1 }, /^extra: unknown field/],
    [{ ...ok, levelChanges: 1.5 }, /^levelChanges:/],
    [[1], /JSON object/],
  ];
  for (const [b, re] of bad) {
    assert.throws(
      () => parseBeacon(JSON.stringify(b)),
      (e) => e instanceof HttpError && e.status === 400 && re.test(e.message),
    );
  }
  const l = new BeaconLimiter(4, 5000);
  for (let i = 0; i < 4; i++) assert.equal(l.take("x", 0), 0);
  assert.ok(l.take("x", 0) > 0);
  assert.equal(l.take("x", 5000), 0);
  assert.equal(l.take("y", 0), 0);
});

Deno.test("analytics: a restart takes up the same publish (no viewer counted twice), closes an ended one", async () => {
  const store = storeOf(await Deno.openKv(":memory:"));
  try {
    const clock = new ManualClock(Date.parse("2026-06-10T08:00:00Z"));
    const start = "2026-06-10T07:59:30Z";
    let paths: LivePath[] = [];
    const live = (since: string | null): LivePath[] =>
      since === null ? [] : [{
        name: "live",
        online: true,
        onlineSince: since,
        codecs: ["H264"],
        inboundBytes: 0,
        bitrate: 1_000_000,
        source: { type: "rtmpConn", id: "x" },
        readers: [],
        video: { width: 640, height: 360 },
      }];
    const tracker = new ViewerTracker();
    const make = () =>
      new Analytics({
        store,
        clock,
        log: () => {},
        cfg: { enabled: true, retentionDays: 90, sampleMs: 10_000, rawHours: 48 },
        live: { get: () => Promise.resolve(paths) },
        viewers: tracker,
        readers: { entries: () => [] },
      });
    const watchers = (ids: string[]) => {
      for (const id of ids) {
        tracker.seen("live", { id, kind: "anonymous", user: null, ip: id, userAgent: "" }, clock.now() - 100);
      }
    };
    const stored = async () => {
      const out = [];
      for await (const e of store.kv.list<Broadcast>({ prefix: ["analytics", "broadcast", "live"] })) {
        out.push(e.value);
      }
      return out;
    };
    paths = live(start);
    const a1 = make();
    for (let i = 0; i < 3; i++) {
      clock.advance(10_000);
      watchers(["ip:a", "ip:b", "ip:c"]);
      await a1.tick();
    }
    await a1.stop();
    // A new process, MediaMTX still has the same publish: the same broadcast goes on.
    const a2 = make();
    clock.advance(10_000);
    watchers(["ip:a", "ip:b", "ip:c", "ip:d"]);
    await a2.tick();
    let bs = await stored();
    assert.equal(bs.length, 1);
    assert.equal(bs[0].unique, 4, "a, b, c not counted again");
    assert.equal(bs[0].peak, 4);
    assert.equal(bs[0].watchMs, (3 * 3 + 4) * 10_000);
    assert.equal(bs[0].end, null);
    // Gone while no livegate ran: the next start closes it at its last sample.
    await a2.stop();
    const last = bs[0].lastSampleAt;
    paths = live(null);
    clock.advance(60_000);
    await make().tick();
    bs = await stored();
    assert.equal(bs[0].end, last);
    assert.equal((await store.kv.get(K.open("live"))).value, null);
    // A new publish is a new broadcast.
    paths = live("2026-06-10T08:02:00Z");
    const a3 = make();
    clock.advance(10_000);
    watchers(["ip:a"]);
    await a3.tick();
    bs = await stored();
    assert.equal(bs.length, 2);
    assert.equal(bs[1].unique, 1);
  } finally {
    store.kv.close();
  }
});
