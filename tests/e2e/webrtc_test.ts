// End to end WebRTC through livegate, with real MediaMTX, ffmpeg and headless Chromium:
// - signalling errors and permissions on /whep and /whip (401 without a session, 403 without CSRF or
//   permission, 400 malformed SDP, 413 oversized, 415 wrong type, 404 offline / unknown session);
// - a fake camera publishes from the go-live page via WHIP, a second page plays it via WHEP (video advances,
//   Opus audio decodes, sub-second latency shown);
// - an RTSP publish with H.264 + Opus (ffmpeg) plays over WebRTC with audio;
// - the RTMP (H.264 + AAC) stream plays over WHEP when forced, and the player explains the missing audio;
// - WebRTC that cannot connect falls back to LL-HLS and says so.
// - LIVEGATE_WEBRTC_ADDITIONAL_HOSTS and LIVEGATE_WEBRTC_TCP_PORT show up as ICE candidates in the answer;
// - MediaMTX's hook sees the client's address (X-Forwarded-For from livegate only).
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { FAKE_MEDIA_ARGS, launchChromium, videoInfo } from "./chromium.ts";
import { ADMIN_PASSWORD, Client, freePort, publish, startLivegate, stopProc, waitFor } from "./harness.ts";

interface PlayerState {
  status: string;
  mode: string;
  latency: number;
  fatalErrors: number;
  note: string;
  fallbacks: number;
  webrtcError: string;
  audioPackets: number;
  audioEnergy: number;
}

const MIN_OFFER = [
  "v=0",
  "o=- 1 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "c=IN IP4 0.0.0.0",
  "a=rtpmap:96 H264/90000",
  "",
].join("\r\n");

async function login(page: Page, base: string, user: string, password: string, next: string) {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill("input[name=user]", user);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click("button[type=submit]")]);
}

const playerState = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { livegate: PlayerState }).livegate);

/** Waits for the player to be live in `mode`, then checks that the video advances. */
async function assertPlays(page: Page, mode: string, what: string) {
  await waitFor(
    `${what}: player live on ${mode}`,
    async () => {
      const s = await playerState(page);
      return s.status === "live" && s.mode === mode ? true : undefined;
    },
    30_000,
  );
  const a = await videoInfo(page);
  let b = a;
  await waitFor(`${what}: video advances (from ${a.t})`, async () => {
    b = await videoInfo(page);
    return b.t - a.t > 1.5 ? true : undefined;
  }, 15_000);
  assert.equal(b.paused, false, `${what}: playing`);
  assert.ok(b.w > 0, `${what}: has video (${b.w} px wide)`);
  return b;
}

Deno.test({
  name: "e2e/webrtc: WHEP/WHIP through livegate in Chromium, errors, audio rules, fallback to LL-HLS",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // Trust X-Forwarded-For from loopback, to check that MediaMTX's hook sees the client's address.
    // WebRTC reachability settings: an extra (NAT 1:1) host and ICE over TCP must show up in the answers.
    const iceTcp = freePort();
    const lg = await startLivegate({
      LIVEGATE_TRUST_PROXY: "true",
      LIVEGATE_WEBRTC_ADDITIONAL_HOSTS: "192.0.2.123",
      LIVEGATE_WEBRTC_TCP_PORT: String(iceTcp),
      // Two HTTP isolates (issue #20 item 4): WHEP/WHIP offers, PATCHes and DELETEs land on either worker
      // and are answered by the main isolate, which holds the sessions and their owners.
      LIVEGATE_WORKERS: "2",
    });
    const browser = await launchChromium(FAKE_MEDIA_ARGS);
    const procs: Deno.ChildProcess[] = [];
    try {
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      const page = await (await admin.fetch("/watch/live")).text();
      const csrf = /data-csrf="([^"]+)"/.exec(page)?.[1] ?? "";
      assert.ok(csrf, "player page carries the CSRF token");
      assert.match(page, /href="\/go-live\/live"/, "publishers get a go-live link");
      const sdpPost = (path: string, body: string, headers: Record<string, string> = {}, c = admin) =>
        c.fetch(path, {
          method: "POST",
          headers: { "content-type": "application/sdp", "x-csrf-token": csrf, ...headers },
          body,
        });

      await t.step("signalling: auth, CSRF, permission and bad input", async () => {
        const anon = new Client(lg.url);
        for (const kind of ["whep", "whip"]) {
          const r = await sdpPost(`/${kind}/live`, MIN_OFFER, {}, anon);
          assert.equal(r.status, 401, `${kind} without a session`);
          assert.match((await r.json()).error, /login/);
          const noCsrf = await admin.fetch(`/${kind}/live`, {
            method: "POST",
            headers: { "content-type": "application/sdp" },
            body: MIN_OFFER,
          });
          assert.equal(noCsrf.status, 403, `${kind} without CSRF`);
          assert.match((await noCsrf.json()).error, /CSRF/);
          const bad = await sdpPost(`/${kind}/live`, "hello");
          assert.equal(bad.status, 400, `${kind} malformed SDP`);
          assert.match((await bad.json()).error, /malformed SDP/);
          const noMedia = await sdpPost(`/${kind}/live`, "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\n");
          assert.equal(noMedia.status, 400);
          const type = await sdpPost(`/${kind}/live`, MIN_OFFER, { "content-type": "text/plain" });
          assert.equal(type.status, 415);
          await type.body?.cancel();
          const big = await sdpPost(`/${kind}/live`, MIN_OFFER + "a=x:" + "y".repeat(70_000) + "\r\n");
          assert.equal(big.status, 413, `${kind} oversized body`);
          assert.match((await big.json()).error, /too large/);
          const badPath = await sdpPost(`/${kind}/..%2Fetc`, MIN_OFFER);
          assert.equal(badPath.status, 404);
          await badPath.body?.cancel();
          const patch = await admin.fetch(`/${kind}/live/00000000-0000-0000-0000-000000000000`, {
            method: "PATCH",
            headers: { "content-type": "application/trickle-ice-sdpfrag", "x-csrf-token": csrf },
            body: "a=ice-ufrag:abcd\r\na=ice-pwd:efghijklmnopqrstuvwxyz\r\n",
          });
          assert.equal(patch.status, 404, `${kind} PATCH of an unknown session`);
          await patch.body?.cancel();
          const del = await admin.fetch(`/${kind}/live/not-a-session`, {
            method: "DELETE",
            headers: { "x-csrf-token": csrf },
          });
          assert.equal(del.status, 404);
          await del.body?.cancel();
        }
        // MediaMTX's hook sees the client's address, not livegate's (X-Forwarded-For from loopback).
        const fwd = await fetch(`${lg.url}/whip/live`, {
          method: "POST",
          headers: {
            "content-type": "application/sdp",
            authorization: "Bearer lg_wrong_key_from_afar",
            "x-forwarded-for": "203.0.113.9",
          },
          body: MIN_OFFER,
        });
        assert.equal(fwd.status, 401);
        await fwd.body?.cancel();
        await waitFor(
          "hook log with the client's address",
          () =>
            Promise.resolve(
              lg.logs.some((l) => /refused publish to 'live' from 203\.0\.113\.9 \(webrtc\)/.test(l)) ||
                undefined,
            ),
        );
        // Offline stream: WHEP says so.
        const off = await sdpPost("/whep/live", MIN_OFFER);
        assert.equal(off.status, 404);
        assert.match((await off.json()).error, /offline/);
        const media = await admin.fetch("/api/streams/live/media");
        assert.deepEqual((await media.json()).live, false);
        // A viewer may watch but not publish, and may not open the go-live page.
        const added = await lg.cli("user", "add", "vera", "--role", "viewer");
        const pw = /password: (\S+)/.exec(added.stdout)?.[1] ?? "";
        assert.ok(pw, added.stdout + added.stderr);
        const viewer = new Client(lg.url);
        assert.equal((await viewer.login("vera", pw)).status, 303);
        const vpage = await (await viewer.fetch("/watch/live")).text();
        const vcsrf = /data-csrf="([^"]+)"/.exec(vpage)?.[1] ?? "";
        assert.doesNotMatch(vpage, /go-live/, "viewers get no go-live link");
        const vwhip = await viewer.fetch("/whip/live", {
          method: "POST",
          headers: { "content-type": "application/sdp", "x-csrf-token": vcsrf },
          body: MIN_OFFER,
        });
        assert.equal(vwhip.status, 403);
        assert.match((await vwhip.json()).error, /not allowed to publish/);
        const golive = await viewer.fetch("/go-live/live");
        assert.equal(golive.status, 403);
        await golive.body?.cancel();
      });

      await t.step("fake camera goes live via WHIP; a second page plays it via WHEP with audio", async () => {
        const ctx1 = await browser.newContext();
        const ctx2 = await browser.newContext();
        try {
          const streamer = await ctx1.newPage();
          await login(streamer, lg.url, "admin", ADMIN_PASSWORD, "/go-live/live");
          // Camera and microphone pickers list the browser's devices; the capture uses the picked ones.
          await streamer.waitForFunction(() =>
            (document.getElementById("camera-select") as HTMLSelectElement).options.length > 0 &&
            (document.getElementById("mic-select") as HTMLSelectElement).options.length > 0
          );
          const picked = await streamer.evaluate(() => [
            (document.getElementById("camera-select") as HTMLSelectElement).value,
            (document.getElementById("mic-select") as HTMLSelectElement).value,
          ]);
          await streamer.click("#camera");
          const goState = () =>
            streamer.evaluate(() =>
              (globalThis as unknown as { livegateGoLive: { status: string; error: string } }).livegateGoLive
            );
          await waitFor("go-live page live", async () => {
            const s = await goState();
            if (s.status === "error") throw new Error(s.error);
            return s.status === "live" ? true : undefined;
          }, 20_000);
          const m = await waitFor("MediaMTX has the WHIP stream", async () => {
            const j = await (await admin.fetch("/api/streams/live/media")).json();
            return j.live ? j : undefined;
          }, 10_000);
          assert.equal(m.audio, "Opus");
          const used = await streamer.evaluate(() =>
            (globalThis as unknown as { livegateGoLive: { camera: string; microphone: string } })
              .livegateGoLive
          );
          assert.deepEqual([used.camera, used.microphone], picked, "captured from the picked devices");
          assert.match(lg.logs.join("\n"), /is publishing to path 'live'/);
          const codec = await streamer.evaluate(() =>
            (globalThis as unknown as { livegateGoLive: { videoCodec: string } }).livegateGoLive.videoCodec
          );
          console.log(`    browser WHIP publish: video ${m.video} (negotiated ${codec}), audio ${m.audio}`);

          // A second go-live page on the same path asks before replacing the live publish; declining keeps it.
          const ctx3 = await browser.newContext();
          const other = await ctx3.newPage();
          await login(other, lg.url, "admin", ADMIN_PASSWORD, "/go-live/live");
          let asked = "";
          other.once("dialog", (d) => {
            asked = d.message();
            d.dismiss().catch(() => {});
          });
          await other.click("#camera");
          await waitFor("asked before replacing", () => Promise.resolve(asked || undefined), 10_000);
          assert.match(asked, /'live' is live right now.*replaces that stream/);
          const kept = await other.evaluate(() =>
            (globalThis as unknown as { livegateGoLive: { status: string } }).livegateGoLive.status
          );
          assert.equal(kept, "kept");
          assert.equal((await goState()).status, "live", "the first publish goes on");
          await ctx3.close();

          const viewer = await ctx2.newPage();
          const errors: string[] = [];
          viewer.on("pageerror", (e) => errors.push(String(e)));
          await login(viewer, lg.url, "admin", ADMIN_PASSWORD, "/watch/live");
          await assertPlays(viewer, "webrtc", "WHIP -> WHEP");
          const s = await playerState(viewer);
          assert.ok(s.audioPackets > 20 && s.audioEnergy > 0, `Opus audio over WebRTC: ${JSON.stringify(s)}`);
          assert.equal(s.fallbacks, 0);
          assert.equal(s.note, "");
          assert.ok(s.latency > 0 && s.latency < 1, `sub-second WebRTC latency: ${s.latency}`);
          assert.match(await viewer.textContent("#mode") ?? "", /WebRTC/);
          assert.match(await viewer.textContent("#latency") ?? "", /latency 0\.\d\d s/);
          console.log(`    WHIP->WHEP latency estimate: ${(s.latency * 1000).toFixed(0)} ms`);
          assert.deepEqual(errors, []);

          // Stop: the WHIP session ends (DELETE through livegate) and the stream goes offline.
          await streamer.click("#stop");
          await waitFor("stream offline after stop", async () => {
            const m = await (await admin.fetch("/api/streams/live/media")).json();
            return m.live ? undefined : true;
          }, 15_000);
        } finally {
          await ctx1.close();
          await ctx2.close();
        }
      });

      await t.step("go-live over plain HTTP says it needs HTTPS before trying", async () => {
        // A name that is not localhost (so the page is not a secure context), resolved to this machine.
        const insecure = await launchChromium(["--host-resolver-rules=MAP livegate.test 127.0.0.1"]);
        try {
          const page = await insecure.newPage();
          const base = lg.url.replace("127.0.0.1", "livegate.test");
          await login(page, base, "admin", ADMIN_PASSWORD, "/go-live/live");
          const st = await page.evaluate(() =>
            (globalThis as unknown as { livegateGoLive: { status: string; error: string } }).livegateGoLive
          );
          assert.equal(st.status, "insecure");
          assert.match(st.error, /needs HTTPS \(or http:\/\/localhost/);
          assert.equal(await page.isDisabled("#camera"), true);
          assert.match(await page.textContent("#error") ?? "", /publish with OBS/);
        } finally {
          await insecure.close();
        }
      });

      await t.step(
        "a browser publish ends when its streamer is deleted with the CLI (publish recheck)",
        async () => {
          const u = await admin.api("POST", "/api/users", { name: "wes", role: "streamer" });
          assert.equal(u.status, 201, JSON.stringify(u.body));
          const st = await admin.api("POST", "/api/streams", { path: "wes-cam", owner: "wes" });
          assert.equal(st.status, 201, JSON.stringify(st.body));
          const ctx = await browser.newContext();
          try {
            const page = await ctx.newPage();
            await login(page, lg.url, "wes", u.body.password, "/go-live/wes-cam");
            await page.click("#camera");
            await waitFor("wes-cam live", async () => {
              const j = await (await admin.fetch("/api/streams/wes-cam/media")).json();
              return j.live ? true : undefined;
            }, 20_000);
            const del = await lg.cli("user", "del", "wes");
            assert.equal(del.code, 0, del.stderr);
            await waitFor("wes-cam offline after the CLI deleted wes", async () => {
              const j = await (await admin.fetch("/api/streams/wes-cam/media")).json();
              return j.live ? undefined : true;
            }, 15_000);
            assert.ok(
              lg.logs.some((l) =>
                l.includes("ended the publish to 'wes-cam' (webRTCSession") && l.includes("'wes'")
              ),
              lg.logs.filter((l) => l.includes("wes-cam")).join("\n"),
            );
          } finally {
            await ctx.close();
          }
        },
      );

      await t.step("WHIP client without a login (OBS style): the stream key as bearer token", async () => {
        const ctx = await browser.newContext();
        try {
          const page = await ctx.newPage();
          await page.goto(`${lg.url}/health`);
          const whip = (key: string, scheme = "Bearer") =>
            page.evaluate(async ({ key, scheme }) => {
              const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
              const pc = new RTCPeerConnection();
              for (const tr of media.getTracks()) pc.addTransceiver(tr, { direction: "sendonly" });
              await pc.setLocalDescription(await pc.createOffer());
              await new Promise((r) => setTimeout(r, 500));
              const res = await fetch("/whip/live", {
                method: "POST",
                headers: { "content-type": "application/sdp", authorization: `${scheme} ${key}` },
                body: pc.localDescription!.sdp,
              });
              const text = await res.text();
              if (res.status === 201) await pc.setRemoteDescription({ type: "answer", sdp: text });
              (globalThis as unknown as { pcs: RTCPeerConnection[] }).pcs ??= [];
              (globalThis as unknown as { pcs: RTCPeerConnection[] }).pcs.push(pc);
              // A trickle-ICE fragment for PATCH, from this offer's own credentials and first media section.
              const sdp = pc.localDescription!.sdp;
              const frag = [
                /a=ice-ufrag:\S+/.exec(sdp)![0],
                /a=ice-pwd:\S+/.exec(sdp)![0],
                /m=\S+ \d+ \S+ \d+/.exec(sdp)![0],
                "a=mid:0",
                "a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host",
                "",
              ].join("\r\n");
              return { status: res.status, location: res.headers.get("location"), text, frag };
            }, { key, scheme });
          const wrong = await whip("lg_not_a_key");
          assert.equal(wrong.status, 401, wrong.text);
          assert.match(wrong.text, /invalid stream key.*Authorization: Bearer <KEY>/);
          const ticketLike = await whip("lgw_forged");
          assert.equal(ticketLike.status, 401);
          const doubled = await whip(`Bearer ${lg.key}`);
          assert.equal(doubled.status, 401, doubled.text);
          assert.match(doubled.text, /Authorization: Bearer <KEY>/, "says where the key goes");
          // The auth scheme is case-insensitive (RFC 9110 section 11.1): a lower-case "bearer" publishes.
          const ok = await whip(lg.key, "bearer");
          assert.equal(ok.status, 201, ok.text);
          assert.match(ok.location ?? "", /^\/whip\/live\/[0-9a-f-]{36}$/);
          await waitFor("stream live from the key-authenticated WHIP client", async () => {
            const m = await (await admin.fetch("/api/streams/live/media")).json();
            return m.live ? true : undefined;
          }, 15_000);
          // Trickle ICE through livegate to the live session.
          const patch = await fetch(lg.url + ok.location, {
            method: "PATCH",
            headers: { "content-type": "application/trickle-ice-sdpfrag", authorization: `Bearer ${lg.key}` },
            body: ok.frag,
          });
          assert.equal(patch.status, 204, await patch.text());
          const badFrag = await fetch(lg.url + ok.location, {
            method: "PATCH",
            headers: { "content-type": "application/trickle-ice-sdpfrag", authorization: `Bearer ${lg.key}` },
            body: "not sdp\u0001",
          });
          assert.equal(badFrag.status, 400);
          await badFrag.body?.cancel();
          // Ending the session needs the key too.
          const noKey = await fetch(lg.url + ok.location, { method: "DELETE" });
          assert.equal(noKey.status, 401);
          await noKey.body?.cancel();
          const end = await fetch(lg.url + ok.location, {
            method: "DELETE",
            headers: { authorization: `Bearer ${lg.key}` },
          });
          assert.equal(end.status, 200, await end.text());
          await waitFor("offline after DELETE", async () => {
            const m = await (await admin.fetch("/api/streams/live/media")).json();
            return m.live ? undefined : true;
          }, 15_000);
        } finally {
          await ctx.close();
        }
      });

      await t.step("RTSP publish with H.264 + Opus (ffmpeg) plays over WebRTC with audio", async () => {
        const pub = publish(`rtsp://127.0.0.1:${lg.env.LIVEGATE_RTSP_PORT}/live?token=${lg.key}`, 120, {
          format: "rtsp",
          audio: "opus",
        });
        procs.push(pub);
        const ctx = await browser.newContext();
        try {
          const page = await ctx.newPage();
          const answer = page.waitForResponse((r) => r.url().endsWith("/whep/live") && r.status() === 201);
          await login(page, lg.url, "admin", ADMIN_PASSWORD, "/watch/live");
          const sdp = await (await answer).text();
          assert.match(
            sdp,
            new RegExp(
              `a=candidate:\\S+ \\d udp \\d+ 192\\.0\\.2\\.123 ${lg.env.LIVEGATE_WEBRTC_UDP_PORT} typ host`,
            ),
          );
          assert.match(sdp, new RegExp(`a=candidate:\\S+ \\d tcp \\d+ 127\\.0\\.0\\.1 ${iceTcp} typ host`));
          const v = await assertPlays(page, "webrtc", "RTSP Opus");
          const s = await playerState(page);
          assert.ok(s.audioPackets > 20 && s.audioEnergy > 0, `Opus audio over WebRTC: ${JSON.stringify(s)}`);
          assert.equal(v.w, 640);
          const m = await (await admin.fetch("/api/streams/live/media")).json();
          assert.deepEqual([m.video, m.audio, m.webrtc, m.webrtcAudio], ["H264", "Opus", true, true]);
        } finally {
          await ctx.close();
        }
      });

      await t.step("WebRTC that cannot connect falls back to LL-HLS and says so", async () => {
        const ctx = await browser.newContext();
        try {
          const page = await ctx.newPage();
          // Break ICE: corrupt the ICE password in livegate's SDP answer, so no connectivity check passes.
          await page.route("**/whep/live", async (route) => {
            const res = await route.fetch();
            const body = (await res.text()).replace(/a=ice-pwd:(\S+)/g, (_m, p: string) => {
              return "a=ice-pwd:" + "x".repeat(p.length);
            });
            await route.fulfill({ response: res, body });
          });
          await login(page, lg.url, "admin", ADMIN_PASSWORD, "/watch/live");
          await assertPlays(page, "hls", "fallback");
          const s = await playerState(page);
          assert.equal(s.fallbacks, 1);
          assert.ok(s.webrtcError.length > 0);
          assert.match(s.note, /WebRTC did not start .*playing LL-HLS/);
          assert.match(await page.textContent("#note") ?? "", /WebRTC did not start/);
          assert.match(await page.textContent("#mode") ?? "", /LL-HLS/);
        } finally {
          await ctx.close();
        }
      });

      for (const p of procs.splice(0)) await stopProc(p);
      await waitFor("offline", async () => {
        const m = await (await admin.fetch("/api/streams/live/media")).json();
        return m.live ? undefined : true;
      }, 15_000);

      await t.step(
        "RTMP (H.264 + AAC): LL-HLS by default with the reason; forced WHEP plays video",
        async () => {
          const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 120, ["-bf", "0"]);
          procs.push(pub);
          const ctx = await browser.newContext();
          try {
            const page = await ctx.newPage();
            await login(page, lg.url, "admin", ADMIN_PASSWORD, "/watch/live");
            const h = await assertPlays(page, "hls", "RTMP AAC default");
            assert.ok(h.audioBytes > 0, "AAC audio plays on LL-HLS");
            assert.match((await playerState(page)).note, /AAC, which WebRTC cannot carry/);
            assert.match(await page.textContent("#note") ?? "", /AAC/);

            await page.goto(`${lg.url}/watch/live?mode=webrtc`);
            await assertPlays(page, "webrtc", "RTMP forced WHEP");
            assert.match((await playerState(page)).note, /audio cannot play over WebRTC/);
          } finally {
            await ctx.close();
          }
        },
      );
    } finally {
      for (const p of procs) await stopProc(p);
      await browser.close();
      await lg.stop();
    }
  },
});
