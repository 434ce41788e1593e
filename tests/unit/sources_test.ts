// Pulled sources, pure parts: URL checks and masking (src/sources/url.ts), the secret box's sealing
// (src/core/secret-box.ts), the key file (src/sources/key.ts) and a source's state from MediaMTX's path and
// log lines (src/sources/manager.ts).
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config/config.ts";
import { StoreError } from "../../src/core/errors.ts";
import { SecretBox } from "../../src/core/secret-box.ts";
import { parseSourceUrl } from "../../src/sources/url.ts";
import { loadSecretBox } from "../../src/sources/key.ts";
import { ERROR_SHOWN_MS, SourceManager } from "../../src/sources/manager.ts";
import { ManualClock } from "../../src/core/clock.ts";
import type { SourceRecord } from "../../src/store/sources.ts";

const cfg = loadConfig({ LIVEGATE_PUBLIC_URL: "https://live.example.org" });

Deno.test("source URLs: accepted schemes, default ports, masked credentials", () => {
  const p = parseSourceUrl("  rtsp://admin:s3cr%40t@192.168.1.20:554/stream1 ", cfg);
  assert.equal(p.url, "rtsp://admin:s3cr%40t@192.168.1.20:554/stream1");
  assert.equal(p.scheme, "rtsp");
  assert.equal(p.port, 554);
  assert.equal(p.masked, "rtsp://admin:***@192.168.1.20:554/stream1");
  assert.equal(parseSourceUrl("rtmp://cdn.example.com/app/key", cfg).port, 1935);
  assert.equal(parseSourceUrl("https://cdn.example.com/live/index.m3u8", cfg).port, 443);
  const srt = parseSourceUrl("srt://10.0.0.5:9000?streamid=read:cam:user:pw&passphrase=longpassphrase1", cfg);
  assert.ok(!srt.masked.includes("longpassphrase1") && !srt.masked.includes(":pw"), srt.masked);
  assert.match(srt.masked, /passphrase=\*\*\*/);
  // A camera on this machine on another port is fine.
  assert.equal(parseSourceUrl("rtsp://127.0.0.1:9554/cam", cfg).port, 9554);
});

Deno.test("source URLs: bad input is StoreError invalid with a message", () => {
  const bad: [unknown, RegExp][] = [
    [null, /must be a string/],
    ["", /empty/],
    ["file:///etc/passwd", /unknown scheme 'file'/],
    ["javascript:alert(1)", /unknown scheme/],
    ["rtsp://", /not a URL|no host/],
    ["rtsp://a b/x", /spaces/],
    ["rtsp://host/\u0000", /control/],
    ["srt://host", /need a port/],
    ["x".repeat(3000), /longer than/],
    [`rtsp://localhost:${cfg.mediamtx.ports.rtsp}/live`, /livegate itself/],
    [`http://[::1]:${cfg.port}/hls/live/index.m3u8`, /livegate itself/],
    [`rtmp://live.example.org:${cfg.mediamtx.ports.rtmp}/live`, /livegate itself/],
    ["rtmp://live.example.org/live", /livegate itself/], // default RTMP port 1935 is livegate's
  ];
  for (const [raw, msg] of bad) {
    assert.throws(
      () => parseSourceUrl(raw, cfg),
      (e) => e instanceof StoreError && e.kind === "invalid" && msg.test(e.message),
      String(raw),
    );
  }
});

Deno.test("secret box: seals with a fresh IV, binds the path, refuses another key", async () => {
  const box = await SecretBox.fromRaw(crypto.getRandomValues(new Uint8Array(32)));
  const a = await box.seal("rtsp://u:pw@h/x", "source|cam");
  const b = await box.seal("rtsp://u:pw@h/x", "source|cam");
  assert.notEqual(a, b);
  assert.ok(!a.includes("pw@"));
  assert.equal(await box.open(a, "source|cam"), "rtsp://u:pw@h/x");
  await assert.rejects(() => box.open(a, "source|other"), /cannot decrypt/);
  const other = await SecretBox.fromRaw(crypto.getRandomValues(new Uint8Array(32)));
  await assert.rejects(() => other.open(a, "source|cam"), /cannot decrypt/);
  await assert.rejects(() => SecretBox.fromRaw(new Uint8Array(16)), /32 bytes/);
});

Deno.test("secret key: made once in the data dir (0600), or from the variable", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const one = await loadSecretBox(dir);
    const sealed = await one.seal("x");
    const st = await Deno.stat(join(dir, "secret.key"));
    assert.equal((st.mode ?? 0) & 0o777, 0o600);
    assert.equal(await (await loadSecretBox(dir)).open(sealed), "x");
    await assert.rejects(
      () => loadSecretBox(dir, "short"),
      /LIVEGATE_SECRET_KEY must be the base64 of 32 bytes/,
    );
    const fromEnv = await loadSecretBox(dir, btoa(String.fromCharCode(...new Uint8Array(32).fill(7))));
    await assert.rejects(() => fromEnv.open(sealed), /cannot decrypt/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("source state: live, error from the log (retrying), idle on demand, connecting", () => {
  const clock = new ManualClock(1_000_000);
  const m = new SourceManager({
    // deno-lint-ignore no-explicit-any
    store: null as any,
    cfg,
    // deno-lint-ignore no-explicit-any
    mtx: null as any,
    // deno-lint-ignore no-explicit-any
    secrets: null as any,
    clock,
    log: () => {},
    box: () => Promise.reject(new Error("unused")),
  });
  const rec: SourceRecord = {
    path: "cam",
    sealed: "",
    masked: "rtsp://u:***@h/x",
    onDemand: false,
    updated: 999_000,
    by: "admin",
  };
  const idle = { name: "cam", ready: false, available: false, readers: [] };
  assert.equal(m.stateOf(rec, idle).state, "connecting");
  m.observe(
    "[mediamtx] 2026/01/01 00:00:00 ERR [path cam] [RTSP source] dial tcp 10.0.0.9:554: connect: connection refused password=hunter2",
  );
  const err = m.stateOf(rec, idle);
  assert.equal(err.state, "error");
  assert.equal(err.retrying, true);
  assert.match(err.reason, /^RTSP source: dial tcp/);
  assert.ok(!err.reason.includes("hunter2"));
  clock.advance(ERROR_SHOWN_MS + 1);
  assert.deepEqual([m.stateOf(rec, idle).state, m.stateOf(rec, idle).retrying], ["connecting", true]);
  const live = m.stateOf(rec, {
    ...idle,
    ready: true,
    available: true,
    availableTime: "2026-01-01T00:00:00Z",
  });
  assert.equal(live.state, "live");
  assert.equal(live.since, "2026-01-01T00:00:00Z");
  assert.equal(m.stateOf({ ...rec, onDemand: true }, idle).state, "idle");
  assert.equal(m.stateOf(rec, undefined).state, "unknown");
  // Another path's error is not this one's.
  m.observe("ERR [path other] [RTSP source] EOF");
  assert.equal(m.stateOf(rec, idle).state, "connecting");
});
