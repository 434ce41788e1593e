// Restream pieces without processes: the sealing key (variable or key file), the words for ffmpeg's
// endings (lines recorded from ffmpeg 5.1 against nginx-rtmp, MediaMTX, closed ports, unknown hosts), the
// URL ffmpeg writes to and the masked key, RTMPS certificate verification, what a WHIP destination sends and
// the words for its failures.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadSealer } from "../../src/core/seal.ts";
import { b64encode } from "../../src/core/crypto.ts";
import { classifyExit } from "../../src/restream/classify.ts";
import {
  checkDestinationUrl,
  checkTlsVerify,
  maskKey,
  targetUrl,
} from "../../src/restream/destination-url.ts";
import { ffmpegArgs, whipFfmpegArgs } from "../../src/restream/args.ts";
import { planWhip } from "../../src/restream/whip.ts";
import { describeFetchError, WhipError } from "../../src/restream/whip-client.ts";
import { containWerift, fromWerift } from "../../src/restream/contain.ts";

Deno.test("seal: key from the variable, from the key file, and clear errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const a = await loadSealer({ envName: "K", envValue: b64encode(raw), dataDir: dir, fileName: "k" });
    const sealed = await a.seal("secret-value", "id1");
    assert.ok(!sealed.data.includes("secret"));
    assert.equal(await a.open(sealed, "id1"), "secret-value");
    // The same value sealed twice differs (fresh IV).
    assert.notEqual((await a.seal("secret-value", "id1")).data, sealed.data);
    await assert.rejects(
      () => loadSealer({ envName: "K", envValue: "c2hvcnQ=", dataDir: dir, fileName: "k" }),
      /K must be the base64 of 32 bytes/,
    );
    // No variable: a key file is made once and reused.
    const b = await loadSealer({ envName: "K", dataDir: dir, fileName: "k" });
    const c = await loadSealer({ envName: "K", dataDir: dir, fileName: "k" });
    assert.equal(await c.open(await b.seal("x", "i"), "i"), "x");
    const other = await b.seal("x", "i");
    await assert.rejects(() => a.open(other, "i"), /cannot decrypt/);
    await Deno.writeTextFile(join(dir, "bad"), "nonsense");
    await assert.rejects(() => loadSealer({ envName: "K", dataDir: dir, fileName: "bad" }), /does not hold/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("classify: ffmpeg's endings in words", () => {
  const c = (lines: string[], live = false) => classifyExit(lines, live, "rtsp://");
  assert.deepEqual(
    c([
      "[tcp @ 0x1] Connection to tcp://127.0.0.1:28199?tcp_nodelay=0 failed: Connection refused",
      "rtmp://127.0.0.1:28199/live/[redacted]: Connection refused",
    ]),
    { error: "connection refused", retry: true },
  );
  // nginx-rtmp's on_publish refusing: only an I/O error at open.
  assert.deepEqual(c(["rtmp://127.0.0.1:28190/live/[redacted]: Input/output error"]), {
    error: "authentication failed (the destination refused the publish)",
    retry: false,
  });
  // MediaMTX refusing an RTMP publish.
  assert.equal(
    c(["[rtmp @ 0x1] Server error: authentication failed", "rtmp://h/out/x: Operation not permitted"]).retry,
    false,
  );
  // MediaMTX refusing an SRT stream id; an SRT handshake without answer.
  assert.match(
    c([
      "13:22:04.079449/SRT:RcvQ:w1!W:SRT.cn: processAsyncConnectRequest: REJECT reported from HS processing: Peer rejected connection - not processing further",
      "srt://127.0.0.1:28196?streamid=[redacted]: Input/output error",
    ]).error,
    /authentication failed/,
  );
  assert.deepEqual(
    c([
      "[srt @ 0x1] Connection to srt://127.0.0.1:28199?streamid=[redacted] failed: Input/output error",
    ]),
    { error: "no answer from the destination (timed out)", retry: true },
  );
  assert.deepEqual(
    c([
      "[flv @ 0x1] Audio codec opus not compatible with flv",
      "Could not write header for output file #0 (incorrect codec parameters ?): Function not implemented",
    ]),
    { error: "codec not accepted", retry: false },
  );
  assert.equal(
    c(["[tcp @ 0x1] Failed to resolve hostname nope.invalid: Name or service not known"]).error,
    "host not found",
  );
  assert.equal(c(["av_interleaved_write_frame(): Broken pipe"], true).error, "connection lost");
  // Something answered TCP but not RTMP (measured against a host that accepts and hangs up).
  assert.match(
    c(["[rtmp @ 0x1] Cannot read RTMP handshake response", "rtmp://198.51.100.1/app/[redacted]: End of file"])
      .error,
    /handshake failed/,
  );
  assert.equal(
    c(["rtsp://127.0.0.1:1/cam: Server returned 404 Not Found"]).error,
    "the source is not available",
  );
});

Deno.test("restream: the URL ffmpeg writes to, the masked key, no key in the RTSP source", () => {
  assert.equal(
    targetUrl("rtmp", "rtmp://a.rtmp.youtube.com/live2", "k-1"),
    "rtmp://a.rtmp.youtube.com/live2/k-1",
  );
  assert.equal(targetUrl("rtmps", "rtmps://h/app/", "k?x=1"), "rtmps://h/app/k?x=1");
  assert.equal(targetUrl("srt", "srt://h:9000?latency=2000", "x"), "srt://h:9000?latency=2000");
  const srt = ffmpegArgs({
    kind: "srt",
    url: "srt://h:9000",
    key: "publish:a&b",
    path: "cam",
    rtspPort: 8554,
    internalUser: "livegate",
    internalPass: "p",
  });
  assert.deepEqual(srt.slice(-5), ["-f", "mpegts", "-srt_streamid", "publish:a&b", "srt://h:9000"]);
  assert.equal(maskKey("0123456789abcdefXYZW"), "••••XYZW");
  assert.equal(maskKey("short"), "••••");
  const args = whipFfmpegArgs({
    path: "cam",
    rtspPort: 8554,
    internalUser: "livegate",
    internalPass: "p/w",
    videoPort: 5000,
    audioPort: 5002,
    audioIsOpus: false,
  });
  assert.ok(args.includes("rtsp://livegate:p%2Fw@127.0.0.1:8554/cam"));
  const v = args.indexOf("rtp://127.0.0.1:5000?pkt_size=1200"),
    a = args.indexOf("rtp://127.0.0.1:5002?pkt_size=1200");
  assert.ok(v > 0 && a > v, "one RTP output per track, video first");
  assert.deepEqual(args.slice(args.indexOf("0:v:0") + 1, args.indexOf("0:v:0") + 3), ["-c:v", "copy"]);
  assert.ok(args.includes("libopus"), "AAC audio is encoded to Opus");
  const opus = whipFfmpegArgs({
    path: "cam",
    rtspPort: 8554,
    internalUser: "u",
    internalPass: "p",
    videoPort: null,
    audioPort: 5002,
    audioIsOpus: true,
  });
  assert.ok(!opus.includes("libopus") && !opus.includes("0:v:0"), "Opus copied, no video output");
  assert.throws(
    () => ffmpegArgs({ ...base, kind: "whip", url: "https://h/whip", key: "t" }),
    /whipFfmpegArgs/,
  );
});

const base = { path: "cam", rtspPort: 8554, internalUser: "livegate", internalPass: "p" };

Deno.test("restream: RTMPS verifies the certificate unless the destination opted out", () => {
  const on = ffmpegArgs({ ...base, kind: "rtmps", url: "rtmps://h/app", key: "k" });
  assert.deepEqual(on.slice(on.indexOf("-tls_verify"), on.indexOf("-tls_verify") + 2), ["-tls_verify", "1"]);
  const off = ffmpegArgs({ ...base, kind: "rtmps", url: "rtmps://h/app", key: "k", tlsVerify: false });
  assert.ok(!off.includes("-tls_verify"));
  assert.ok(!ffmpegArgs({ ...base, kind: "rtmp", url: "rtmp://h/app", key: "k" }).includes("-tls_verify"));
  assert.equal(checkTlsVerify(undefined, "rtmps"), undefined);
  assert.equal(checkTlsVerify(false, "rtmps"), false);
  assert.throws(() => checkTlsVerify(false, "rtmp"), /rtmps:\/\/ destinations only/);
  assert.throws(() => checkTlsVerify("no", "rtmps"), /true or false/);
  // Lines of ffmpeg 5.1 (GnuTLS) against MediaMTX's RTMPS with a self-signed certificate.
  const untrusted = [
    "[tls @ 0x55e0d3108b80] Peer certificate failed verification",
    "[rtmps @ 0x55e0d310b740] Cannot open connection tls://127.0.0.1:29936",
    "rtmps://127.0.0.1:29936/app/[redacted]: Input/output error",
  ];
  assert.deepEqual(classifyExit(untrusted, false, "rtsp://"), {
    error: "certificate not trusted",
    retry: false,
  });
  assert.equal(
    classifyExit(["[tls @ 0x1] The certificate's owner does not match hostname h"], false, "rtsp://").error,
    "certificate not trusted (it is for another host name)",
  );
});

Deno.test("restream: what a WHIP destination sends of a stream", () => {
  assert.deepEqual(planWhip(["H264", "Opus"]), { video: true, audio: true, audioIsOpus: true, note: null });
  const aac = planWhip(["H264", "MPEG-4 Audio"]);
  assert.equal(aac.audioIsOpus, false);
  assert.match(aac.note ?? "", /audio encoded to Opus \(the stream's is MPEG-4 Audio/);
  assert.deepEqual(planWhip(["Opus"]), { video: false, audio: true, audioIsOpus: true, note: null });
  assert.throws(() => planWhip(["H265", "Opus"]), /codec not accepted: WHIP here carries H.264 video/);
  assert.throws(() => planWhip([]), /no track/);
});

Deno.test("restream: WHIP fetch failures in words", () => {
  const refused = new TypeError(
    "error sending request for url (http://127.0.0.1:1/whip): client error (Connect): tcp connect error: Connection refused (os error 111)",
  );
  assert.deepEqual(describeFetchError(refused), new WhipError("connection refused", true));
  assert.equal(
    describeFetchError(new DOMException("t", "TimeoutError")).message,
    "no answer from the destination (timed out)",
  );
  assert.equal(
    describeFetchError(new TypeError("dns error: failed to lookup address information")).message,
    "host not found",
  );
  assert.deepEqual(
    describeFetchError(new TypeError("Fetch failed: Requests to port 1 are blocked")),
    new WhipError("port 1 cannot be used for HTTP (a blocked port of the Fetch standard)", false),
  );
  const cert = describeFetchError(new TypeError("invalid peer certificate: UnknownIssuer"));
  assert.equal(cert.message, "certificate not trusted");
  assert.equal(cert.retry, false);
});

Deno.test("restream: URL checks keep the URL as typed, scheme in lower case", () => {
  assert.deepEqual(checkDestinationUrl("RTMP://Host/App/"), { kind: "rtmp", url: "rtmp://Host/App" });
  assert.deepEqual(checkDestinationUrl(" srt://h:9000?latency=2000 "), {
    kind: "srt",
    url: "srt://h:9000?latency=2000",
  });
  assert.equal(checkDestinationUrl("https://h/whip/x").kind, "whip");
  assert.throws(() => checkDestinationUrl("rtmp://host:99999/app"), /not a URL/);
});

Deno.test("restream: an error thrown inside werift is logged, not the end of livegate; others are not caught", async () => {
  const werift = new Error("DTLS record too short");
  werift.stack =
    `Error: DTLS record too short\n    at f (file:///app/node_modules/.deno/werift@0.25.2/node_modules/werift/lib/dtls/src/record.js:1:1)`;
  const mine = new Error("livegate's own");
  assert.ok(fromWerift(werift));
  assert.ok(!fromWerift(mine) && !fromWerift("text"));
  const logs: string[] = [];
  const stop = containWerift((l) => logs.push(l));
  const seen: unknown[] = [];
  // Stands for Deno's default (ending the process): a listener that sees what was not prevented.
  const after = (ev: PromiseRejectionEvent) => {
    if (!ev.defaultPrevented) seen.push(ev.reason);
    ev.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", after);
  try {
    Promise.reject(werift);
    Promise.reject(mine);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(logs, ["[livegate] restream: WebRTC stack error ignored: DTLS record too short"]);
    assert.deepEqual(seen, [mine], "livegate's own rejection is not swallowed");
  } finally {
    stop();
    globalThis.removeEventListener("unhandledrejection", after);
  }
});
