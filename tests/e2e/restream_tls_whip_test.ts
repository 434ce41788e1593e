// Restream over RTMPS and WHIP end to end, against a second real MediaMTX (restream_destinations.ts) serving
// RTMPS with a throwaway self-signed certificate (openssl) and WHIP behind a bearer token (its HTTP auth
// hook), one H.264 + AAC publish:
// - RTMPS with certificate verification (the default): failed, "certificate not trusted"; the same server
//   with the explicit per-destination opt-out (tlsVerify: false): live, ffprobe reads H.264 + AAC there.
// - WHIP (werift client, ffmpeg RTP with the audio encoded to Opus, said in the status): live from the
//   peer connection, the destination has H.264 + Opus with bytesReceived growing, ffprobe reads both;
//   the session kicked at the destination: retrying, then live again by itself; a wrong token: failed,
//   "authentication failed"; a URL that is not a WHIP endpoint: failed with the status.
// - The publish ending: the WHIP session is deleted at the destination, no ffmpeg left; livegate stopping
//   leaves none either. The keys and the token never appear in livegate's log, the API answers or the page.
import assert from "node:assert/strict";
import { ADMIN_PASSWORD, Client, needTool, publish, startLivegate, stopProc, waitFor } from "./harness.ts";
import {
  alive,
  ffmpegChildren,
  ffmpegPids,
  selfSignedCert,
  startMtxDestination,
} from "./restream_destinations.ts";

const TLS_KEY = "rtmps-verified-key-0123456";
const TLS_OFF_KEY = "rtmps-selfsigned-key-98765";
const WHIP_TOKEN = "whip-bearer-token-secret-4242";
const WRONG_TOKEN = "whip-wrong-token-secret-0000";
const NOT_WHIP_TOKEN = "not-whip-token-secret-1111";
const KEYS = [TLS_KEY, TLS_OFF_KEY, WHIP_TOKEN, WRONG_TOKEN, NOT_WHIP_TOKEN];

interface DestStatus {
  state: string;
  bitrate: number | null;
  reconnects: number;
  lastError: string | null;
  note?: string | null;
}

/** Stream codecs ffprobe reads at `url` (sorted; [] when it reads none within 20 s). */
async function probe(url: string, extra: string[] = []): Promise<string[]> {
  const out = await new Deno.Command(needTool("ffprobe"), {
    args: [...["-v", "error", ...extra, "-show_entries", "stream=codec_name", "-of", "json"], url],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  const j = JSON.parse(new TextDecoder().decode(out.stdout) || "{}");
  return (j.streams ?? []).map((s: { codec_name: string }) => s.codec_name).sort();
}

Deno.test({
  name: "e2e: restream over RTMPS (certificate verified, opt-out) and WHIP (werift), with bad destinations",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const certDir = await Deno.makeTempDir({ prefix: "livegate-restream-cert-" });
    const mtx = await startMtxDestination({ tls: await selfSignedCert(certDir), whipToken: WHIP_TOKEN });
    const lg = await startLivegate();
    const c = new Client(lg.url);
    const answers: string[] = [];
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await c.api(method, path, body);
      answers.push(JSON.stringify(r.body));
      return r;
    };
    let pub: Deno.ChildProcess | undefined;
    const rtspPort = lg.env.LIVEGATE_RTSP_PORT;
    try {
      assert.equal((await c.login("admin", ADMIN_PASSWORD)).status, 303);
      const base = "/api/streams/live/destinations";
      const add = async (name: string, url: string, key: string, more: Record<string, unknown> = {}) => {
        const r = await api("POST", base, { name, url, key, ...more });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body.destination as { id: string; tlsVerify: boolean };
      };
      const rtmps = `rtmps://127.0.0.1:${mtx.rtmps}/tls`;
      const whip = (path: string) => `http://127.0.0.1:${mtx.webrtc}/${path}/whip`;
      const verified = await add("RTMPS verified", rtmps, TLS_KEY);
      assert.equal(verified.tlsVerify, true, "verification is on by default");
      const selfSigned = await add("RTMPS self-signed", rtmps, TLS_OFF_KEY, { tlsVerify: false });
      assert.equal(selfSigned.tlsVerify, false);
      const ids = {
        verified: verified.id,
        selfSigned: selfSigned.id,
        whip: (await add("WHIP", whip("whipout"), WHIP_TOKEN)).id,
        wrong: (await add("WHIP wrong token", whip("whipbad"), WRONG_TOKEN)).id,
        // MediaMTX's API port: an HTTP server that is no WHIP endpoint (404).
        notWhip: (await add("not WHIP", `http://127.0.0.1:${mtx.api}/v3/whip`, NOT_WHIP_TOKEN)).id,
      };
      const status = async (id: string): Promise<DestStatus> => {
        const r = await api("GET", base);
        assert.equal(r.status, 200);
        return r.body.destinations.find((d: { id: string }) => d.id === id).status;
      };
      const waitState = (id: string, state: string, ms = 40_000) =>
        waitFor(`destination ${id} ${state}`, async () => {
          const s = await status(id);
          return s.state === state ? s : undefined;
        }, ms);

      const started = Date.now();
      pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 150, { size: "320x180" });

      await t.step("RTMPS: verified by default (self-signed: failed), opt-out goes live", async () => {
        const failed = await waitState(ids.verified, "failed");
        assert.equal(failed.lastError, "certificate not trusted");
        await waitState(ids.selfSigned, "live");
        console.log(`  RTMPS (opt-out) live ${Date.now() - started} ms after the publish started`);
        const codecs = await waitFor("ffprobe over RTMPS", async () => {
          const c = await probe(`${rtmps}/${TLS_OFF_KEY}`, ["-rw_timeout", "15000000"]);
          return c.length === 2 ? c : undefined;
        }, 45_000);
        assert.deepEqual(codecs, ["aac", "h264"]);
      });

      await t.step("WHIP: live from the peer connection, H.264 + Opus at the destination", async () => {
        const live = await waitState(ids.whip, "live");
        console.log(`  WHIP live ${Date.now() - started} ms after the publish started`);
        assert.match(live.note ?? "", /audio encoded to Opus/);
        const first = await waitFor("WHIP tracks at the destination", () => mtx.tracks("whipout"), 30_000);
        assert.deepEqual(first.tracks, ["H264", "Opus"]);
        const later = await waitFor("bytes growing", async () => {
          const now = await mtx.tracks("whipout");
          return now && now.bytesReceived > first.bytesReceived + 20_000 ? now : undefined;
        }, 20_000);
        console.log(`  destination received ${later.bytesReceived} bytes over WebRTC`);
        const codecs = await waitFor("ffprobe over RTSP", async () => {
          const c = await probe(`rtsp://127.0.0.1:${mtx.rtsp}/whipout`, ["-rtsp_transport", "tcp"]);
          return c.length === 2 ? c : undefined;
        }, 30_000);
        assert.deepEqual(codecs, ["h264", "opus"]);
        const s = await status(ids.whip);
        assert.ok(s.bitrate !== null && s.bitrate > 20_000, `bitrate ${s.bitrate}`);
        assert.ok(mtx.whipTokens.includes(WHIP_TOKEN), "the bearer token reached the destination");
      });

      await t.step("WHIP: wrong token and a non-WHIP URL fail with the reason", async () => {
        const wrong = await waitState(ids.wrong, "failed");
        assert.equal(wrong.lastError, "authentication failed");
        const notWhip = await waitState(ids.notWhip, "failed");
        assert.match(notWhip.lastError ?? "", /not a WHIP endpoint: the destination answered 404/);
      });

      await t.step("WHIP: a session dropped by the destination is retried, live again", async () => {
        assert.ok(await mtx.kickWebrtc() >= 1);
        const down = Date.now();
        await waitFor("WHIP not live", async () => (await status(ids.whip)).state !== "live" || undefined);
        console.log(`  left live ${Date.now() - down} ms after the kick`);
        const again = await waitState(ids.whip, "live", 60_000);
        console.log(`  live again ${Date.now() - down} ms after the kick (${again.lastError})`);
        assert.ok(again.reconnects >= 1, `reconnects ${again.reconnects}`);
        assert.ok(await waitFor("tracks again", () => mtx.tracks("whipout"), 30_000));
      });

      await t.step("the page shows keys masked only", async () => {
        const html = await (await c.fetch("/admin/streams/live")).text();
        assert.ok(html.includes("restream"));
        for (const k of KEYS) assert.ok(!html.includes(k), `key ${k} on the page`);
      });

      await t.step("the publish ending: WHIP session deleted at the destination, no ffmpeg", async () => {
        assert.ok(await ffmpegChildren(lg.proc.pid) >= 2, "RTMPS and WHIP are fed");
        await stopProc(pub!);
        await waitState(ids.whip, "idle", 20_000);
        await waitState(ids.selfSigned, "idle", 20_000);
        await waitFor("no ffmpeg left", async () => (await ffmpegChildren(lg.proc.pid)) === 0 || undefined);
        await waitFor("WHIP path gone", async () => (await mtx.tracks("whipout")) ? undefined : true, 10_000);
      });

      await t.step(
        "Opus audio is copied; livegate stopping while WHIP is live ends every ffmpeg",
        async () => {
          // H.264 + Opus over RTSP: nothing to encode, so no note.
          pub = publish(`rtsp://127.0.0.1:${rtspPort}/live?token=${lg.key}`, 60, {
            size: "160x90",
            format: "rtsp",
            audio: "opus",
          });
          const live = await waitState(ids.whip, "live");
          assert.ok(!live.note, `note ${live.note}`);
          const at = await waitFor("WHIP tracks at the destination", () => mtx.tracks("whipout"), 30_000);
          assert.deepEqual(at.tracks, ["H264", "Opus"]);
          // livegate's own ffmpeg processes (the publisher, also on this RTSP port, is not one of them).
          const mine = await ffmpegPids(lg.proc.pid);
          assert.ok(mine.length >= 1, "WHIP is fed by an ffmpeg of livegate's");
          await lg.stop();
          const left = [];
          for (const pid of mine) if (await alive(pid)) left.push(pid);
          assert.deepEqual(left, [], "no ffmpeg of livegate's left after it stopped");
          await waitFor(
            "WHIP path gone",
            async () => (await mtx.tracks("whipout")) ? undefined : true,
            20_000,
          );
        },
      );
    } finally {
      if (pub) await stopProc(pub).catch(() => {});
      await lg.stop();
      await mtx.stop();
      await Deno.remove(certDir, { recursive: true }).catch(() => {});
    }
    const log = lg.logs.join("\n");
    for (const k of KEYS) {
      assert.ok(!log.includes(k), `key ${k} in livegate's log`);
      assert.ok(!answers.join("\n").includes(k), `key ${k} in an API answer`);
    }
  },
});
