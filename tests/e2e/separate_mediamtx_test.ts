// MediaMTX as its own service (deploy/mediamtx.service): livegate with LIVEGATE_MEDIAMTX_MANAGE=false and
// a shared LIVEGATE_MTX_SECRET; MediaMTX started with only what `livegate mediamtx env` and
// `livegate mediamtx config` print (as systemd's EnvironmentFile would pass it). Keys are checked through
// the hook and HLS plays through livegate.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ADMIN_PASSWORD, Client, publish, ROOT, run, startLivegate, stopProc, waitFor } from "./harness.ts";
import { checkHlsPlays } from "./hls_check.ts";
import { randomToken } from "../../src/core/crypto.ts";
import { findMediamtx } from "../../src/mediamtx/binary.ts";

/** Parses KEY=value lines the way systemd's EnvironmentFile does for these simple values. */
function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const i = line.indexOf("=");
    assert.ok(i > 0, `KEY=value line: ${line}`);
    env[line.slice(0, i)] = line.slice(i + 1);
  }
  return env;
}

Deno.test({
  name: "e2e separate MediaMTX: started from `livegate mediamtx env/config`, keys checked, HLS plays",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const master = randomToken(32);
    const lg = await startLivegate({ LIVEGATE_MEDIAMTX_MANAGE: "false", LIVEGATE_MTX_SECRET: master });
    let mtx: Deno.ChildProcess | undefined;
    let pub: Deno.ChildProcess | undefined;
    const mtxLog: string[] = [];
    try {
      const envOut = await lg.cli("mediamtx", "env");
      assert.equal(envOut.code, 0, envOut.stderr);
      const env = parseEnvFile(envOut.stdout);
      assert.match(
        env.MTX_AUTHHTTPADDRESS,
        /^http:\/\/127\.0\.0\.1:\d+\/internal\/mediamtx\/auth\/[0-9a-f]{64}$/,
      );
      assert.match(env.MTX_HLSCDNSECRET, /^[0-9a-f]{64}$/);
      assert.equal(env.MTX_RTMPADDRESS, `:${lg.rtmpPort}`);
      assert.ok(!envOut.stdout.includes(master), "the master secret itself is not printed");

      const cfgOut = await lg.cli("mediamtx", "config");
      assert.equal(cfgOut.code, 0, cfgOut.stderr);
      assert.match(cfgOut.stdout, /authMethod: http/);
      const yml = join(lg.dataDir, "mediamtx-separate.yml");
      await Deno.writeTextFile(yml, cfgOut.stdout);

      mtx = new Deno.Command(findMediamtx(Deno.env.get("MEDIAMTX_BIN") ?? ""), {
        args: [yml],
        env,
        clearEnv: true,
        cwd: lg.dataDir,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const pump = async (s: ReadableStream<Uint8Array>) => {
        const dec = new TextDecoder();
        for await (const b of s) mtxLog.push(dec.decode(b, { stream: true }));
      };
      const pumps = [pump(mtx.stdout), pump(mtx.stderr)];
      await waitFor("MediaMTX listening for RTMP", () => {
        return Promise.resolve(mtxLog.join("").includes("[RTMP] started") ? true : undefined);
      });

      await t.step("a wrong key is refused through livegate's hook", async () => {
        const bad = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=lg_wrongwrongwrongwrong`, 5);
        assert.notEqual((await bad.status).code, 0);
        await bad.stderr.cancel().catch(() => {});
      });

      await t.step("the key publishes and HLS plays through livegate", async () => {
        pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 60);
        const viewer = new Client(lg.url);
        assert.equal((await viewer.login("admin", ADMIN_PASSWORD)).status, 303);
        await checkHlsPlays(viewer, "live", lg.dataDir);
      });
      if (pub) await stopProc(pub);
      pub = undefined;
      mtx.kill("SIGTERM");
      await mtx.status;
      await Promise.allSettled(pumps);
      mtx = undefined;
    } catch (e) {
      console.error(`MediaMTX log:\n${mtxLog.join("")}`);
      throw e;
    } finally {
      if (pub) await stopProc(pub);
      if (mtx) await stopProc(mtx);
      await lg.stop();
    }
  },
});

Deno.test("livegate mediamtx env without LIVEGATE_MTX_SECRET says what to set", async () => {
  const env = Deno.env.toObject();
  delete env.LIVEGATE_MTX_SECRET;
  const r = await run(Deno.execPath(), [
    "run",
    "-A",
    "--config",
    join(ROOT, "deno.json"),
    join(ROOT, "main.ts"),
    "mediamtx",
    "env",
  ], { env, clearEnv: true });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /LIVEGATE_MTX_SECRET must be set/);
});
