// The supervisor with a real child process (a shell script standing in for a MediaMTX that keeps
// crashing): output is prefixed "[mediamtx] ", every exit is followed by a restart with a doubling delay,
// and stop() ends the loop.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Supervisor } from "../../src/mediamtx/supervisor.ts";

Deno.test("supervisor: crashing child is restarted with exponential backoff; its output is prefixed", async () => {
  const dir = await Deno.makeTempDir();
  const script = join(dir, "crash.sh");
  await Deno.writeTextFile(script, 'echo "boom from $$"\necho "to stderr" >&2\nexit 3\n');
  const logs: { at: number; line: string }[] = [];
  const sup = new Supervisor({
    bin: "/bin/sh",
    configFile: script,
    env: { PATH: "/usr/bin:/bin" },
    log: (line) => logs.push({ at: Date.now(), line }),
    ready: () => new Promise(() => {}),
  });
  try {
    sup.start();
    const end = Date.now() + 10_000;
    while (logs.filter((l) => /MediaMTX started/.test(l.line)).length < 4 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const exits = logs.filter((l) => /MediaMTX exited/.test(l.line));
    assert.ok(exits.length >= 3, logs.map((l) => l.line).join("\n"));
    assert.match(exits[0].line, /code 3\); restarting in 500 ms/);
    assert.match(exits[1].line, /restarting in 1000 ms/);
    assert.match(exits[2].line, /restarting in 2000 ms/);
    const starts = logs.filter((l) => /MediaMTX started \(pid \d+\)/.test(l.line));
    const gap = starts[3].at - starts[2].at;
    assert.ok(gap >= 1900, `third restart waited ${gap} ms`);
    assert.ok(logs.some((l) => /^\[mediamtx\] boom from \d+$/.test(l.line)), "stdout prefixed");
    assert.ok(logs.some((l) => l.line === "[mediamtx] to stderr"), "stderr prefixed");
    assert.equal(sup.restarts, 3);
  } finally {
    await sup.stop();
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(sup.state, "stopped");
});
