// One destination's supervised ffmpeg (src/restream/runner.ts) against hostile destinations, without
// livegate: a server that accepts and never answers (timed out, then retried), one that hangs up at once
// (handshake failed), an ffmpeg that cannot start (failed), a stop while connecting (the process is gone
// within a second), and the key scrubbed from every line kept or logged.
import assert from "node:assert/strict";
import { DestinationRunner, type RunnerStatus } from "../../src/restream/runner.ts";
import { needTool, waitFor } from "./harness.ts";

const KEY = "runner-secret-key-42424242";

function source(): string[] {
  return [
    ...[
      "-hide_banner",
      "-nostdin",
      "-loglevel",
      "error",
      "-nostats",
      "-progress",
      "pipe:1",
      "-stats_period",
      "0.5",
    ],
    ...[
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=160x90:rate=10",
      "-t",
      "60",
      "-c:v",
      "libx264",
      "-g",
      "10",
    ],
  ];
}

function runner(target: string, opts: Partial<ConstructorParameters<typeof DestinationRunner>[0]> = {}) {
  const states: RunnerStatus[] = [];
  const logs: string[] = [];
  const r = new DestinationRunner({
    ffmpeg: needTool("ffmpeg"),
    args: [...source(), "-f", "flv", target],
    secrets: [KEY],
    onState: (s) => states.push(s),
    log: (l) => logs.push(l),
    label: "test",
    backoff: { baseMs: 200, maxMs: 400 },
    ...opts,
  });
  return { r, states, logs };
}

/** Whether a process with this pid still exists. */
function alive(pid: number): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/stat`).split(" ")[2] !== "Z";
  } catch {
    return false;
  }
}

Deno.test({
  name: "restream runner: silent and hanging-up destinations, no ffmpeg, stop, scrubbed key",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // Accepts and never answers.
    const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    (async () => {
      for await (const c of silent) held.push(c);
    })().catch(() => {});
    // Accepts and closes at once.
    const rude = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    (async () => {
      for await (const c of rude) c.close();
    })().catch(() => {});
    try {
      await t.step("a destination that never answers: timed out, retried", async () => {
        const { r, states, logs } = runner(`rtmp://127.0.0.1:${silent.addr.port}/app/${KEY}`, {
          connectTimeoutMs: 2500,
        });
        r.start();
        await waitFor(
          "retrying",
          () => Promise.resolve(states.some((s) => s.state === "retrying") || undefined),
          30_000,
        );
        assert.match(r.status.lastError ?? "", /timed out|handshake/);
        await r.stop();
        assert.equal(r.status.state, "idle");
        assert.ok(!logs.join("\n").includes(KEY), "key scrubbed from the log");
        assert.ok(!JSON.stringify(states).includes(KEY), "key scrubbed from the states");
      });

      await t.step(
        "a destination that hangs up: handshake failed, retried with a reconnect count",
        async () => {
          const { r, logs } = runner(`rtmp://127.0.0.1:${rude.addr.port}/app/${KEY}`);
          r.start();
          await waitFor(
            "two reconnects",
            () => Promise.resolve(r.status.reconnects >= 2 || undefined),
            30_000,
          );
          assert.match(r.status.lastError ?? "", /handshake|connection lost/);
          await r.stop();
          assert.ok(
            logs.some((l) => l.includes("[redacted]")),
            "ffmpeg's line with the URL was kept, scrubbed",
          );
          assert.ok(!logs.join("\n").includes(KEY));
        },
      );

      await t.step("ffmpeg that cannot start: failed with the reason", async () => {
        const { r } = runner("rtmp://127.0.0.1:1/app/x", { ffmpeg: "/nonexistent/ffmpeg" });
        r.start();
        assert.equal(r.status.state, "failed");
        assert.match(r.status.lastError ?? "", /cannot start ffmpeg/);
        await r.stop();
      });

      await t.step("stop while connecting: ffmpeg is gone within a second", async () => {
        const { r } = runner(`rtmp://127.0.0.1:${silent.addr.port}/app/${KEY}`);
        r.start();
        const pid = r.pid!;
        assert.ok(alive(pid));
        const t0 = Date.now();
        await r.stop();
        const took = Date.now() - t0;
        assert.ok(!alive(pid), "ffmpeg ended");
        assert.ok(took < 2000, `stop took ${took} ms`);
      });
    } finally {
      silent.close();
      rude.close();
      for (const c of held) c.close();
    }
  },
});
