import assert from "node:assert/strict";
import { checkPortFree, ConfigError, loadConfig, prepareDataDir } from "../../src/config/config.ts";
import { findMediamtx } from "../../src/mediamtx/binary.ts";
import { MEDIAMTX_VERSION } from "../../src/mediamtx/version.ts";

function err(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("config: defaults", () => {
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.mediamtx.ports.rtmp, 1935);
  assert.equal(c.mediamtx.ports.api, 9997);
  assert.equal(c.secureCookies, "auto");
  assert.equal(c.adminPassword, undefined);
  assert.match(c.mediamtx.configFile, /mediamtx\.yml$/);
});

Deno.test("config: bad values name the setting", () => {
  assert.equal(err(() => loadConfig({ LIVEGATE_PORT: "abc" })).setting, "LIVEGATE_PORT");
  assert.equal(err(() => loadConfig({ LIVEGATE_PORT: "70000" })).setting, "LIVEGATE_PORT");
  assert.equal(err(() => loadConfig({ LIVEGATE_RTMP_PORT: "0" })).setting, "LIVEGATE_RTMP_PORT");
  assert.match(err(() => loadConfig({ LIVEGATE_PORT: "1935" })).message, /also used by/);
  assert.equal(
    err(() => loadConfig({ LIVEGATE_SECURE_COOKIES: "maybe" })).setting,
    "LIVEGATE_SECURE_COOKIES",
  );
  assert.equal(err(() => loadConfig({ LIVEGATE_SESSION_TTL: "soon" })).setting, "LIVEGATE_SESSION_TTL");
  assert.equal(err(() => loadConfig({ LIVEGATE_PUBLIC_URL: "ftp://x" })).setting, "LIVEGATE_PUBLIC_URL");
  assert.equal(
    err(() => loadConfig({ LIVEGATE_ADMIN_PASSWORD: "short" })).setting,
    "LIVEGATE_ADMIN_PASSWORD",
  );
  assert.equal(
    err(() => loadConfig({ LIVEGATE_MEDIAMTX_MANAGE: "perhaps" })).setting,
    "LIVEGATE_MEDIAMTX_MANAGE",
  );
  assert.equal(
    err(() => loadConfig({ LIVEGATE_CONFIG: "/nonexistent/livegate.json" })).setting,
    "LIVEGATE_CONFIG",
  );
});

Deno.test("config: JSON file, environment wins over it, bad JSON is named", async () => {
  const f = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      f,
      JSON.stringify({ port: 4000, mediamtx: { ports: { rtmp: 1940 } }, sessionTtl: "2h" }),
    );
    const c = loadConfig({}, f);
    assert.equal(c.port, 4000);
    assert.equal(c.mediamtx.ports.rtmp, 1940);
    assert.equal(c.sessionTtlSeconds, 7200);
    assert.equal(loadConfig({ LIVEGATE_PORT: "4100" }, f).port, 4100);
    await Deno.writeTextFile(f, "{not json");
    assert.match(err(() => loadConfig({}, f)).message, /not valid JSON/);
    await Deno.writeTextFile(f, JSON.stringify({ port: "x" }));
    assert.equal(err(() => loadConfig({}, f)).setting, "port");
  } finally {
    await Deno.remove(f);
  }
});

Deno.test("config: unusable data dir is named", async () => {
  const f = await Deno.makeTempFile();
  try {
    const c = loadConfig({ LIVEGATE_DATA_DIR: `${f}/sub` }); // a file where a directory should be
    await assert.rejects(
      () => prepareDataDir(c),
      (e: Error) => e instanceof ConfigError && /LIVEGATE_DATA_DIR/.test(e.message),
    );
  } finally {
    await Deno.remove(f);
  }
});

Deno.test("config: a port in use is named", () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (l.addr as Deno.NetAddr).port;
    const e = err(() => checkPortFree("LIVEGATE_PORT", "127.0.0.1", port));
    assert.match(e.message, /already in use/);
  } finally {
    l.close();
  }
});

Deno.test("config: missing MediaMTX binary says how to install it", () => {
  const e = err(() => findMediamtx("", { PATH: "/nonexistent", HOME: "/nonexistent" }));
  assert.match(e.message, /install-mediamtx\.sh/);
  assert.equal(err(() => findMediamtx("/nonexistent/mediamtx")).setting, "MEDIAMTX_BIN");
});

Deno.test("config: MediaMTX version pin matches scripts/versions.sh", async () => {
  const sh = await Deno.readTextFile(new URL("../../scripts/versions.sh", import.meta.url));
  assert.equal(/MEDIAMTX_VERSION=(\S+)/.exec(sh)?.[1], MEDIAMTX_VERSION);
});
