// Backup while livegate runs (with logins writing sessions meanwhile), restore into a fresh data dir, and
// the restored livegate lets the same users log in and the same stream keys publish.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ADMIN_PASSWORD, Client, freePort, publish, ROOT, run, startLivegate, stopProc } from "./harness.ts";
import { checkHlsPlays } from "./hls_check.ts";

const ALICE_PASSWORD = "alice-backup-password";

function cliArgs(...args: string[]): string[] {
  return ["run", "-A", "--config", join(ROOT, "deno.json"), join(ROOT, "main.ts"), ...args];
}

async function cliWithStdin(env: Record<string, string>, input: string, ...args: string[]) {
  const p = new Deno.Command(Deno.execPath(), {
    args: cliArgs(...args),
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(input));
  await w.close();
  const out = await p.output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

async function publishRefused(url: string): Promise<boolean> {
  const p = publish(url, 5);
  const st = await p.status;
  await p.stderr.cancel().catch(() => {});
  return st.code !== 0;
}

Deno.test({
  name: "e2e backup: snapshot while running, restore into a fresh data dir, users log in and keys publish",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const work = await Deno.makeTempDir({ prefix: "livegate-backup-" });
    const backup = join(work, "livegate-backup.kv");
    const fresh = join(work, "restored-data");
    let lateKey = "";
    let oldKey = "";
    const lg1 = await startLivegate();
    try {
      await t.step("a user and a key exist; backup runs while logins write sessions", async () => {
        const add = await cliWithStdin(lg1.env, ALICE_PASSWORD, "user", "add", "alice", "--password-stdin");
        assert.equal(add.code, 0, add.stderr);
        oldKey = lg1.key;
        const logins = Promise.all(
          Array.from({ length: 4 }, async () => {
            const c = new Client(lg1.url);
            assert.equal((await c.login("admin", ADMIN_PASSWORD)).status, 303);
          }),
        );
        const r = await lg1.cli("backup", backup);
        await logins;
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /backup written to/);
        assert.equal((await Deno.stat(backup)).mode! & 0o777, 0o600, "backup is private");
        const again = await lg1.cli("backup", backup);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /already exists; pick a new name or pass --force/);
      });

      await t.step("a key created after the backup is not in it", async () => {
        const r = await lg1.cli("key", "create", "live", "--name", "late");
        assert.equal(r.code, 0, r.stderr);
        lateKey = r.stdout.split("\n")[1].trim();
      });

      await t.step("restore refuses while livegate answers on its port", async () => {
        const r = await run(Deno.execPath(), cliArgs("restore", backup), {
          env: { ...lg1.env, LIVEGATE_DATA_DIR: fresh },
        });
        assert.equal(r.code, 1);
        assert.match(r.stderr, /livegate is running on port \d+; stop it first/);
      });
    } finally {
      await lg1.stop();
    }

    await t.step("restore checks its input", async () => {
      const junk = join(work, "junk.kv");
      await Deno.writeTextFile(junk, "not a database at all");
      const env = { LIVEGATE_DATA_DIR: join(work, "other"), LIVEGATE_PORT: String(freePort()) };
      const r = await run(Deno.execPath(), cliArgs("restore", junk), { env });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /is not a livegate backup/);
      const none = await run(Deno.execPath(), cliArgs("restore"), { env });
      assert.equal(none.code, 1);
      assert.match(none.stderr, /restore needs a FILE/);
    });

    await t.step("restore into a fresh data dir", async () => {
      const env = { LIVEGATE_DATA_DIR: fresh, LIVEGATE_PORT: String(freePort()) };
      const r = await run(Deno.execPath(), cliArgs("restore", backup), { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /restored .*: 2 users, 1 stream keys/);
      const again = await run(Deno.execPath(), cliArgs("restore", backup), { env });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already exists; pass --force/);
    });

    const lg2 = await startLivegate({ LIVEGATE_DATA_DIR: fresh });
    let pub: Deno.ChildProcess | undefined;
    try {
      await t.step("the restored users log in", async () => {
        const alice = new Client(lg2.url);
        assert.equal((await alice.login("alice", ALICE_PASSWORD)).status, 303);
        assert.ok(alice.cookies.size > 0);
        const wrong = new Client(lg2.url);
        assert.notEqual((await wrong.login("alice", "not-her-password")).status, 303);
      });

      await t.step("the key from before the backup publishes, the later one is refused", async () => {
        const rtmp = `rtmp://127.0.0.1:${lg2.rtmpPort}/live`;
        assert.ok(await publishRefused(`${rtmp}?token=${lateKey}`), "key created after the backup");
        pub = publish(`${rtmp}?token=${oldKey}`, 60);
        const admin = new Client(lg2.url);
        assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
        await checkHlsPlays(admin, "live", work);
      });
    } finally {
      if (pub) await stopProc(pub);
      await lg2.stop();
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  },
});
