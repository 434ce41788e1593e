// Paths in compiled mode: APP_ROOT from a module in src/config/ or from a bundle at the root, and the
// embedded mediamtx.yml written to the data dir for MediaMTX (a real file it can read).
import assert from "node:assert/strict";
import { join } from "node:path";
import { APP_ROOT, appRoot, loadConfig } from "../../src/config/config.ts";
import { isInsideAppRoot, mediamtxConfigPath } from "../../src/mediamtx/config-file.ts";
import { findMediamtx } from "../../src/mediamtx/binary.ts";
import { MEDIAMTX_VERSION } from "../../src/mediamtx/version.ts";

Deno.test("appRoot: two levels up from src/config, the bundle's own dir otherwise", () => {
  assert.equal(appRoot("file:///opt/app/src/config/config.ts"), "/opt/app");
  assert.equal(
    appRoot("file:///tmp/deno-compile-livegate/.deno_compile_bundle_1.mjs"),
    "/tmp/deno-compile-livegate",
  );
  assert.equal(appRoot("file:///srv/my%20app/livegate.js"), "/srv/my app");
  assert.equal(APP_ROOT, new URL("../..", import.meta.url).pathname.replace(/\/$/, ""));
});

Deno.test("isInsideAppRoot", () => {
  assert.ok(isInsideAppRoot("/app/mediamtx.yml", "/app"));
  assert.ok(!isInsideAppRoot("/application/mediamtx.yml", "/app"));
  assert.ok(!isInsideAppRoot("/etc/livegate/mediamtx.yml", "/app"));
});

Deno.test("mediamtxConfigPath: the embedded file is written to the data dir only in a compiled binary", async () => {
  const root = await Deno.makeTempDir();
  const data = await Deno.makeTempDir();
  try {
    const yml = "logLevel: info\nrtmp: true\n";
    await Deno.writeTextFile(join(root, "mediamtx.yml"), yml);
    const cfg = loadConfig({ LIVEGATE_DATA_DIR: data, LIVEGATE_MEDIAMTX_CONFIG: join(root, "mediamtx.yml") });

    // From source: MediaMTX reads the configured file itself.
    assert.equal(await mediamtxConfigPath(cfg, false, root), join(root, "mediamtx.yml"));
    assert.throws(() => Deno.statSync(join(data, "mediamtx.yml")), Deno.errors.NotFound);

    // Compiled, built-in config: a copy in the data dir, rewritten at every start.
    const out = await mediamtxConfigPath(cfg, true, root);
    assert.equal(out, join(data, "mediamtx.yml"));
    const text = await Deno.readTextFile(out);
    assert.ok(text.startsWith("# Written by livegate"));
    assert.ok(text.endsWith(yml));
    await Deno.writeTextFile(out, "edited");
    await mediamtxConfigPath(cfg, true, root);
    assert.ok((await Deno.readTextFile(out)).endsWith(yml));
    assert.deepEqual([...Deno.readDirSync(data)].map((e) => e.name), ["mediamtx.yml"], "no temp files left");

    // Compiled, but the operator's own config file: used as is.
    const own = join(data, "own.yml");
    await Deno.writeTextFile(own, yml);
    const cfg2 = loadConfig({ LIVEGATE_DATA_DIR: data, LIVEGATE_MEDIAMTX_CONFIG: own });
    assert.equal(await mediamtxConfigPath(cfg2, true, root), own);

    // A missing built-in file names the setting.
    const cfg3 = loadConfig({ LIVEGATE_DATA_DIR: data, LIVEGATE_MEDIAMTX_CONFIG: join(root, "gone.yml") });
    await assert.rejects(() => mediamtxConfigPath(cfg3, true, root), /LIVEGATE_MEDIAMTX_CONFIG: cannot read/);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("findMediamtx: next to the livegate binary first, then PATH, then the cache", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const mk = async (p: string) => {
      await Deno.mkdir(join(p, ".."), { recursive: true });
      await Deno.writeTextFile(p, "#!/bin/sh\n");
      await Deno.chmod(p, 0o755);
      return p;
    };
    const beside = await mk(join(dir, "opt", "mediamtx"));
    const onPath = await mk(join(dir, "bin", "mediamtx"));
    const cached = await mk(join(dir, "cache", "mediamtx", MEDIAMTX_VERSION, "mediamtx"));
    const env = { PATH: `/nonexistent:${join(dir, "bin")}`, LIVEGATE_CACHE: join(dir, "cache") };
    assert.equal(findMediamtx("", env, join(dir, "opt", "livegate")), beside);
    assert.equal(findMediamtx("", env, join(dir, "elsewhere", "livegate")), onPath);
    assert.equal(findMediamtx("", { ...env, PATH: "" }, join(dir, "elsewhere", "livegate")), cached);
    assert.equal(findMediamtx(onPath, env, join(dir, "opt", "livegate")), onPath, "MEDIAMTX_BIN wins");
    await Deno.chmod(beside, 0o644);
    assert.equal(findMediamtx("", env, join(dir, "opt", "livegate")), onPath, "not executable: skipped");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
