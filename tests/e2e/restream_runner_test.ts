// One destination's supervised ffmpeg (src/restream/runner.ts) against hostile destinations, without
// livegate: a server that accepts and never answers (timed out, then retried), one that hangs up at once
// (handshake failed), an ffmpeg that cannot start (failed), a stop while connecting (the process is gone
// within a second), and the key scrubbed from every line kept or logged. Hostile WHIP endpoints for the WHIP
// client's sidecar: a 201 that is no SDP answer, a 401 with a huge body, a 503, a POST never answered, and a
// stop while it hangs.
import assert from "node:assert/strict";
import { DestinationRunner, type RunnerStatus } from "../../src/restream/runner.ts";
import { whipSidecar } from "../../src/restream/whip.ts";
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

Deno.test({
  name: "restream runner: hostile WHIP endpoints (not SDP, huge 401, hanging POST, stop while posting)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    let hang: (() => void) | undefined;
    const held = new Promise<void>((r) => hang = r);
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
      const path = new URL(req.url).pathname;
      await req.body?.cancel();
      if (path === "/html") {
        return new Response("<html>hello</html>", { status: 201, headers: { "content-type": "text/html" } });
      }
      // A 401 with a body far over what is read (64 KiB): the answer is judged by its status.
      if (path === "/huge401") return new Response("x".repeat(5_000_000), { status: 401 });
      if (path === "/busy") return new Response("busy", { status: 503, statusText: "Service Unavailable" });
      await held; // /hang: never answers (until the test ends)
      return new Response(null, { status: 500 });
    });
    const base = `http://127.0.0.1:${server.addr.port}`;
    const whip = (path: string, httpTimeoutMs = 10_000) => {
      const states: RunnerStatus[] = [];
      const logs: string[] = [];
      const r = new DestinationRunner({
        ffmpeg: needTool("ffmpeg"),
        args: [],
        sidecar: whipSidecar({
          url: `${base}${path}`,
          token: KEY,
          plan: { video: true, audio: true, audioIsOpus: false, note: null },
          path: "nowhere",
          rtspPort: 1,
          internalUser: "u",
          internalPass: "p",
          httpTimeoutMs,
        }),
        secrets: [KEY],
        onState: (s) => states.push(s),
        log: (l) => logs.push(l),
        label: "whip",
        backoff: { baseMs: 200, maxMs: 400 },
      });
      return { r, states, logs };
    };
    const settle = (r: DestinationRunner, state: string) =>
      waitFor(`runner ${state}`, () => Promise.resolve(r.status.state === state || undefined), 20_000);
    try {
      await t.step("a 201 that is not an SDP answer: failed, no ffmpeg", async () => {
        const { r } = whip("/html");
        r.start();
        await settle(r, "failed");
        assert.equal(r.status.lastError, "not a WHIP endpoint: its 201 answer is not an SDP answer");
        assert.equal(r.pid, undefined);
        await r.stop();
      });
      await t.step("a 401 with a 5 MB body: failed, authentication failed", async () => {
        const { r } = whip("/huge401");
        r.start();
        await settle(r, "failed");
        assert.equal(r.status.lastError, "authentication failed");
        await r.stop();
      });
      await t.step("a 503: retried with the status", async () => {
        const { r } = whip("/busy");
        r.start();
        await waitFor("reconnects", () => Promise.resolve(r.status.reconnects >= 1 || undefined), 20_000);
        assert.equal(r.status.lastError, "the destination answered 503 Service Unavailable");
        await r.stop();
      });
      await t.step("a POST that never gets an answer: timed out, retried", async () => {
        const { r, logs } = whip("/hang", 1000);
        r.start();
        await settle(r, "retrying");
        assert.equal(r.status.lastError, "no answer from the destination (timed out)");
        await r.stop();
        assert.ok(!logs.join("\n").includes(KEY));
      });
      await t.step("stop while the POST hangs: done within 2 s, idle", async () => {
        const { r } = whip("/hang");
        r.start();
        await new Promise((res) => setTimeout(res, 300));
        assert.equal(r.status.state, "connecting");
        const t0 = Date.now();
        await r.stop();
        const took = Date.now() - t0;
        assert.ok(took < 2000, `stop took ${took} ms`);
        assert.equal(r.status.state, "idle");
      });
    } finally {
      hang?.();
      await server.shutdown();
    }
  },
});
