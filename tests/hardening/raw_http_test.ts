// Hostile requests against a real livegate (Deno.serve in front of the app), sent as raw bytes over TCP:
// traversal and encoded slashes, null bytes, very long paths, header injection, oversized headers and
// bodies, malformed HTTP. Then: MediaMTX's HTTP listeners are not reachable from a non-loopback address.
import assert from "node:assert/strict";
import { Client, freePort, needTool, run, startLivegate } from "../e2e/harness.ts";
import { get, rawRequest } from "./raw.ts";
import { NASTY, prng } from "./corpus.ts";

/** Bytes 0-255 as given (a string of char codes), for request lines with raw control/high bytes. */
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

const TRAVERSAL_TARGETS = [
  "/hls/live%2F..%2F..%2Fetc%2Fpasswd",
  "/hls/%2e%2e/%2e%2e/etc/passwd",
  "/hls/..%2f..%2f..%2fetc%2fpasswd",
  "/hls/live/..%2f..%2f..%2fetc%2fpasswd",
  "/hls/live/%2e%2e%2f%2e%2e%2fdeno.json",
  "/hls/live/%252e%252e%252fdeno.json",
  "/hls/%252e%252e/%252e%252e/deno.json",
  "/hls/live/..\\..\\deno.json",
  "/hls/live/%5c..%5c..%5cdeno.json",
  "/static/..%2F..%2Fdeno.json",
  "/static/%2e%2e%2f%2e%2e%2fdeno.json",
  "/static/../../deno.json",
  "/static/..%252f..%252fdeno.json",
  "/../../../../etc/passwd",
  "/./././etc/passwd",
  "/%2e%2e/%2e%2e/etc/passwd",
  "/watch/..%2F..%2Fetc%2Fpasswd",
  "/watch/%2e%2e",
  "/hls/live/index.m3u8%00",
  "/hls/live%00/index.m3u8",
  "/hls/live/index.m3u8%00.ts",
  "/static/player.js%00.html",
  "/%00",
  "/hls/live/index.m3u8%0d%0aSet-Cookie:%20pwn=1",
  "/watch/live%0d%0aLocation:%20http://evil.example",
  "/login?next=%0d%0aSet-Cookie:%20pwn=1",
  "/login?next=/%0d%0aSet-Cookie:%20pwn=1",
  "/internal/mediamtx/auth/..%2f..%2fhealth",
  "/internal/mediamtx/auth/%2e%2e",
  "/api/stream/validate?token=%00",
  "/api/stream/validate?token=%",
  "/hls/live/index.m3u8?_HLS_msn=%00",
  "/hls/live/index.m3u8?_HLS_msn=99999999999999999999",
  "http://evil.example/health",
  "http://127.0.0.1/../etc/passwd",
  "*",
  "/health#fragment",
  "/%ZZ",
  "/%",
  "/hls/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
  "/hls/%e0%80%ae%e0%80%ae/deno.json",
  "/hls/live/" + "a".repeat(8_000),
  "/hls/" + "%2e%2e%2f".repeat(2000),
  "/watch/" + "x".repeat(60_000),
  "/" + "/".repeat(10_000),
  "/recordings/..%2F..%2Fetc%2Fpasswd",
  "/recordings/%2e%2e/media?start=2026-01-01T00:00:00Z&duration=1",
  "/recordings/live/media?start=..%2F..%2Fetc%2Fpasswd&duration=1&format=../../x",
  "/recordings/live/media?start=2026-01-01T00:00:00Z&duration=1&download=1%0d%0aSet-Cookie:%20pwn=1",
  "/api/recordings/%2e%2e%2f%2e%2e",
  "/api/recordings/live?start=%00&end=%0d%0a",
  "/admin/streams/..%2F..%2Fetc%2Fpasswd",
  "/admin/users/%2e%2e%2fadmin",
  "/whep/..%2flive",
  "/whip/live/..%2f..%2fx",
];

/** Nothing a server must never answer: a file outside the app, an injected header, a crash. */
function assertSafe(r: { status: number; head: string; body: string } | null, what: string) {
  if (r === null) return; // connection closed without an answer: refused, not crashed (checked below)
  assert.ok(r.status < 500 || (r.status === 502 || r.status === 503), `${what} -> ${r.status} ${r.body}`);
  assert.doesNotMatch(r.body, /root:x:0:0|"imports"\s*:/, `${what} leaked a file`);
  assert.doesNotMatch(
    r.head,
    /\r\n(set-cookie: *pwn|location: *http:\/\/evil)/i,
    `${what} injected a header`,
  );
  // Requests Deno's HTTP server refuses itself (malformed HTTP) never reach the app and get its bare 4xx;
  // everything that reaches livegate (it always sets X-Content-Type-Options) gets a message.
  const fromApp = /\r\nx-content-type-options:/i.test(r.head);
  if (r.status >= 400 && fromApp) assert.ok(r.body.trim().length > 0, `${what}: 4xx without a message`);
  if (r.status >= 400 && !fromApp) assert.ok(r.status < 500, `${what}: server-level ${r.status}`);
}

Deno.test({
  name: "hardening (real server): raw hostile requests never crash livegate or leak files",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const lg = await startLivegate();
    let cases = 0;
    let closed = 0;
    let refused = 0;
    try {
      const port = Number(new URL(lg.url).port);
      const c = new Client(lg.url);
      assert.equal((await c.login("admin", "e2e-admin-password")).status, 303);
      const cookie = `Cookie: lg_session=${c.cookies.get("lg_session")}`;
      const send = async (bytes: string | Uint8Array, what: string) => {
        const r = await rawRequest(port, bytes);
        assertSafe(r, what);
        if (r === null) closed++;
        else if (!/\r\nx-content-type-options:/i.test(r.head)) refused++;
        cases++;
        return r;
      };

      for (const target of TRAVERSAL_TARGETS) {
        for (const headers of [[], [cookie]]) {
          const r = await send(get(target, headers), `GET ${target.slice(0, 80)}`);
          // Traversal never reaches MediaMTX or a file: no /hls request here may succeed.
          if (target.startsWith("/hls/")) assert.notEqual(r?.status, 200, `200 for ${target.slice(0, 80)}`);
        }
      }
      // Raw control and high bytes in the request line and in header values.
      const r = prng(0x7a3);
      for (let i = 0; i < 150; i++) {
        const junk = Array.from({ length: 1 + r.int(40) }, () => String.fromCharCode(r.int(256))).join("");
        const where = r.int(3);
        const line = where === 0
          ? `GET /hls/live/${junk} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`
          : where === 1
          ? `GET /watch/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Junk: ${junk}\r\n${cookie}\r\n\r\n`
          : `GET /login?next=${junk} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${cookie}\r\n\r\n`;
        await send(latin1(line), `raw bytes ${JSON.stringify(junk)}`);
      }
      // Nasty strings as path segments, raw (not encoded).
      for (const s of NASTY) {
        const raw = s.replace(/[\r\n ]/g, "");
        await send(
          latin1(`GET /hls/${raw}/index.m3u8 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${cookie}\r\n\r\n`),
          `nasty ${JSON.stringify(s)}`,
        );
      }
      // Oversized and malformed headers.
      const big = [
        ["one 100 KB header", get("/health", [`X-Big: ${"a".repeat(100_000)}`])],
        ["1 MB cookie", get("/api/me", [`Cookie: lg_session=${"a".repeat(1_000_000)}`])],
        ["2000 headers", get("/health", Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${i}`))],
        [
          "2000 cookies",
          get("/api/me", [`Cookie: ${Array.from({ length: 2000 }, (_, i) => `c${i}=${i}`).join("; ")}`]),
        ],
        ["header without colon", get("/health", ["NoColonHere"])],
        ["space before colon", get("/health", ["X-A : b"])],
        ["obs-fold", get("/health", ["X-A: b", " folded"])],
        ["NUL in header", get("/health", ["X-A: a\u0000b"])],
        ["two hosts", get("/health", ["Host: evil.example"])],
        ["no host", "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n"],
        ["HTTP/9.9", "GET /health HTTP/9.9\r\nHost: x\r\n\r\n"],
        ["HTTP/0.9", "GET /health\r\n\r\n"],
        ["unknown method", "FOO /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
        ["lower-case method", "get /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
        ["TRACE", "TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
        ["CONNECT", "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n"],
        ["empty line", "\r\n\r\n"],
        ["garbage", "\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003"], // a TLS hello
        ["bare LF", "GET /health HTTP/1.1\nHost: x\nConnection: close\n\n"],
        [
          "absolute URL other host",
          "GET http://evil.example/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        ],
        [
          "x-forwarded spoof",
          get("/api/me", [
            "X-Forwarded-For: 127.0.0.1",
            "X-Forwarded-Proto: https",
            "X-Forwarded-Host: evil.example",
          ]),
        ],
      ] as const;
      for (const [what, bytes] of big) await send(latin1(bytes), what);

      // Bodies: declared too large, chunked without end, lying lengths, smuggling shapes.
      const post = (path: string, headers: string[], body: string) =>
        [`POST ${path} HTTP/1.1`, "Host: 127.0.0.1", "Connection: close", ...headers, "", body].join("\r\n");
      const form = "application/x-www-form-urlencoded";
      const bodies = [
        ["login CL 100 MB", post("/login", [`Content-Type: ${form}`, "Content-Length: 100000000"], "a=b")],
        [
          "login chunked 1 MB",
          post(
            "/login",
            [`Content-Type: ${form}`, "Transfer-Encoding: chunked"],
            `${(1 << 20).toString(16)}\r\n${"a".repeat(1 << 20)}\r\n0\r\n\r\n`,
          ),
        ],
        [
          "login bad chunk size",
          post("/login", [`Content-Type: ${form}`, "Transfer-Encoding: chunked"], "zz\r\nabc\r\n0\r\n\r\n"),
        ],
        [
          "login CL and TE",
          post(
            "/login",
            [`Content-Type: ${form}`, "Content-Length: 4", "Transfer-Encoding: chunked"],
            "0\r\n\r\nGET /api/me HTTP/1.1\r\nHost: x\r\n\r\n",
          ),
        ],
        ["login negative CL", post("/login", [`Content-Type: ${form}`, "Content-Length: -1"], "a=b")],
        [
          "login two CLs",
          post("/login", [`Content-Type: ${form}`, "Content-Length: 3", "Content-Length: 30"], "a=b"),
        ],
        ["login short body", post("/login", [`Content-Type: ${form}`, "Content-Length: 50"], "a=b")],
        [
          "hook wrong secret 1 MB",
          post("/internal/mediamtx/auth/nope", [
            "Content-Type: application/json",
            `Content-Length: ${1 << 20}`,
          ], "{".repeat(1 << 20)),
        ],
        [
          "logout with junk",
          post("/logout", [`Content-Type: ${form}`, cookie, "Content-Length: 7"], "csrf=%%"),
        ],
        [
          "whep huge",
          post(
            "/whep/live",
            ["Content-Type: application/sdp", cookie, `Content-Length: ${4 << 20}`],
            "v=0\r\n",
          ),
        ],
      ] as const;
      for (const [what, bytes] of bodies) await send(latin1(bytes), what);

      // Slow clients (slowloris): 500 connections stuck in their headers and 100 in their bodies do not
      // keep anyone else from being served.
      const slow: Deno.Conn[] = [];
      try {
        for (let i = 0; i < 600; i++) {
          const sc = await Deno.connect({ hostname: "127.0.0.1", port });
          slow.push(sc);
          await sc.write(new TextEncoder().encode(
            i < 500
              ? "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "
              : `POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: ${form}\r\nContent-Length: 9000\r\n\r\nuser=`,
          ));
        }
        const t0 = Date.now();
        const h = await fetch(`${lg.url}/health`);
        assert.equal(await h.text(), "OK");
        assert.equal((await c.fetch("/api/me")).status, 200);
        console.log(
          `with 600 slow connections open, /health and a session lookup took ${Date.now() - t0} ms`,
        );
      } finally {
        for (const sc of slow) {
          try {
            sc.close();
          } catch { /* closed by the server */ }
        }
      }

      // Still alive and serving, with the same session.
      const health = await fetch(`${lg.url}/health`);
      assert.equal(await health.text(), "OK");
      assert.equal((await c.fetch("/api/me")).status, 200);
      assert.equal(
        lg.logs.filter((l) => /internal error|Uncaught|panicked/i.test(l)).length,
        0,
        lg.logs.join("\n"),
      );
      console.log(
        `raw HTTP cases: ${cases} (${refused} refused by Deno's HTTP server, ${closed} by closing the connection)`,
      );
      assert.ok(cases >= 300);
    } finally {
      await lg.stop();
    }
  },
});

/** Listening TCP sockets from /proc/net/tcp: "ADDR:PORT" hex as the kernel shows it. */
async function listeners(): Promise<{ addr: string; port: number }[]> {
  const out: { addr: string; port: number }[] = [];
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await Deno.readTextFile(f).catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== "0A") continue; // LISTEN
      const [addr, port] = cols[1].split(":");
      out.push({ addr, port: parseInt(port, 16) });
    }
  }
  return out;
}

Deno.test({
  name: "hardening (real server): MediaMTX's HTTP ports loopback-only; refused publishers all get one answer",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const lg = await startLivegate({ LIVEGATE_HOST: "0.0.0.0", LIVEGATE_PORT: String(freePort()) });
    try {
      const loopbackOnly = ["HLS", "WEBRTC", "API", "METRICS", "PLAYBACK"].map((n) =>
        Number(lg.env[`LIVEGATE_MTX_${n}_PORT`])
      );
      const table = await listeners();
      for (const port of loopbackOnly) {
        const socks = table.filter((s) => s.port === port);
        assert.ok(socks.length > 0, `nothing listens on ${port}`);
        for (const s of socks) {
          assert.ok(
            s.addr === "0100007F" || s.addr === "00000000000000000000000001000000",
            `port ${port} listens on ${s.addr}, not loopback`,
          );
        }
      }
      // From every non-loopback address of this machine: MediaMTX's HTTP ports refuse, RTMP (public by
      // design) and livegate answer — so the probe itself works.
      const external = Deno.networkInterfaces().filter((i) =>
        i.family === "IPv4" && !i.address.startsWith("127.")
      );
      for (const iface of external) {
        for (const port of loopbackOnly) {
          await assert.rejects(
            () => Deno.connect({ hostname: iface.address, port }),
            `MediaMTX port ${port} reachable on ${iface.address}`,
          );
        }
        (await Deno.connect({ hostname: iface.address, port: lg.rtmpPort })).close();
        (await Deno.connect({ hostname: iface.address, port: Number(lg.env.LIVEGATE_PORT) })).close();
      }
      console.log(`loopback-only ports checked on ${external.length} external address(es)`);

      // Stream key enumeration as a publisher sees it: a wrong key, another path's key, a revoked key, a
      // truncated key and no key all get MediaMTX's one "authentication failed"; the right key publishes.
      const other = (await lg.cli("key", "create", "other")).stdout.split("\n")[1].trim();
      const revoked = await lg.cli("key", "create", "live", "--name", "gone");
      const revokedKey = revoked.stdout.split("\n")[1].trim();
      const revokedId = /key (\S+) for/.exec(revoked.stdout)![1];
      assert.equal((await lg.cli("key", "revoke", revokedId)).code, 0);
      const attempt = async (query: string) => {
        const url = `rtmp://127.0.0.1:${lg.rtmpPort}/live${query}`;
        const r = await run(needTool("ffmpeg"), [
          "-hide_banner",
          "-loglevel",
          "error",
          "-f",
          "lavfi",
          "-i",
          "testsrc2=size=160x90:rate=10:duration=1",
          "-c:v",
          "libx264",
          "-f",
          "flv",
          url,
        ]);
        return { code: r.code, out: r.stderr.replaceAll(url, "URL").replace(/0x[0-9a-f]+/g, "0x") };
      };
      const refused = await attempt("?token=lg_wrong");
      assert.notEqual(refused.code, 0);
      assert.match(refused.out, /authentication failed/);
      for (const q of [`?token=${other}`, `?token=${revokedKey}`, `?token=${lg.key.slice(0, -2)}`, ""]) {
        assert.deepEqual(await attempt(q), refused, `publish with ${q.slice(0, 20)}`);
      }
      assert.equal((await attempt(`?token=${lg.key}`)).code, 0, "the right key publishes");
    } finally {
      await lg.stop();
    }
  },
});
