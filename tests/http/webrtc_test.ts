// WebRTC signalling in-process (no MediaMTX running): MediaMTX down -> 502 with a message, never a crash;
// checks that happen before MediaMTX is asked (login, CSRF, SDP shape, sizes) answer 4xx.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { sdpProblem } from "../../src/webrtc/sdp.ts";
import { describeTracks } from "../../src/webrtc/media.ts";

const OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n";

function closedPort(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  l.close();
  return String((l.addr as Deno.NetAddr).port);
}

Deno.test("http/webrtc: MediaMTX down -> 502 for WHEP, WHIP and media info", async () => {
  const t = await testApp({ LIVEGATE_MTX_WEBRTC_PORT: closedPort() });
  try {
    const jar = new Jar(t.app);
    assert.equal((await jar.login("admin", PASSWORD)).status, 303);
    const page = await (await jar.req("/watch/live")).text();
    const csrf = /data-csrf="([^"]+)"/.exec(page)![1];
    for (const kind of ["whep", "whip"]) {
      const res = await jar.req(`/${kind}/live`, {
        method: "POST",
        headers: { "content-type": "application/sdp", "x-csrf-token": csrf },
        body: OFFER,
      });
      assert.equal(res.status, 502, kind);
      assert.match((await res.json()).error, /MediaMTX is not reachable/);
      const del = await jar.req(`/${kind}/live/0b7b9c3e-9d1a-4c1e-8f1e-7a6b5c4d3e2f`, {
        method: "DELETE",
        headers: { "x-csrf-token": csrf },
      });
      // A session this client did not start through livegate is unknown to it (never forwarded).
      assert.equal(del.status, 404);
      await del.body?.cancel();
    }
    const media = await jar.req("/api/streams/live/media");
    assert.equal(media.status, 502);
    await media.body?.cancel();
    // Unknown methods on the signalling paths: 405 with a message.
    const get = await jar.req("/whep/live");
    assert.equal(get.status, 405);
    await get.body?.cancel();
    // No session: 401 before anything else.
    const anon = await new Jar(t.app).req("/whip/live", { method: "POST", body: OFFER });
    assert.equal(anon.status, 401);
    await anon.body?.cancel();
  } finally {
    t.close();
  }
});

Deno.test("http/webrtc: a chunked offer without Content-Length is cut off at the limit (413)", async () => {
  const t = await testApp({ LIVEGATE_MTX_WEBRTC_PORT: closedPort() });
  try {
    const jar = new Jar(t.app);
    await jar.login("admin", PASSWORD);
    const csrf = /data-csrf="([^"]+)"/.exec(await (await jar.req("/watch/live")).text())![1];
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        sent += 16384;
        if (sent > 10_000_000) c.close();
        else c.enqueue(new Uint8Array(16384).fill(97));
      },
    });
    const res = await jar.req("/whep/live", {
      method: "POST",
      headers: { "content-type": "application/sdp", "x-csrf-token": csrf },
      body,
    });
    assert.equal(res.status, 413);
    assert.ok(sent < 1_000_000, `stopped reading early (${sent} bytes pulled)`);
    await res.body?.cancel();
  } finally {
    t.close();
  }
});

Deno.test("webrtc: SDP shape checks", () => {
  assert.equal(sdpProblem(OFFER), null);
  assert.match(sdpProblem("")!, /v=0/);
  assert.match(sdpProblem("v=0\r\nm=video 9 X 96\r\n")!, /o=/);
  assert.match(sdpProblem("v=0\r\no=- 1 2 IN IP4 x\r\nbogus\r\n")!, /bad line 3/);
  assert.match(sdpProblem("v=0\r\no=- 1 2 IN IP4 x\r\na=\u0000\r\nm=video 9 X 96\r\n")!, /bad line/);
  assert.match(sdpProblem("v=0\r\no=- 1 2 IN IP4 x\r\ns=-\r\n")!, /no audio or video/);
});

Deno.test("webrtc: which codecs WebRTC can carry, and what the player is told", () => {
  const aac = describeTracks("live", ["H264", "MPEG-4 Audio"]);
  assert.deepEqual([aac.webrtc, aac.webrtcAudio], [true, false]);
  assert.match(aac.note, /AAC, which WebRTC cannot carry/);
  const opus = describeTracks("live", ["H264", "Opus"]);
  assert.deepEqual([opus.webrtc, opus.webrtcAudio, opus.note], [true, true, ""]);
  const noAudio = describeTracks("live", ["VP8"]);
  assert.deepEqual([noAudio.webrtc, noAudio.webrtcAudio, noAudio.audio], [true, true, null]);
  const mpeg4 = describeTracks("live", ["MPEG-4 Video", "Opus"]);
  assert.equal(mpeg4.webrtc, false);
  assert.match(mpeg4.note, /cannot carry MPEG-4 Video/);
  // What MediaMTX's LL-HLS carries: the player says "sound only" for the rest.
  assert.deepEqual([aac.hlsVideo, mpeg4.hlsVideo, describeTracks("live", ["H265"]).hlsVideo], [
    true,
    false,
    true,
  ]);
});
