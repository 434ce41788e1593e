// Recording, metrics and webhook settings: defaults, validation errors that name the setting, IP lists.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/config.ts";
import { ipAllowed } from "../../src/metrics/ip-allow.ts";
import { recordingEnv } from "../../src/mediamtx/record-env.ts";
import { recordsPath } from "../../src/config/recording-policy.ts";

function err(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("ops config: defaults record everything for 24 h under the data dir; metrics and webhooks off", () => {
  const c = loadConfig({ LIVEGATE_DATA_DIR: "/srv/lg" });
  assert.equal(c.recording.enabled, true);
  assert.equal(c.recording.retentionSeconds, 86400);
  assert.equal(c.recording.segmentSeconds, 3600);
  assert.equal(c.recording.dir, join("/srv/lg", "recordings"));
  assert.deepEqual(c.metrics, { token: undefined, allow: [] });
  assert.deepEqual(c.webhooks, { urls: [], secret: undefined });
  const env = recordingEnv(c);
  assert.equal(env.MTX_PATHDEFAULTS_RECORD, "yes");
  assert.equal(env.MTX_PATHDEFAULTS_RECORDFORMAT, "fmp4");
  assert.equal(env.MTX_PATHDEFAULTS_RECORDDELETEAFTER, "86400s");
  assert.equal(env.MTX_PATHDEFAULTS_RECORDPATH, "/srv/lg/recordings/%path/%Y-%m-%d_%H-%M-%S-%f");
});

Deno.test("ops config: per-path recording from env and JSON, retention and segment rules", async () => {
  const c = loadConfig({ LIVEGATE_RECORD: "off", LIVEGATE_RECORD_PATHS: "live=on, test-2=off" });
  assert.equal(recordsPath(c, "live"), true);
  assert.equal(recordsPath(c, "test-2"), false);
  assert.equal(recordsPath(c, "other"), false);
  assert.equal(recordingEnv(c).MTX_PATHDEFAULTS_RECORD, "no");

  const f = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(f, JSON.stringify({ recording: { paths: { cam1: false }, retention: "2h" } }));
  const j = loadConfig({ LIVEGATE_CONFIG: f });
  assert.equal(recordsPath(j, "cam1"), false);
  assert.equal(recordsPath(j, "live"), true);
  assert.equal(j.recording.retentionSeconds, 7200);
  await Deno.remove(f);

  assert.equal(
    loadConfig({ LIVEGATE_RECORD_RETENTION: "10s" }).recording.segmentSeconds,
    10,
    "segment follows",
  );
  assert.equal(loadConfig({ LIVEGATE_RECORD_RETENTION: "0" }).recording.retentionSeconds, 0);
  assert.equal(
    err(() => loadConfig({ LIVEGATE_RECORD_RETENTION: "soon" })).setting,
    "LIVEGATE_RECORD_RETENTION",
  );
  assert.match(
    err(() => loadConfig({ LIVEGATE_RECORD_RETENTION: "1h", LIVEGATE_RECORD_SEGMENT: "2h" })).message,
    /LIVEGATE_RECORD_SEGMENT: must not be longer than the retention/,
  );
  assert.equal(err(() => loadConfig({ LIVEGATE_RECORD_PATHS: "live" })).setting, "LIVEGATE_RECORD_PATHS");
  assert.match(err(() => loadConfig({ LIVEGATE_RECORD_PATHS: "../x=on" })).message, /not a valid path name/);
  assert.match(err(() => loadConfig({ LIVEGATE_RECORD_PATHS: "live=maybe" })).message, /not a boolean/);
  assert.equal(
    err(() => loadConfig({ LIVEGATE_RECORD_MIN_FREE: "lots" })).setting,
    "LIVEGATE_RECORD_MIN_FREE",
  );
  assert.equal(loadConfig({ LIVEGATE_RECORD_MIN_FREE: "2G" }).recording.minFreeBytes, 2 * 1024 ** 3);
  assert.match(err(() => loadConfig({ LIVEGATE_RECORD_DIR: "/x/%path" })).message, /'%'/);
});

Deno.test("ops config: metrics token/allow-list and webhook validation name the setting", () => {
  assert.equal(err(() => loadConfig({ LIVEGATE_METRICS_TOKEN: "short" })).setting, "LIVEGATE_METRICS_TOKEN");
  assert.equal(
    err(() => loadConfig({ LIVEGATE_METRICS_ALLOW: "10.0.0.0/33" })).setting,
    "LIVEGATE_METRICS_ALLOW",
  );
  assert.equal(
    err(() => loadConfig({ LIVEGATE_METRICS_ALLOW: "example.com" })).setting,
    "LIVEGATE_METRICS_ALLOW",
  );
  const m = loadConfig({ LIVEGATE_METRICS_ALLOW: "127.0.0.1, 10.0.0.0/8 ::1" });
  assert.deepEqual(m.metrics.allow, ["127.0.0.1", "10.0.0.0/8", "::1"]);
  assert.match(
    err(() => loadConfig({ LIVEGATE_WEBHOOK_URLS: "https://example.com/h" })).message,
    /LIVEGATE_WEBHOOK_SECRET: is required/,
  );
  assert.equal(
    err(() => loadConfig({ LIVEGATE_WEBHOOK_URLS: "ftp://x/", LIVEGATE_WEBHOOK_SECRET: "s".repeat(16) }))
      .setting,
    "LIVEGATE_WEBHOOK_URLS",
  );
  assert.equal(
    err(() => loadConfig({ LIVEGATE_WEBHOOK_URLS: "http://x/", LIVEGATE_WEBHOOK_SECRET: "short" })).setting,
    "LIVEGATE_WEBHOOK_SECRET",
  );
  const w = loadConfig({
    LIVEGATE_WEBHOOK_URLS: "http://a/1,https://b/2",
    LIVEGATE_WEBHOOK_SECRET: "s".repeat(16),
  });
  assert.deepEqual(w.webhooks.urls, ["http://a/1", "https://b/2"]);
});

Deno.test("metrics allow-list: IPv4/IPv6 addresses and CIDRs, IPv4-mapped IPv6", () => {
  const list = ["127.0.0.1", "10.1.0.0/16", "2001:db8::/32", "::1"];
  assert.ok(ipAllowed("127.0.0.1", list));
  assert.ok(!ipAllowed("127.0.0.2", list));
  assert.ok(ipAllowed("10.1.255.3", list));
  assert.ok(!ipAllowed("10.2.0.1", list));
  assert.ok(ipAllowed("::ffff:10.1.2.3", list));
  assert.ok(ipAllowed("2001:db8:1::5", list));
  assert.ok(!ipAllowed("2001:db9::5", list));
  assert.ok(ipAllowed("::1", list));
  assert.ok(!ipAllowed("::2", list));
  assert.ok(!ipAllowed("not-an-ip", list));
  assert.ok(!ipAllowed("1.2.3.4", []));
  assert.ok(ipAllowed("1.2.3.4", ["0.0.0.0/0"]));
});
