// Recorded ranges (src/recordings/range.ts): every start and duration MediaMTX prints is accepted, every link
// livegate prints parses back to itself, and long spans split into parts that links accept.
import assert from "node:assert/strict";
import {
  downloadFormat,
  downloadLink,
  formatMs,
  formatTime,
  MAX_RANGE_SECONDS,
  mediaLink,
  parseRange,
  parseTime,
  playLink,
  secondsToMs,
  splitSpan,
} from "../../src/recordings/range.ts";
import type { Span } from "../../src/recordings/playback.ts";

const S = "2026-01-02T15:04:05Z";

Deno.test("range: durations with any number of decimals are accepted, rounded up to the millisecond", () => {
  for (
    const [d, want] of [
      ["18.923000000000002", 18.923],
      ["46.787959183", 46.788],
      ["86400.021333333", undefined], // over 24 h: refused below
      ["60", 60],
      ["0.001", 0.001],
      ["3599.9999999", 3600],
    ] as const
  ) {
    const r = parseRange(S, d);
    if (want === undefined) {
      assert.match(String(r), /between 0 and 86400/);
      continue;
    }
    assert.deepEqual(r, { start: S, duration: want }, d);
  }
  for (const bad of ["1e3", "-1", "abc", ".5", "5.", "0x10", " 5", "5 ", "1".repeat(41)]) {
    assert.equal(typeof parseRange(S, bad), "string", bad);
    assert.match(parseRange(S, bad) as string, /number of seconds/, bad);
  }
  assert.match(parseRange(S, "0") as string, /between/);
  assert.match(parseRange(S, "0.0000001") as string, /between/);
  assert.match(parseRange(S, "86400.001") as string, /between 0 and 86400/);
  assert.deepEqual(parseRange(S, "86400"), { start: S, duration: 86400 });
  assert.match(parseRange(S, "7200", 3600) as string, /between 0 and 3600/);
});

Deno.test("range: starts as MediaMTX prints them (ns, offsets) become canonical UTC", () => {
  assert.equal(formatTime(parseTime("2026-01-02T15:04:05.123456789Z")!), "2026-01-02T15:04:05.123456789Z");
  assert.equal(formatTime(parseTime("2026-01-02T17:04:05.5+02:00")!), "2026-01-02T15:04:05.5Z");
  assert.equal(formatTime(parseTime("2026-01-02T15:04:05.000Z")!), S);
  assert.equal(formatTime(parseTime("2026-01-02t15:04:05z")!), S);
  for (const bad of ["yesterday", "2026-01-02", "2026-01-02T15:04:05", "2026-01-02T15:04:05.1234567891Z"]) {
    assert.equal(parseTime(bad), null, bad);
    assert.match(parseRange(bad, "5") as string, /RFC 3339/);
  }
  assert.equal(parseTime("1969-12-31T23:59:59Z"), null);
});

Deno.test("range: every link printed for any span parses back to the same range", () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i++) {
    const ns = BigInt(Math.floor(1.7e9 + rnd() * 1e8)) * 1_000_000_000n + BigInt(Math.floor(rnd() * 1e9));
    // Durations as float64 arithmetic leaves them, from a few ms to 5 days.
    const duration = rnd() * rnd() * 5 * 86400 + 0.1 + 0.2;
    const span: Span = { start: formatTime(ns), duration };
    const parts = splitSpan(span);
    assert.equal(parts.length, Math.max(1, Math.ceil(secondsToMs(duration) / (MAX_RANGE_SECONDS * 1000))));
    let at = parseTime(span.start)!;
    let total = 0;
    for (const p of parts) {
      assert.equal(parseTime(p.start), at, "parts are contiguous");
      assert.ok(p.duration > 0 && p.duration <= MAX_RANGE_SECONDS);
      for (const link of [playLink("live", p), mediaLink("live", p, "fmp4"), downloadLink("live", p)]) {
        const q = new URL(link, "http://x").searchParams;
        assert.match(q.get("duration")!, /^\d+(\.\d{1,3})?$/, link);
        const back = parseRange(q.get("start")!, q.get("duration")!);
        assert.deepEqual(back, p, link);
      }
      at += BigInt(secondsToMs(p.duration)) * 1_000_000n;
      total += secondsToMs(p.duration);
    }
    assert.equal(total, secondsToMs(duration), "parts add up to the span");
    assert.ok(total >= duration * 1000 - 1e-6, "never shorter than the span");
  }
});

Deno.test("range: spans split into as few equal parts as fit; downloads are MP4 up to 1 h", () => {
  assert.deepEqual(splitSpan({ start: S, duration: 86400 }), [{ start: S, duration: 86400 }]);
  assert.deepEqual(splitSpan({ start: S, duration: 25 * 3600 }), [
    { start: S, duration: 45000 },
    { start: "2026-01-03T03:34:05Z", duration: 45000 },
  ]);
  assert.equal(splitSpan({ start: S, duration: 72 * 3600 + 1 }).length, 4);
  assert.equal(downloadFormat({ start: S, duration: 3600 }), "mp4");
  assert.equal(downloadFormat({ start: S, duration: 3600.0001 }), "fmp4");
  assert.match(downloadLink("live", { start: S, duration: 3600 }), /format=mp4&download=1$/);
  assert.equal(formatMs(18923), "18.923");
  assert.equal(formatMs(60_000), "60");
  assert.equal(formatMs(1_050), "1.05");
});
