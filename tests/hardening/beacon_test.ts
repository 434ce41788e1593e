// Hostile QoE beacons (POST /api/streams/<path>/beacon, src/analytics/routes.ts): without the CSRF token,
// from someone who may not watch or is not watching, wrong types, huge bodies, out-of-range values,
// unknown fields, fuzzed JSON from the corpus, and floods. Each gets a 4xx with a message (never a 5xx) and
// nothing is counted: the accepted-beacon counter and the QoE histograms stay at zero until a valid beacon
// from a viewer arrives, which is then counted once. In-process app (no MediaMTX: a viewer is "watching"
// after an HLS request the door allowed, which the viewer tracker counts before the upstream fails).
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "../http/helpers.ts";
import { createStream } from "../../src/store/streams.ts";
import { checkSane } from "./check.ts";
import { nastyOrRandom, prng, randomJson } from "./corpus.ts";

const VALID = {
  v: 1,
  view: "view-abcdef12",
  delivery: "hls",
  ttffMs: 850,
  playMs: 4000,
  rebuffers: [300],
  latencyMs: 1200,
  levelChanges: 1,
  fatalErrors: 0,
};

Deno.test("hardening: hostile beacons -> 4xx with a message, nothing counted, no 5xx", async () => {
  const t = await testApp();
  try {
    await createStream(t.kv, "live", { visibility: "public" });
    await createStream(t.kv, "secret", { visibility: "private", allow: ["someone"] });
    const accepted = async () =>
      (await t.deps.qoe.beacons.get()).values.find((v) => v.labels.result === "accepted")?.value ?? 0;
    const ttffCount = async () =>
      (await t.deps.qoe.ttff.get()).values.filter((v) => v.metricName?.endsWith("_count"))
        .reduce((a, v) => a + v.value, 0);

    /** A browser at `ip` that opened the player page (CSRF cookie) and, with `watch`, asked for the stream. */
    const viewer = async (ip: string, watch = true) => {
      const j = new Jar(t.app, ip);
      await (await j.req("/watch/live")).body?.cancel();
      if (watch) await (await j.req("/hls/live/index.m3u8")).body?.cancel();
      return j;
    };
    const post = (j: Jar, path: string, body: BodyInit, headers: Record<string, string> = {}) =>
      j.req(`/api/streams/${path}/beacon`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-csrf-token": j.cookies.get("lg_csrf") ?? "",
          ...headers,
        },
        body,
      });
    let ipN = 1;
    const nextIp = () => (ipN++, `10.1.${Math.floor(ipN / 250)}.${ipN % 250 + 1}`);

    // Not watching: a page opened, no media requested.
    const idle = await viewer(nextIp(), false);
    let r = await post(idle, "live", JSON.stringify(VALID));
    assert.equal(r.status, 403);
    assert.match(await checkSane(r, "beacon not watching", "POST"), /not watching/);
    // Not allowed to watch: anonymous on a private stream.
    r = await post(await viewer(nextIp()), "secret", JSON.stringify(VALID));
    assert.equal(r.status, 401);
    await checkSane(r, "beacon private", "POST");
    // No CSRF token, or another site's Origin.
    const w = await viewer(nextIp());
    r = await post(w, "live", JSON.stringify(VALID), { "x-csrf-token": "" });
    assert.equal(r.status, 403);
    await checkSane(r, "beacon without csrf", "POST");
    r = await post(w, "live", JSON.stringify(VALID), { origin: "https://evil.example" });
    assert.equal(r.status, 403);
    await checkSane(r, "beacon cross-site", "POST");

    // Each hostile body from a fresh viewer (so the rate limit does not hide the validation).
    const cases: [string, BodyInit, number, RegExp?, Record<string, string>?][] = [
      ["wrong type", JSON.stringify({ ...VALID, ttffMs: "850" }), 400, /^\{"error":"ttffMs:/],
      ["negative", JSON.stringify({ ...VALID, playMs: -1 }), 400, /playMs:/],
      ["out of range", JSON.stringify({ ...VALID, latencyMs: 1e12 }), 400, /latencyMs:/],
      ["NaN text", '{"v":1,"view":"abcdefgh","delivery":"hls","playMs":NaN}', 400, /not valid JSON/],
      ["unknown field", JSON.stringify({ ...VALID, ip: "1.2.3.4" }), 400, /ip: unknown field/],
      ["proto", '{"__proto__":{"x":1},"v":1}', 400, /unknown field/],
      ["bad delivery", JSON.stringify({ ...VALID, delivery: "carrier-pigeon" }), 400, /delivery:/],
      [
        "too many rebuffers",
        JSON.stringify({ ...VALID, rebuffers: new Array(51).fill(1) }),
        400,
        /rebuffers:/,
      ],
      ["huge", JSON.stringify({ ...VALID, view: "x".repeat(100_000) }), 413, /too large/],
      ["array", "[1,2,3]", 400, /JSON object/],
      ["empty", "", 400],
      ["text type", JSON.stringify(VALID), 415, /JSON/, { "content-type": "text/plain" }],
      ["bad path", JSON.stringify(VALID), 400],
    ];
    for (const [name, body, status, re, headers] of cases) {
      const j = await viewer(nextIp());
      const res = await post(j, name === "bad path" ? "..%2Fadmin" : "live", body, headers);
      const text = await checkSane(res, `beacon ${name}`, "POST");
      assert.ok(
        res.status === status || (name === "bad path" && res.status === 404),
        `${name}: ${res.status} ${text}`,
      );
      if (re) assert.match(text, re, name);
    }
    assert.equal(await accepted(), 0, "nothing hostile was counted");
    assert.equal(await ttffCount(), 0);
    // Fuzzed bodies: never a 5xx; the few that happen to be valid beacons are counted, and only those.
    const rng = prng(0xbeac);
    let ok = 0;
    for (let i = 0; i < 300; i++) {
      const j = await viewer(nextIp());
      const body = rng.next() < 0.5
        ? JSON.stringify(randomJson(rng))
        : JSON.stringify({ ...VALID, [rng.pick(Object.keys(VALID))]: randomJson(rng) }).replace(
          rng.next() < 0.2 ? /"v":1/ : /^$/,
          nastyOrRandom(rng, 20),
        );
      const res = await post(j, "live", body);
      await checkSane(res, `fuzzed beacon ${body.slice(0, 80)}`, "POST");
      assert.ok(res.status === 202 || (res.status >= 400 && res.status < 500), `${res.status} for ${body}`);
      if (res.status === 202) ok++;
    }
    assert.ok(ok < 100, `${ok} of 300 fuzzed beacons accepted`);
    assert.equal(await accepted(), ok);
    const base = ok;

    // A flood from one viewer: a burst of 4, then 429 with Retry-After; counted once per accepted beacon.
    const v = await viewer(nextIp());
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await post(v, "live", JSON.stringify(VALID));
      statuses.push(res.status);
      if (res.status === 429) assert.ok(Number(res.headers.get("retry-after")) >= 1);
      await checkSane(res, "flood", "POST");
    }
    assert.deepEqual(statuses.slice(0, 4), [202, 202, 202, 202], statuses.join(","));
    assert.ok(statuses.slice(4).every((s) => s === 429), statuses.join(","));
    assert.equal(await accepted(), base + 4);
    // The view's first frame counts once, however often it is sent.
    const ttffBefore = await ttffCount();
    const once = await viewer(nextIp());
    for (let i = 0; i < 3; i++) {
      assert.equal((await post(once, "live", JSON.stringify({ ...VALID, view: "once-only-1" }))).status, 202);
    }
    assert.equal(await ttffCount(), ttffBefore + 1);

    // A logged-in admin watching: accepted too (identity = login session).
    const admin = new Jar(t.app, nextIp());
    assert.equal((await admin.login("admin", PASSWORD)).status, 303);
    await (await admin.req("/hls/live/index.m3u8")).body?.cancel();
    assert.equal((await post(admin, "live", JSON.stringify({ ...VALID, view: "admin-view-1" }))).status, 202);
  } finally {
    t.close();
  }
});
