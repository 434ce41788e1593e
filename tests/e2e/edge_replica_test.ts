// #20 item 3: one MediaMTX read replica. The replica (its mediamtx.yml from `livegate edge replica-config`)
// pulls the stream on demand from the origin MediaMTX over RTSP with the replica credential (the origin's
// hook allows it the door's "relay"), and serves WHEP; each viewer's WHEP offer carries a token livegate
// issued after the door allowed "watch", which the replica checks through livegate's replica hook.
// A Chromium viewer on the player page plays WebRTC from the replica; offers without a token, with a token
// of another stream or a forged one are refused by the replica.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "playwright-core";
import {
  ADMIN_PASSWORD,
  Client,
  freePort,
  freeUdpPort,
  publish,
  startLivegate,
  stopProc,
  waitFor,
} from "./harness.ts";
import { launchChromium, videoInfo } from "./chromium.ts";
import { forEachLine } from "../../src/mediamtx/lines.ts";
import { findMediamtx } from "../../src/mediamtx/binary.ts";

const SECRET = "e2e-replica-secret-0123456789abcdefghijklmn";

async function login(page: Page, base: string, next: string) {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill("input[name=user]", "admin");
  await page.fill("input[name=password]", ADMIN_PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click("button[type=submit]")]);
}

/** A minimal WHEP offer (MediaMTX parses it before it answers). */
const OFFER = [
  "v=0",
  "o=- 1 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "c=IN IP4 0.0.0.0",
  "a=rtpmap:96 H264/90000",
  "",
].join("\r\n");

Deno.test({
  name: "e2e/edge: a MediaMTX read replica serves WHEP to a Chromium viewer with a livegate-issued token",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rPort = freePort();
    const rUdp = await freeUdpPort();
    const replicaUrl = `http://127.0.0.1:${rPort}`;
    const lg = await startLivegate({
      // Stills read the stream's LL-HLS at the origin (an hlsSession reader): off, so the origin's readers
      // are exactly the replica.
      LIVEGATE_THUMBNAILS: "false",
      LIVEGATE_EDGE_SECRET: SECRET,
      LIVEGATE_WHEP_REPLICAS: replicaUrl,
      LIVEGATE_RECORD: "false",
    });
    const procs: Deno.ChildProcess[] = [];
    const dir = await Deno.makeTempDir({ prefix: "livegate-replica-" });
    const replicaLog: string[] = [];
    const browser = await launchChromium();
    try {
      procs.push(publish(`rtsp://127.0.0.1:${lg.env.LIVEGATE_RTSP_PORT}/live?token=${lg.key}`, 150, {
        format: "rtsp",
        audio: "opus",
      }));
      // The replica's config, as an operator makes it; only its listeners are moved to free ports.
      const made = await lg.cli(
        "edge",
        "replica-config",
        "--origin-rtsp",
        `127.0.0.1:${lg.env.LIVEGATE_RTSP_PORT}`,
        "--livegate-url",
        lg.url,
      );
      assert.equal(made.code, 0, made.stderr);
      const yml = made.stdout
        .replace('webrtcAddress: ":8889"', `webrtcAddress: "127.0.0.1:${rPort}"`)
        .replace('webrtcLocalUDPAddress: ":8189"', `webrtcLocalUDPAddress: "127.0.0.1:${rUdp}"`);
      assert.notEqual(yml, made.stdout);
      await Deno.writeTextFile(join(dir, "mediamtx.yml"), yml, { mode: 0o600 });
      const replica = new Deno.Command(findMediamtx(Deno.env.get("MEDIAMTX_BIN") ?? ""), {
        args: [join(dir, "mediamtx.yml")],
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
      }).spawn();
      procs.push(replica);
      for (const s of [replica.stdout, replica.stderr]) {
        forEachLine(s, (l) => {
          replicaLog.push(l);
          if (Deno.env.get("E2E_VERBOSE")) console.log(`  replica| ${l}`);
        });
      }
      await waitFor("replica listening", async () => {
        const r = await fetch(`${replicaUrl}/`).catch(() => null);
        await r?.body?.cancel();
        return r ? true : undefined;
      });

      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      await waitFor("stream live", async () => {
        const m = await (await admin.fetch("/api/streams/live/media")).json();
        return m.live && m.audio === "Opus" ? true : undefined;
      }, 30_000);
      const d = await admin.api("GET", "/api/streams/live/delivery");
      assert.equal(d.status, 200);
      assert.equal(d.body.whep.url, `${replicaUrl}/live/whep`);
      assert.equal((await new Client(lg.url).api("GET", "/api/streams/live/delivery")).status, 401);

      // Refused by the replica (its hook call to livegate says no): no token, another stream's, forged.
      assert.equal(
        (await admin.api("POST", "/api/streams", { path: "pub", visibility: "public" })).status,
        201,
      );
      const pubTok = (await new Client(lg.url).api("GET", "/api/streams/pub/delivery")).body.whep.token;
      const forged = d.body.whep.token.slice(0, -3) + (d.body.whep.token.endsWith("AAA") ? "BBB" : "AAA");
      for (const auth of [undefined, pubTok, forged, "garbage"]) {
        const headers: Record<string, string> = { "content-type": "application/sdp" };
        if (auth) headers.authorization = `Bearer ${auth}`;
        const r = await fetch(`${replicaUrl}/live/whep`, { method: "POST", headers, body: OFFER });
        await r.body?.cancel();
        assert.equal(r.status, 401, `replica with ${auth?.slice(0, 12)}`);
      }

      // The viewer: the player page asks livegate where to go and plays WebRTC from the replica.
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      const answer = page.waitForResponse((r) =>
        r.url() === `${replicaUrl}/live/whep` && r.request().method() === "POST"
      );
      await login(page, lg.url, "/watch/live");
      assert.equal((await answer).status(), 201, "the replica answered the offer");
      await waitFor("player live on WebRTC", async () => {
        const s = await page.evaluate(() =>
          (globalThis as unknown as { livegate: { status: string; mode: string } }).livegate
        );
        return s.status === "live" && s.mode === "webrtc" ? true : undefined;
      }, 40_000);
      const a = await videoInfo(page);
      await new Promise((r) => setTimeout(r, 2000));
      const b = await videoInfo(page);
      assert.ok(b.t > a.t + 1, `video advances: ${a.t} -> ${b.t}`);
      assert.equal(b.w, 640);
      // The replica pulled from the origin: the origin shows one RTSP reader (the replica), and no WHEP
      // session went through livegate's own /whep.
      const live = await admin.api("GET", "/api/streams/live/live");
      assert.equal(live.status, 200);
      // (MediaMTX's own HLS muxer, started with every publish by hlsAlwaysRemux, is a "hidden" reader.)
      const readers = (live.body.readers as { type: string }[]).filter((r) => r.type !== "hidden");
      assert.deepEqual(readers.map((r) => r.type), ["rtspSession"], JSON.stringify(live.body));
      assert.equal(live.body.viewers.length, 0, "no viewer reached livegate's own WHEP/HLS");
      await ctx.close();
    } finally {
      await browser.close();
      for (const p of procs) await stopProc(p);
      await lg.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
