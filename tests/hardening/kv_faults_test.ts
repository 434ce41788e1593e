// KV (SQLite) on a full or read-only disk: writes fail with a clear 503 that says why, reads keep working,
// nothing is corrupted, and everything works again once there is space / the disk is writable. Needs root
// (a small tmpfs is mounted for the data dir); CI runs as root.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { createApp } from "../../src/app/app.ts";
import { createServices } from "../../src/app/services.ts";
import { loadConfig } from "../../src/config/config.ts";
import { makeSecrets } from "../../src/mediamtx/secrets.ts";
import { createKey, listKeys } from "../../src/store/keys.ts";
import { addUser, listUsers } from "../../src/store/users.ts";
import { KV_FILE, openStore, type Store } from "../../src/store/kv.ts";
import { storageFailure } from "../../src/core/errors.ts";
import { getSession } from "../../src/store/sessions.ts";
import type { Asset } from "../../src/web/assets.ts";
import { Jar, PASSWORD } from "../http/helpers.ts";
import { freePort, ROOT, run } from "../e2e/harness.ts";

async function sh(cmd: string, ...args: string[]) {
  const r = await run(cmd, args);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr.trim()} (this test needs root to mount a tmpfs)`);
  }
}

async function fillDisk(dir: string): Promise<string> {
  const filler = join(dir, "filler");
  const f = await Deno.open(filler, { create: true, write: true });
  try {
    const b = new Uint8Array(64 * 1024).fill(1);
    for (;;) await f.write(b);
  } catch (e) {
    assert.match((e as Error).message, /No space left/);
  } finally {
    f.close();
  }
  return filler;
}

Deno.test({
  name:
    "hardening (faults): KV on a full disk -> clear 503, reads work; read-only -> clear error; no corruption",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const mnt = await Deno.makeTempDir({ prefix: "livegate-kvfault-" });
    await sh("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt);
    let kv: Store | undefined;
    try {
      kv = await openStore(mnt);
      await addUser(kv, "admin", PASSWORD, "admin");
      const { key } = await createKey(kv, "live", "kvfault");
      const cfg = loadConfig({ LIVEGATE_DATA_DIR: mnt });
      const assets = new Map<string, Asset>([
        ["whep-early.js", {
          body: new TextEncoder().encode("(()=>{})();"),
          type: "text/javascript",
          etag: '"y"',
        }],
      ]);
      const secrets = await makeSecrets("kv");
      let app = createApp(createServices({ store: kv, cfg, secrets, mtxState: () => "stopped" }), assets);
      const viewer = new Jar(app, "192.0.2.80");
      assert.equal((await viewer.login("admin", PASSWORD)).status, 303);
      const session = viewer.cookies.get("lg_session")!;

      const checkDegraded = async (why: RegExp, what: string) => {
        // A write (a new login) fails with 503 and a message that names the cause.
        const j = new Jar(app, "192.0.2.81");
        const res = await j.login("admin", PASSWORD);
        const body = await res.text();
        assert.equal(res.status, 503, `${what}: login -> ${res.status} ${body}`);
        assert.match(body, why, `${what}: message`);
        assert.ok(Number(res.headers.get("retry-after")) > 0, `${what}: Retry-After`);
        // A guess cannot be counted, so it is not checked either (fail closed: no unlimited guessing).
        const bad = await new Jar(app, "192.0.2.82").login("admin", "wrong-password");
        assert.equal(bad.status, 503, `${what}: bad login -> ${bad.status}`);
        // Reads keep working: the logged-in viewer, the key check.
        const me = await app.request("http://localhost/api/me", {
          headers: { cookie: `lg_session=${session}` },
        });
        assert.equal(me.status, 200, `${what}: session still valid`);
        const v = await app.request(`http://localhost/api/stream/validate?token=${key}`);
        assert.equal(v.status, 200, `${what}: key check`);
        // Publishing keeps working: MediaMTX's hook accepts the key (its last-used stamp may not be saved).
        const hook = await app.request(`http://localhost/internal/mediamtx/auth/${secrets.hook}`, {
          method: "POST",
          body: JSON.stringify({
            action: "publish",
            path: "live",
            protocol: "rtmp",
            token: key,
            ip: "192.0.2.1",
          }),
        });
        assert.equal(hook.status, 200, `${what}: publish hook -> ${hook.status} ${await hook.text()}`);
        // A session due for its sliding renewal (a write) stays valid; an expired one is just gone.
        const ttl = cfg.sessionTtlSeconds;
        const later = Date.now() + ttl * 600;
        assert.equal((await getSession(kv!, session, ttl, later))?.user, "admin", `${what}: renewal`);
        assert.equal(await getSession(kv!, session, ttl, Date.now() + ttl * 2000), null, `${what}: expiry`);
      };

      // Full disk.
      const filler = await fillDisk(mnt);
      await checkDegraded(/disk is full/i, "full disk");
      await Deno.remove(filler);
      assert.equal(
        (await new Jar(app, "192.0.2.83").login("admin", PASSWORD)).status,
        303,
        "works after freeing",
      );

      // Read-only disk. The kernel refuses to remount a disk read-only while SQLite holds the file open for
      // writing, so this is the restart case: livegate's store cannot open and says so (serve refuses to start
      // naming LIVEGATE_DATA_DIR, next test); a disk the kernel forces read-only answers like the full disk
      // (storageFailure maps SQLite's read-only and I/O errors, see the unit test below).
      kv.kv.close();
      kv = undefined;
      await sh("mount", "-o", "remount,ro", mnt);
      await assert.rejects(() => openStore(mnt), (e: Error) => {
        assert.match(e.message, new RegExp(`cannot open the KV database ${mnt}/${KV_FILE}`));
        return true;
      });
      await sh("mount", "-o", "remount,rw", mnt);
      kv = await openStore(mnt);
      app = createApp(
        createServices({ store: kv, cfg, secrets: await makeSecrets("kv"), mtxState: () => "stopped" }),
        assets,
      );
      assert.equal((await new Jar(app, "192.0.2.84").login("admin", PASSWORD)).status, 303, "works after rw");
      kv.kv.close();
      kv = undefined;

      // No corruption: SQLite's own check, and every record is still there.
      const db = new DatabaseSync(join(mnt, KV_FILE), { readOnly: true });
      const check = db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[];
      db.close();
      assert.deepEqual(check.map((r) => r.integrity_check), ["ok"]);
      kv = await openStore(mnt);
      assert.deepEqual((await listUsers(kv)).map((u) => u.name), ["admin"]);
      assert.equal((await listKeys(kv, "live")).length, 1);
      const again = createApp(
        createServices({ store: kv, cfg, secrets: await makeSecrets("kv"), mtxState: () => "stopped" }),
        assets,
      );
      const me = await again.request("http://localhost/api/me", {
        headers: { cookie: `lg_session=${session}` },
      });
      assert.equal(me.status, 200, "the session from before the faults is still valid");
    } finally {
      try {
        kv?.kv.close();
      } catch { /* already closed */ }
      await run("umount", [mnt]);
      await Deno.remove(mnt, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "hardening (faults): livegate refuses to start on a read-only data dir, naming the setting",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const mnt = await Deno.makeTempDir({ prefix: "livegate-rodata-" });
    await sh("mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", mnt);
    try {
      const r = await run(Deno.execPath(), [
        "run",
        "-A",
        "--config",
        join(ROOT, "deno.json"),
        join(ROOT, "main.ts"),
        "serve",
      ], {
        env: {
          LIVEGATE_DATA_DIR: mnt,
          LIVEGATE_PORT: String(freePort()),
          LIVEGATE_ADMIN_PASSWORD: "ro-test-password-1",
        },
        cwd: mnt,
      });
      assert.notEqual(r.code, 0);
      const out = r.stdout + r.stderr;
      assert.match(out, /LIVEGATE_DATA_DIR/);
      assert.match(out, /read-only|Read-only/i);
      assert.doesNotMatch(out, /^\s+at /m, "a message, not a stack trace");
    } finally {
      await run("umount", [mnt]);
      await Deno.remove(mnt, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("hardening: SQLite's storage errors become a clear 503 message", () => {
  const cases: [string, RegExp][] = [
    ["database or disk is full", /disk .* is full/],
    ["attempt to write a readonly database", /read-only disk/],
    ["Can not write to a read-only database.", /read-only disk/],
    ["disk I/O error", /cannot be written/],
  ];
  for (const [msg, re] of cases) assert.match(storageFailure(new TypeError(msg))?.message ?? "", re, msg);
  assert.equal(storageFailure(new Error("something else")), null);
});
