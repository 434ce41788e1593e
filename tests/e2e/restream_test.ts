// Restream end to end with real destinations (tests/e2e/restream_destinations.ts): a second MediaMTX over
// RTMP and SRT and nginx-rtmp receive a live stream through livegate's supervised `ffmpeg -c copy`;
// ffprobe reads each with the source's codecs. nginx killed and started again: retrying, then live by
// itself. A wrong key at nginx: failed, "authentication failed". A closed port: retrying, "connection
// refused", and the same for a WHIP endpoint on a closed port (tests/e2e/restream_tls_whip_test.ts has
// WHIP and RTMPS against real servers). An Opus-only stream to RTMP: failed, "codec not
// accepted", while SRT carries it. Toggling off stops feeding within 2 s; a publish ending stops its
// destinations; deleting a stream stops all of them; no ffmpeg is left after livegate stops. The keys never
// appear in livegate's log, the API answers, the page or the webhooks.
import assert from "node:assert/strict";
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
import {
  ffmpegChildren,
  startMtxDestination,
  startNginxRtmp,
  startPublishAuth,
} from "./restream_destinations.ts";
import { startReceiver } from "./webhook_receiver.ts";

const MTX_KEY = "mtx-rtmp-key-0001-abcdef";
const SRT_KEY = "publish:srtout";
const NGINX_KEY = "nginx-good-key-7f3a9c-xyz";
const WRONG_KEY = "nginx-wrong-key-000000-qq";
const CLOSED_KEY = "closed-port-key-1234567";
const WHIP_TOKEN = "whip-token-secret-abcdef";
const OP_SRT_KEY = "publish:opus-out-secret";
const OP_RTMP_KEY = "opus-rtmp-key-9999-zzzz";
const KEYS = [MTX_KEY, SRT_KEY, NGINX_KEY, WRONG_KEY, CLOSED_KEY, WHIP_TOKEN, OP_SRT_KEY, OP_RTMP_KEY];
const HOOK_SECRET = "restream-e2e-webhook-secret";

interface DestStatus {
  state: string;
  bitrate: number | null;
  uptimeSeconds: number | null;
  reconnects: number;
  lastError: string | null;
}

/** Stream codecs ffprobe reads at `url` (sorted), within 20 s. */
async function probe(url: string): Promise<string[]> {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), 20_000);
  try {
    const out = await new Deno.Command(needTool("ffprobe"), {
      args: [
        "-v",
        "error",
        "-rw_timeout",
        "15000000",
        "-show_entries",
        "stream=codec_name",
        "-of",
        "json",
        url,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: ac.signal,
    }).output();
    const j = JSON.parse(new TextDecoder().decode(out.stdout) || "{}");
    return (j.streams ?? []).map((s: { codec_name: string }) => s.codec_name).sort();
  } finally {
    clearTimeout(t);
  }
}

/**
 * The codecs at `url` once ffprobe reads any: a destination MediaMTX takes a moment after the publish
 * starts before it serves readers (it reads the tracks first), so an early probe may find nothing yet.
 */
function probeUntil(url: string): Promise<string[]> {
  return waitFor(`ffprobe ${url}`, async () => {
    const codecs = await probe(url);
    return codecs.length ? codecs : undefined;
  }, 45_000);
}

Deno.test({
  name: "e2e: restream to MediaMTX (RTMP, SRT) and nginx-rtmp, with health, recovery, toggles and secrets",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const mtx = await startMtxDestination();
    const auth = startPublishAuth(NGINX_KEY);
    let nginx = await startNginxRtmp(auth.url);
    const receiver = startReceiver(HOOK_SECRET);
    const lg = await startLivegate({
      LIVEGATE_WEBHOOK_URLS: receiver.url,
      LIVEGATE_WEBHOOK_SECRET: HOOK_SECRET,
      LIVEGATE_METRICS_ALLOW: "127.0.0.1",
    });
    const c = new Client(lg.url);
    const answers: string[] = [];
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await c.api(method, path, body);
      answers.push(JSON.stringify(r.body));
      return r;
    };
    const pubs: Deno.ChildProcess[] = [];
    const rtspPort = lg.env.LIVEGATE_RTSP_PORT;
    try {
      assert.equal((await c.login("admin", ADMIN_PASSWORD)).status, 303);
      const base = "/api/streams/live/destinations";
      const add = async (name: string, url: string, key: string, path = "live") => {
        const r = await api("POST", `/api/streams/${path}/destinations`, { name, url, key });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body.destination.id as string;
      };
      const closedPort = freePort();
      const ids = {
        mtxRtmp: await add("MediaMTX RTMP", `rtmp://127.0.0.1:${mtx.rtmp}/restreamed`, MTX_KEY),
        mtxSrt: await add("MediaMTX SRT", `srt://127.0.0.1:${mtx.srt}?latency=200000`, SRT_KEY),
        nginx: await add("nginx", `rtmp://127.0.0.1:${nginx.port}/live`, NGINX_KEY),
        wrong: await add("nginx wrong key", `rtmp://127.0.0.1:${nginx.port}/live`, WRONG_KEY),
        closed: await add("closed port", `rtmp://127.0.0.1:${closedPort}/app`, CLOSED_KEY),
        whip: await add("WHIP", `https://127.0.0.1:${closedPort}/whip/endpoint`, WHIP_TOKEN),
      };
      const status = async (id: string, path = "live"): Promise<DestStatus> => {
        const r = await api("GET", `/api/streams/${path}/destinations`);
        assert.equal(r.status, 200);
        return r.body.destinations.find((d: { id: string }) => d.id === id).status;
      };
      const waitState = (id: string, state: string, ms = 30_000, path = "live") =>
        waitFor(`destination ${id} ${state}`, async () => {
          const s = await status(id, path);
          return s.state === state ? s : undefined;
        }, ms);

      const started = Date.now();
      pubs.push(publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 150, { size: "320x180" }));

      await t.step(
        "every enabled destination goes live; ffprobe reads the source's codecs there",
        async () => {
          for (const id of [ids.mtxRtmp, ids.mtxSrt, ids.nginx]) await waitState(id, "live", 40_000);
          console.log(`  all three destinations live ${Date.now() - started} ms after the publish started`);
          const want = ["aac", "h264"];
          assert.deepEqual(await probeUntil(`rtmp://127.0.0.1:${mtx.rtmp}/restreamed/${MTX_KEY}`), want);
          assert.deepEqual(await probeUntil(`srt://127.0.0.1:${mtx.srt}?streamid=read:srtout`), want);
          assert.deepEqual(await probeUntil(`rtmp://127.0.0.1:${nginx.port}/live/${NGINX_KEY}`), want);
          // The metric: 3 live, the wrong key failed (it may still be trying at first).
          await waitFor("restream metric", async () => {
            const m = await (await c.fetch("/metrics")).text();
            return /livegate_restream_destinations\{path="live",state="live"\} 3/.test(m) &&
                /livegate_restream_destinations\{path="live",state="failed"\} 1/.test(m)
              ? true
              : undefined;
          });
          const s = await status(ids.mtxRtmp);
          assert.ok(s.bitrate !== null && s.bitrate > 20_000, `bitrate ${s.bitrate}`);
          assert.ok((s.uptimeSeconds ?? -1) >= 0);
        },
      );

      await t.step("wrong key, closed port and WHIP on a closed port: a clear state and reason", async () => {
        const wrong = await waitState(ids.wrong, "failed");
        assert.match(wrong.lastError ?? "", /authentication failed/);
        assert.ok(auth.asked.includes(WRONG_KEY), "nginx asked its on_publish endpoint");
        const closed = await waitFor("closed port retried", async () => {
          const s = await status(ids.closed);
          return s.reconnects >= 1 && s.lastError ? s : undefined;
        });
        assert.equal(closed.lastError, "connection refused");
        assert.ok(["retrying", "connecting"].includes(closed.state), closed.state);
        const whip = await waitFor("WHIP on a closed port retried", async () => {
          const s = await status(ids.whip);
          return s.reconnects >= 1 && s.lastError ? s : undefined;
        });
        assert.equal(whip.lastError, "connection refused");
      });

      await t.step("nginx killed and started again: retrying, then live by itself", async () => {
        await nginx.stop();
        const down = Date.now();
        const r = await waitState(ids.nginx, "retrying", 20_000);
        console.log(`  retrying ${Date.now() - down} ms after nginx was killed (${r.lastError})`);
        assert.ok(r.lastError);
        nginx = await startNginxRtmp(auth.url, nginx.port);
        const up = Date.now();
        const live = await waitState(ids.nginx, "live", 30_000);
        const took = Date.now() - up;
        console.log(`  live again ${took} ms after nginx was back (bound: 20 s)`);
        assert.ok(took <= 20_000, `took ${took} ms`);
        assert.ok(live.reconnects >= 1);
        assert.deepEqual(await probeUntil(`rtmp://127.0.0.1:${nginx.port}/live/${NGINX_KEY}`), [
          "aac",
          "h264",
        ]);
      });

      await t.step("toggle off stops feeding within 2 s; on again goes live", async () => {
        const path = `restreamed/${MTX_KEY}`;
        assert.ok(await mtx.online(path));
        const t0 = Date.now();
        assert.equal((await api("PATCH", `${base}/${ids.mtxRtmp}`, { enabled: false })).status, 200);
        await waitFor("destination offline", async () => (await mtx.online(path)) ? undefined : true, 10_000);
        const took = Date.now() - t0;
        console.log(`  the destination stopped receiving ${took} ms after the toggle`);
        assert.ok(took <= 2000, `took ${took} ms`);
        assert.equal((await status(ids.mtxRtmp)).state, "idle");
        assert.equal((await api("PATCH", `${base}/${ids.mtxRtmp}`, { enabled: true })).status, 200);
        const t1 = Date.now();
        await waitState(ids.mtxRtmp, "live", 10_000);
        console.log(`  ffmpeg writing to the destination ${Date.now() - t1} ms after the toggle on`);
        await waitFor("destination online", async () => (await mtx.online(path)) ? true : undefined, 10_000);
        console.log(
          `  the destination MediaMTX has the stream online ${Date.now() - t1} ms after the toggle on`,
        );
      });

      await t.step(
        "Opus-only stream: RTMP says codec not accepted, SRT carries it",
        async () => {
          assert.equal((await api("POST", "/api/streams", { path: "op" })).status, 201);
          const k = await api("POST", "/api/streams/op/keys", { name: "e2e" });
          assert.equal(k.status, 201);
          const opRtmp = await add("RTMP", `rtmp://127.0.0.1:${mtx.rtmp}/op`, OP_RTMP_KEY, "op");
          const opSrt = await add("SRT", `srt://127.0.0.1:${mtx.srt}`, OP_SRT_KEY, "op");
          const op = new Deno.Command(needTool("ffmpeg"), {
            args: [
              ...[
                "-hide_banner",
                "-loglevel",
                "error",
                "-re",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=300:duration=60",
              ],
              ...["-c:a", "libopus", "-b:a", "48k", "-rtsp_transport", "tcp", "-f", "rtsp"],
              `rtsp://127.0.0.1:${rtspPort}/op?token=${k.body.key}`,
            ],
            stdout: "null",
            stderr: "piped", // stopProc cancels it
            stdin: "null",
          }).spawn();
          pubs.push(op);
          const failed = await waitState(opRtmp, "failed", 30_000, "op");
          assert.equal(failed.lastError, "codec not accepted");
          await waitState(opSrt, "live", 30_000, "op");
          assert.deepEqual(await probeUntil(`srt://127.0.0.1:${mtx.srt}?streamid=read:opus-out-secret`), [
            "opus",
          ]);
          // The Opus publish goes on: the stream's deletion ends it below.
        },
      );

      await t.step("webhooks and the audit log get the changes, without keys", async () => {
        await waitFor("webhooks", () => {
          const states = receiver.events.filter((e) => e.type === "restream.state").map((e) => e.data.state);
          return Promise.resolve(
            states.includes("live") && states.includes("failed") && states.includes("retrying")
              ? true
              : undefined,
          );
        });
        const ev = receiver.events.filter((e) => e.type === "restream.state");
        assert.ok(ev.every((e) => e.signatureOk));
        const failed = ev.find((e) => e.data.state === "failed" && e.data.id === ids.wrong);
        assert.match(String(failed?.data.error), /authentication failed/);
        const audit = await api("GET", "/api/audit");
        const entries = audit.body.entries ?? audit.body.audit ?? audit.body;
        assert.ok(JSON.stringify(entries).includes("restream.state"), "state changes are audited");
        for (const k of KEYS) {
          assert.ok(!JSON.stringify(receiver.events).includes(k), `key ${k} in a webhook`);
        }
      });

      await t.step("the page shows keys masked only", async () => {
        const html = await (await c.fetch("/admin/streams/live")).text();
        assert.ok(html.includes("restream"), "the page has the restream section");
        for (const k of KEYS) assert.ok(!html.includes(k), `key ${k} on the page`);
      });

      await t.step("a publish ending stops its destinations", async () => {
        assert.ok(await ffmpegChildren(lg.proc.pid) >= 4, "RTMP, SRT, nginx and the Opus SRT are fed");
        const t0 = Date.now();
        await stopProc(pubs[0]);
        for (const id of [ids.mtxRtmp, ids.mtxSrt, ids.nginx]) await waitState(id, "idle", 15_000);
        console.log(`  the publish ended: its destinations idle ${Date.now() - t0} ms later`);
        await waitFor(
          "only the Opus stream's ffmpeg",
          async () => (await ffmpegChildren(lg.proc.pid)) === 1 || undefined,
        );
        assert.equal(await mtx.online(`restreamed/${MTX_KEY}`), false);
      });

      await t.step("deleting a stream stops all its destinations", async () => {
        assert.ok(await mtx.online("opus-out-secret"));
        const t0 = Date.now();
        assert.equal((await api("DELETE", "/api/streams/op")).status, 200);
        await waitFor("no ffmpeg left", async () => (await ffmpegChildren(lg.proc.pid)) === 0 || undefined);
        console.log(`  its destinations stopped ${Date.now() - t0} ms after the stream was deleted`);
        await waitFor(
          "op gone at the destination",
          async () => (await mtx.online("opus-out-secret")) ? undefined : true,
        );
        assert.equal((await api("GET", "/api/streams/op/destinations")).status, 404);
      });

      await t.step("livegate stopping ends every ffmpeg", async () => {
        // A short audio-only publish (cheap) brings the first stream's destinations back.
        const again = new Deno.Command(needTool("ffmpeg"), {
          args: [
            ...["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "sine=duration=60"],
            ...["-c:a", "aac", "-f", "flv", `rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`],
          ],
          stdout: "null",
          stderr: "piped",
          stdin: "null",
        }).spawn();
        pubs.push(again);
        await waitState(ids.mtxRtmp, "live", 30_000);
        assert.ok(await ffmpegChildren(lg.proc.pid) >= 1);
        await lg.stop();
        const left = await run("pgrep", ["-f", `127.0.0.1:${rtspPort}/`]);
        assert.equal(left.stdout.trim(), "", "no ffmpeg left after livegate stopped");
      });
    } finally {
      for (const p of pubs) await stopProc(p).catch(() => {});
      await lg.stop();
      await nginx.stop();
      await mtx.stop();
      await auth.stop();
      await receiver.stop();
    }
    const left = await run("pgrep", ["-f", `127.0.0.1:${rtspPort}/`]);
    assert.equal(left.stdout.trim(), "", "no ffmpeg left after livegate stopped");
    for (const k of KEYS) {
      assert.ok(!lg.logs.join("\n").includes(k), `key ${k} in livegate's log`);
      assert.ok(!answers.join("\n").includes(k), `key ${k} in an API answer`);
    }
  },
});
