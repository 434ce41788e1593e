// The serve command as a process: Ctrl-C (SIGINT) stops livegate and MediaMTX; start-up errors are clear.
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort, ROOT, run, startLivegate } from "./harness.ts";

function pidAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \([^)]*\) Z/.test(stat); // a zombie is gone for our purposes
  } catch {
    return false;
  }
}

Deno.test({
  name: "e2e: SIGINT stops livegate and the MediaMTX it started",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate();
    const line = lg.logs.find((l) => /MediaMTX started \(pid \d+\)/.test(l));
    assert.ok(line, "supervisor logs MediaMTX's pid");
    const pid = Number(/pid (\d+)/.exec(line!)![1]);
    assert.ok(pidAlive(pid));
    lg.proc.kill("SIGINT");
    const st = await lg.proc.status;
    assert.equal(st.code, 0, lg.logs.join("\n"));
    assert.equal(pidAlive(pid), false, "MediaMTX is gone");
    assert.ok(lg.logs.some((l) => l.includes("livegate: stopped")));
    await lg.stop();
  },
});

const denoRun = (args: string[], env: Record<string, string>) =>
  run(Deno.execPath(), ["run", "-A", "--config", join(ROOT, "deno.json"), join(ROOT, "main.ts"), ...args], {
    env,
  });

Deno.test({
  name: "e2e: start-up errors name the setting (port in use, missing MediaMTX, bad port)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir();
    const busy = Deno.listen({ hostname: "127.0.0.1", port: freePort() });
    try {
      const port = String((busy.addr as Deno.NetAddr).port);
      const base = {
        LIVEGATE_DATA_DIR: dataDir,
        LIVEGATE_HOST: "127.0.0.1",
        LIVEGATE_ADMIN_PASSWORD: "e2e-password",
      };
      const inUse = await denoRun(["serve"], { ...base, LIVEGATE_PORT: port });
      assert.notEqual(inUse.code, 0);
      assert.match(inUse.stderr, /LIVEGATE_PORT: port \d+ is already in use/);

      const noMtx = await denoRun(["serve"], {
        ...base,
        LIVEGATE_PORT: String(freePort()),
        MEDIAMTX_BIN: "/nonexistent/mediamtx",
      });
      assert.notEqual(noMtx.code, 0);
      assert.match(noMtx.stderr, /MEDIAMTX_BIN: \/nonexistent\/mediamtx is not an executable file/);

      const bad = await denoRun(["serve"], { ...base, LIVEGATE_RTMP_PORT: "99999" });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /LIVEGATE_RTMP_PORT: '99999' is not a port number/);

      const unknown = await denoRun(["frobnicate"], base);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    } finally {
      busy.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "e2e: a MediaMTX orphaned by a killed livegate is ended by the next start",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const first = await startLivegate();
    const pid = Number(/pid (\d+)/.exec(first.logs.find((l) => /MediaMTX started \(pid \d+\)/.test(l))!)![1]);
    first.proc.kill("SIGKILL");
    await first.proc.status;
    assert.ok(pidAlive(pid), "MediaMTX outlives a SIGKILLed livegate");
    // Same data dir and ports: the leftover MediaMTX still holds them.
    const second = await startLivegate({ ...first.env });
    try {
      assert.ok(second.logs.some((l) => l.includes(`ending MediaMTX pid ${pid}`)), second.logs.join("\n"));
      assert.equal(pidAlive(pid), false);
    } finally {
      await second.stop();
      await first.stop();
    }
  },
});
