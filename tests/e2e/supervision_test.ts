// End to end: retention deletes old recording segments and keeps new ones; MediaMTX killed mid-stream is
// restarted by livegate, the publisher reconnects and the viewer plays again; a taken port stops the
// start with a message naming the setting.
import assert from "node:assert/strict";
import { join } from "node:path";
import dgram from "node:dgram";
import {
  ADMIN_PASSWORD,
  Client,
  freePort,
  needTool,
  publish,
  run,
  startLivegate,
  stopProc,
  waitFor,
} from "./harness.ts";

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
/** MediaMTX's segment name (%Y-%m-%d_%H-%M-%S-%f, local time) for a time. */
function segmentName(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}_${pad(d.getHours())}-${
    pad(d.getMinutes())
  }-${pad(d.getSeconds())}-${pad(d.getMilliseconds() * 1000, 6)}.mp4`;
}

Deno.test({
  name: "e2e/retention: a segment older than the retention is deleted, a recent one kept",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // MediaMTX's cleaner runs at start and then every retention/2 (here 20 s).
    const lg = await startLivegate({ LIVEGATE_RECORD_RETENTION: "40s" });
    try {
      const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 4);
      assert.equal((await pub.status).code, 0);
      await pub.stderr.cancel();
      const dir = join(lg.dataDir, "recordings", "live");
      const fresh = [...Deno.readDirSync(dir)].map((e) => e.name);
      assert.equal(fresh.length, 1, String(fresh));
      // An "old" recording: the same segment, named as if it had started 10 minutes ago.
      const old = segmentName(new Date(Date.now() - 600_000));
      await Deno.copyFile(join(dir, fresh[0]), join(dir, old));
      const viewer = new Client(lg.url);
      await viewer.login("admin", ADMIN_PASSWORD);
      const listed = await (await viewer.fetch("/api/recordings/live")).json();
      assert.equal(listed.spans.length, 2, "the old copy is listed before the cleaner runs");

      await waitFor("old segment deleted", () => {
        const names = [...Deno.readDirSync(dir)].map((e) => e.name);
        return Promise.resolve(names.includes(old) ? undefined : names);
      }, 30_000);
      const left = [...Deno.readDirSync(dir)].map((e) => e.name);
      assert.deepEqual(left, fresh, "the recent segment is still there");
      const after = await (await viewer.fetch("/api/recordings/live")).json();
      assert.equal(after.spans.length, 1);
      assert.equal(after.retentionSeconds, 40);
    } finally {
      await lg.stop();
    }
  },
});

Deno.test({
  name: "e2e/recording: a path with recording off is not recorded; a (nearly) full disk is reported",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // A free-space threshold no disk meets stands in for a full disk.
    const lg = await startLivegate({
      LIVEGATE_RECORD_PATHS: "live=off",
      LIVEGATE_RECORD_MIN_FREE: "1000000T",
    });
    try {
      const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 3);
      assert.equal((await pub.status).code, 0);
      await pub.stderr.cancel();
      assert.throws(() => Deno.statSync(join(lg.dataDir, "recordings", "live")), Deno.errors.NotFound);
      const viewer = new Client(lg.url);
      await viewer.login("admin", ADMIN_PASSWORD);
      const j = await (await viewer.fetch("/api/recordings/live")).json();
      assert.equal(j.recording, false);
      assert.deepEqual(j.spans, []);
      const page = await (await viewer.fetch("/recordings/live")).text();
      assert.match(page, /Recording is off for this stream/);
      assert.match(page, /recordings disk is almost full/);
      assert.equal(j.disk.low, true);
      assert.ok(lg.logs.some((l) => /WARNING: recordings disk almost full/.test(l)), "logged");
      assert.equal((await fetch(`${lg.url}/health`)).status, 200, "still serving");
      const media = await viewer.fetch("/recordings/live/media?start=2026-01-01T00:00:00Z&duration=5");
      assert.equal(media.status, 404);
      assert.match((await media.json()).error, /no recording/);
    } finally {
      await lg.stop();
    }
  },
});

async function playsHls(viewer: Client, tmp: string): Promise<void> {
  const master = await waitFor("stream online", async () => {
    const r = await viewer.fetch("/hls/live/index.m3u8");
    if (r.status === 200) return await r.text();
    await r.body?.cancel();
  }, 30_000);
  const variant = master.split("\n").find((l) => l.endsWith(".m3u8") && !l.startsWith("#"))!;
  const media = await (await viewer.fetch(`/hls/live/${variant}`)).text();
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(media)![1];
  const seg = media.split("\n").filter((l) => l && !l.startsWith("#")).at(-1)!;
  const parts = [];
  for (const f of [init, seg]) {
    const r = await viewer.fetch(`/hls/live/${f}`);
    assert.equal(r.status, 200, f);
    parts.push(new Uint8Array(await r.arrayBuffer()));
  }
  const file = join(tmp, `seg-${Date.now()}.mp4`);
  await Deno.writeFile(file, new Uint8Array([...parts[0], ...parts[1]]));
  const p = await run(needTool("ffprobe"), [
    "-v",
    "error",
    "-count_frames",
    "-select_streams",
    "v",
    "-show_entries",
    "stream=nb_read_frames",
    "-of",
    "csv=p=0",
    file,
  ]);
  assert.equal(p.code, 0, p.stderr);
  assert.ok(Number(p.stdout.trim()) > 0, `decoded frames: ${p.stdout}`);
}

Deno.test({
  name: "e2e/supervision: MediaMTX killed mid-stream -> restarted, publisher reconnects, viewer plays again",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const metricsToken = "supervision-metrics-token-123";
    const lg = await startLivegate({ LIVEGATE_METRICS_TOKEN: metricsToken });
    const tmp = await Deno.makeTempDir({ prefix: "livegate-sup-" });
    const rtmp = `rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`;
    let pub = publish(rtmp);
    try {
      const viewer = new Client(lg.url);
      await viewer.login("admin", ADMIN_PASSWORD);
      await playsHls(viewer, tmp);

      const pidOf = () =>
        lg.logs.map((l) => /\[livegate\] MediaMTX started \(pid (\d+)\)/.exec(l)?.[1]).filter(Boolean).map(
          Number,
        );
      const [pid] = pidOf();
      assert.ok(pid > 0);
      Deno.kill(pid, "SIGKILL");

      // The publisher loses its connection; livegate notices the exit and starts a new MediaMTX.
      await waitFor(
        "MediaMTX exit logged",
        () =>
          Promise.resolve(
            lg.logs.some((l) => /MediaMTX exited .*SIGKILL.*restarting in \d+ ms/.test(l)) || undefined,
          ),
      );
      const st = await pub.status;
      await pub.stderr.cancel();
      assert.notEqual(st.code, 0, "ffmpeg noticed the dropped connection");
      const pids = await waitFor("second MediaMTX started", () => {
        const p = pidOf();
        return Promise.resolve(p.length >= 2 ? p : undefined);
      });
      assert.notEqual(pids[1], pid);
      await waitFor("ready again", async () => {
        const r = await fetch(`${lg.url}/ready`);
        await r.body?.cancel();
        return r.status === 200 || undefined;
      });
      assert.ok(lg.logs.some((l) => l.startsWith("[mediamtx] ")), "MediaMTX's log is prefixed");

      // The publisher reconnects (a new ffmpeg, as OBS would) and the viewer plays again.
      pub = publish(rtmp);
      await playsHls(viewer, tmp);

      const m =
        await (await fetch(`${lg.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } }))
          .text();
      assert.match(m, /^livegate_mediamtx_restarts 1$/m);
      assert.match(m, /^livegate_mediamtx_up 1$/m);
      // Wait for the watcher's next poll to see the stream live again; one HLS viewer (this client).
      const viewers = await waitFor("viewer counted", async () => {
        const t =
          await (await fetch(`${lg.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } }))
            .text();
        return /^livegate_stream_viewers\{path="live"\} (\d+)$/m.exec(t)?.[1];
      });
      assert.equal(viewers, "1");
    } finally {
      await stopProc(pub);
      await lg.stop();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "e2e/supervision: a taken MediaMTX port stops the start with the setting's name",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const port = freePort();
    const blocker = Deno.listen({ hostname: "127.0.0.1", port });
    try {
      await assert.rejects(
        startLivegate({ LIVEGATE_MTX_PLAYBACK_PORT: String(port) }),
        /LIVEGATE_MTX_PLAYBACK_PORT: port \d+ is already in use/,
      );
    } finally {
      blocker.close();
    }
  },
});

Deno.test({
  name: "e2e/supervision: a taken UDP port (SRT) stops the start with the setting's name",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const sock = dgram.createSocket("udp4");
    await new Promise<void>((r) => sock.bind(0, "0.0.0.0", () => r()));
    try {
      await assert.rejects(
        startLivegate({ LIVEGATE_SRT_PORT: String(sock.address().port) }),
        /LIVEGATE_SRT_PORT: UDP port \d+ is already in use/,
      );
    } finally {
      await new Promise<void>((r) => sock.close(() => r()));
    }
  },
});
