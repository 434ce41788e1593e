// scripts/compile.ts: refuses clearly without a usable DENORT_BIN, and hands `deno compile` the embedded
// assets (static/dist, mediamtx.yml) next to one bundled module.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { checkDenort, compileArgs, CompileError } from "../../scripts/compile.ts";

const ROOT = resolve(new URL("../..", import.meta.url).pathname);
const SCRIPT = join(ROOT, "scripts", "compile.ts");

async function runCompile(env: Record<string, string>, args: string[] = []) {
  const childEnv = Deno.env.toObject();
  delete childEnv.DENORT_BIN;
  delete childEnv.MEDIAMTX_BIN;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", join(ROOT, "deno.json"), SCRIPT, ...args],
    env: { ...childEnv, ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("checkDenort: missing, nonexistent and non-executable DENORT_BIN name the problem", async () => {
  assert.throws(() => checkDenort(undefined, "2.9.6"), (e: Error) => {
    assert.ok(e instanceof CompileError);
    assert.match(e.message, /DENORT_BIN is not set/);
    assert.match(e.message, /cannot do/);
    assert.match(e.message, /denort-x86_64-unknown-linux-gnu\.zip of Deno 2\.9\.6/);
    return true;
  });
  assert.throws(() => checkDenort("/nonexistent/denort"), /DENORT_BIN=\/nonexistent\/denort does not exist/);
  const f = await Deno.makeTempFile();
  try {
    await Deno.chmod(f, 0o644);
    assert.throws(() => checkDenort(f), /is not an executable file/);
    await Deno.chmod(f, 0o755);
    assert.equal(checkDenort(f), f);
  } finally {
    await Deno.remove(f);
  }
});

Deno.test("compileArgs: one bundle with static/dist and mediamtx.yml embedded, all permissions", () => {
  const args = compileArgs("/tmp/out/livegate", ROOT);
  assert.equal(args[0], "compile");
  assert.ok(args.includes("--allow-all"));
  assert.ok(args.includes("--bundle"));
  const includes = args.flatMap((a, i) => (a === "--include" ? [args[i + 1]] : []));
  assert.deepEqual(includes, [
    join(ROOT, "static", "dist"),
    join(ROOT, "mediamtx.yml"),
    join(ROOT, "src", "app", "worker.ts"),
  ]);
  assert.equal(args[args.indexOf("--config") + 1], join(ROOT, "deno.json"));
  assert.equal(args.at(-1), join(ROOT, "main.ts"));
  assert.equal(args[args.indexOf("--output") + 1], "/tmp/out/livegate");
});

Deno.test("deno task compile without DENORT_BIN fails at once with a clear message", async () => {
  const out = await Deno.makeTempDir();
  try {
    const t0 = Date.now();
    const r = await runCompile({}, ["--output", join(out, "livegate")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /compile: DENORT_BIN is not set/);
    assert.ok(Date.now() - t0 < 30_000);
    assert.deepEqual(Array.from(Deno.readDirSync(out)), [], "nothing written");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name: "deno task compile: embeds the assets; a DENORT_BIN that is not denort is caught by the smoke run",
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      // The full deno binary is accepted by `deno compile` as a runtime, but the result runs Deno's CLI
      // instead of livegate: the script must notice and remove it.
      const r = await runCompile({ DENORT_BIN: Deno.execPath(), NO_COLOR: "1" }, [
        "--output",
        join(out, "livegate"),
      ]);
      const all = r.stdout + r.stderr;
      assert.match(all, /mediamtx\.yml/, "mediamtx.yml embedded");
      assert.match(all, /static\/dist/, "static/dist embedded");
      assert.doesNotMatch(all, /[─┬] node_modules/, "npm packages are bundled, not embedded whole");
      assert.equal(r.code, 1, all);
      assert.match(r.stderr, /does not run livegate: DENORT_BIN=.* is not Deno's runtime/);
      assert.throws(() => Deno.statSync(join(out, "livegate")), Deno.errors.NotFound);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
