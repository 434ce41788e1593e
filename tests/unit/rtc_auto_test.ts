// The WebRTC player's automatic rung choice (static/rtc-auto.ts), fed with stats sequences: steady play
// stays; sustained loss, dropped frames, freezes or too little available bandwidth step one rung down
// (not a short blip), never two steps within the hold time; the way back up waits for a long good stretch,
// needs headroom when the browser reports the available bandwidth, and waits longer after an up-step that
// did not hold. A new session (counters back to zero) starts a new window.
import assert from "node:assert/strict";
import { AUTO, autoState, autoStep, judge, type RtcSample, zeroSample } from "../../static/rtc-auto.ts";

/** Source (unknown bitrate), 360p 700 kbit/s, 180p 250 kbit/s. */
const BPS = [null, 700_000, 250_000];

/** A stats stream: every call advances 1 s with `recv` packets, `lost` lost, 30 frames (`dropped` of them). */
function feed() {
  const s = zeroSample(0);
  return (
    o: {
      recv?: number;
      lost?: number;
      dropped?: number;
      freezes?: number;
      abr?: number | null;
      buffer?: number;
    } = {},
  ) => {
    s.t += 1000;
    s.packetsReceived += o.recv ?? 100;
    s.packetsLost += o.lost ?? 0;
    s.framesDropped += o.dropped ?? 0;
    s.framesDecoded += 30 - (o.dropped ?? 0);
    s.freezeCount += o.freezes ?? 0;
    // The frames that left the jitter buffer, each after `buffer` s (0.08 s: a healthy live buffer).
    s.jitterBufferEmittedCount += 30 - (o.dropped ?? 0);
    s.jitterBufferDelay += (30 - (o.dropped ?? 0)) * (o.buffer ?? 0.08);
    s.availableIncomingBitrate = o.abr === undefined ? null : o.abr;
    return { ...s };
  };
}

/** Runs `n` one-second samples through `st`; returns the levels it stepped to with the time (s). */
function run(st: ReturnType<typeof autoState>, next: ReturnType<typeof feed>, n: number, o = {}) {
  const steps: [number, number, string][] = [];
  for (let i = 0; i < n; i++) {
    const s = next(o);
    const before = st.level;
    const d = autoStep(st, s, BPS);
    if (d.level !== before) steps.push([s.t / 1000, d.level, d.reason]);
  }
  return steps;
}

Deno.test("rtc auto: judging one window", () => {
  const base = zeroSample(0);
  assert.equal(judge(base, { ...base, t: 1000, packetsReceived: 100, framesDecoded: 30 }, null).bad, "");
  assert.match(
    judge(base, { ...base, t: 1000, packetsReceived: 90, packetsLost: 10 }, null).bad,
    /10% packets lost/,
  );
  assert.match(
    judge(base, { ...base, t: 1000, packetsReceived: 100, framesDecoded: 20, framesDropped: 10 }, null).bad,
    /33% frames dropped/,
  );
  assert.match(judge(base, { ...base, t: 1000, packetsReceived: 100, freezeCount: 1 }, null).bad, /1 freeze/);
  assert.match(
    judge(base, { ...base, t: 1000, packetsReceived: 100, availableIncomingBitrate: 300_000 }, 700_000).bad,
    /300 kbit\/s available/,
  );
  // Unknown need (the source): the available bandwidth alone does not make a window bad.
  assert.equal(
    judge(
      base,
      { ...base, t: 1000, packetsReceived: 100, framesDecoded: 30, availableIncomingBitrate: 1 },
      null,
    ).bad,
    "",
  );
});

Deno.test("rtc auto: steady play stays on the source; a short blip does not step down", () => {
  const st = autoState(0);
  const next = feed();
  assert.deepEqual(run(st, next, 30), []);
  // 2 s of heavy loss (fewer than DOWN_BAD bad windows): no step.
  assert.deepEqual(run(st, next, 2, { lost: 30 }), []);
  assert.deepEqual(run(st, next, 10), []);
  assert.equal(st.level, 0);
});

Deno.test("rtc auto: sustained loss steps down one rung at a time, held between steps", () => {
  const st = autoState(0);
  const next = feed();
  run(st, next, 5);
  const steps = run(st, next, 20, { lost: 20 }); // 17% loss for 20 s
  assert.ok(steps.length === 2, JSON.stringify(steps));
  assert.equal(steps[0][1], 1);
  assert.match(steps[0][2], /down: 17% packets lost/);
  assert.equal(steps[1][1], 2);
  assert.ok(steps[1][0] - steps[0][0] >= AUTO.HOLD_MS / 1000, "held between steps");
  assert.ok(steps[0][0] - 5 >= AUTO.DOWN_BAD, "only after DOWN_BAD bad windows");
  // At the lowest rung there is nowhere further down.
  assert.deepEqual(run(st, next, 20, { lost: 20 }), []);
  assert.equal(st.level, 2);
});

Deno.test("rtc auto: trouble in bursts (bad, good, bad...) steps down too; a window without packets is no verdict", () => {
  const st = autoState(0);
  const next = feed();
  run(st, next, 3);
  const steps: [number, number, string][] = [];
  for (let i = 0; i < 6; i++) steps.push(...run(st, next, 1, i % 2 ? {} : { freezes: 1 }));
  assert.equal(steps.length, 1, JSON.stringify(steps));
  assert.equal(steps[0][1], 1);
  // A stalled stream (no packets at all) is not the network's fault: no step, however long.
  const stalled = autoState(1);
  const n2 = feed();
  run(stalled, n2, 2);
  assert.deepEqual(run(stalled, n2, 20, { recv: 0 }), []);
});

Deno.test("rtc auto: packets without a decoded frame count as bad", () => {
  const base = zeroSample(0);
  assert.match(judge(base, { ...base, t: 1000, packetsReceived: 80 }, null).bad, /no frame decoded/);
});

Deno.test("rtc auto: dropped frames, freezes and a swollen jitter buffer count as bad too", () => {
  for (const bad of [{ dropped: 10 }, { freezes: 1 }, { buffer: 0.9 }]) {
    const st = autoState(0);
    const next = feed();
    run(st, next, 3);
    const steps = run(st, next, 6, bad);
    assert.equal(steps.length, 1, JSON.stringify(bad));
    assert.equal(steps[0][1], 1);
  }
});

Deno.test("rtc auto: comes back up after a long good stretch, one rung at a time", () => {
  const st = autoState(0);
  const next = feed();
  run(st, next, 20, { lost: 20 }); // down to 180p
  assert.equal(st.level, 2);
  // Good again: not before UP_AFTER_MS.
  const up = run(st, next, 60);
  assert.ok(up.length === 2, JSON.stringify(up));
  assert.equal(up[0][1], 1);
  assert.match(up[0][2], /^up:/);
  assert.equal(up[1][1], 0);
  assert.ok(up[0][0] - 20 >= AUTO.UP_AFTER_MS / 1000, "waited for a good stretch");
  assert.ok(up[1][0] - up[0][0] >= AUTO.UP_AFTER_MS / 1000);
});

Deno.test("rtc auto: an up-step that does not hold doubles the wait before the next (hysteresis)", () => {
  const st = autoState(0);
  const next = feed();
  run(st, next, 6, { lost: 20 });
  assert.equal(st.level, 1);
  const first = run(st, next, 30);
  assert.equal(first[0]?.[1], 0, "went up");
  const upAt = first[0][0];
  // The source cannot be carried: down again soon after the up-step.
  const down = run(st, next, 5, { lost: 20 });
  assert.equal(down[0]?.[1], 1);
  assert.equal(st.upHoldMs, AUTO.UP_AFTER_MS * 2);
  const again = run(st, next, 60);
  assert.equal(again[0]?.[1], 0);
  assert.ok(again[0][0] - down[0][0] >= (2 * AUTO.UP_AFTER_MS) / 1000, "waited twice as long");
  assert.ok(down[0][0] - upAt < AUTO.FAILED_UP_MS / 1000);
});

Deno.test("rtc auto: the available bandwidth, when reported, steps down and holds the way up", () => {
  const st = autoState(1); // on 360p (700 kbit/s)
  const next = feed();
  run(st, next, 2, { abr: 2_000_000 });
  const steps = run(st, next, 8, { abr: 400_000 }); // 400 kbit/s available: below 360p, above 180p
  assert.equal(steps[0]?.[1], 2);
  assert.match(steps[0][2], /400 kbit\/s available/);
  // Good windows at 180p, but 400 kbit/s is less than 360p with headroom: stays.
  assert.deepEqual(run(st, next, 60, { abr: 400_000 }), []);
  // Plenty available: up after the good stretch.
  const up = run(st, next, 30, { abr: 2_000_000 });
  assert.equal(up[0]?.[1], 1);
});

Deno.test("rtc auto: a new session (counters from zero) only starts a new window", () => {
  const st = autoState(1);
  const next = feed();
  run(st, next, 3);
  const fresh: RtcSample = {
    t: 10_000,
    packetsReceived: 5,
    packetsLost: 0,
    framesDecoded: 1,
    framesDropped: 0,
    freezeCount: 0,
    jitterBufferDelay: 0,
    jitterBufferEmittedCount: 0,
    availableIncomingBitrate: null,
  };
  assert.deepEqual(autoStep(st, fresh, BPS), { level: 1, reason: "" });
  assert.equal(st.prev, fresh);
});
