// livegate's V8 flags (src/runtime/v8-flags.ts) are applied wherever it is started, and this Deno's V8
// knows them (an unknown flag makes deno refuse to start).
import assert from "node:assert/strict";
import { join } from "node:path";
import { V8_FLAGS, V8_FLAGS_ARG } from "../../src/runtime/v8-flags.ts";
import { compileArgs } from "../../scripts/compile.ts";

const ROOT = join(import.meta.dirname!, "..", "..");

Deno.test("V8 flags: deno task start, scripts/start.sh and deno compile apply them", () => {
  const tasks = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json"))).tasks;
  assert.match(tasks.start, new RegExp(`deno run -A ${V8_FLAGS_ARG} main\\.ts serve$`));
  const start = Deno.readTextFileSync(join(ROOT, "scripts", "start.sh"));
  assert.match(start, new RegExp(`^exec deno run -A ${V8_FLAGS_ARG} main\\.ts`, "m"));
  assert.ok(compileArgs("/tmp/x", ROOT).includes(V8_FLAGS_ARG));
  const harness = Deno.readTextFileSync(join(ROOT, "tests", "e2e", "harness.ts"));
  assert.match(harness, /"-A",\s+V8_FLAGS_ARG,/);
});

Deno.test("V8 flags: this Deno accepts them", async () => {
  assert.ok(V8_FLAGS.length > 0);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", V8_FLAGS_ARG, "console.log('ok')"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, err);
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "ok");
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--no-such-flag-livegate", "1"],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.notEqual(bad.code, 0, "an unknown V8 flag is refused, so the check above means something");
});
