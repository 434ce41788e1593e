// The hot path's query reading (queryParams in src/proxy/hls-fast.ts) gives what the app's (hono's
// getQueryParam) gives for every query it accepts, so both ask MediaMTX the same thing; encoded queries go
// to the app.
import assert from "node:assert/strict";
import { getQueryParam } from "hono/utils/url";
import { queryParams } from "../../src/proxy/hls-fast.ts";

const KEYS = ["_HLS_msn", "_HLS_part", "_HLS_skip", "share", "x", "_HLS", ""];
const PIECES = [
  "_HLS_msn",
  "_HLS_part",
  "_HLS_skip",
  "share",
  "x",
  "=",
  "&",
  "1",
  "12",
  "YES",
  "v2",
  "-3",
  "a_b",
];

function randomQuery(rand: () => number): string {
  let q = "?";
  const n = Math.floor(rand() * 10);
  for (let i = 0; i < n; i++) q += PIECES[Math.floor(rand() * PIECES.length)];
  return q;
}

Deno.test("queryParams reads each parameter as hono's getQueryParam does (5,000 random queries)", () => {
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const fixed = ["?", "?_HLS_msn=5&_HLS_part=2", "?_HLS_msn=5&_HLS_msn=6", "?share", "?&&share=a&", "?=1&x="];
  for (const q of [...fixed, ...Array.from({ length: 5000 }, () => randomQuery(rand))]) {
    const ours = queryParams(q);
    assert.ok(ours, q);
    for (const k of KEYS.filter(Boolean)) {
      assert.equal(ours.get(k), getQueryParam(`http://h/hls/live/a.mp4${q}`, k), `${q} ${k}`);
    }
  }
});

Deno.test("queryParams leaves percent- and plus-encoded queries to the app", () => {
  assert.equal(queryParams("?_HLS_msn=%35"), null);
  assert.equal(queryParams("?share=a+b"), null);
});
