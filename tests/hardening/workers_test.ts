// Hostile requests against livegate with LIVEGATE_WORKERS=2 (the workers' forwarding to the main isolate,
// src/cluster/, is a new surface): the corpus' nasty strings in paths, queries and headers of forwarded and
// worker-answered requests, a body larger than any route takes, bodies and answers abandoned half-way,
// malformed WebSocket handshakes for the tunnelled chat, many concurrent forwarded requests. Every answer
// is a clear status (never a 500 or a dropped connection), and afterwards both isolates still answer and
// none has failed.
import assert from "node:assert/strict";
import { startLivegate } from "../e2e/harness.ts";
import { get, rawRequest } from "./raw.ts";
import { NASTY, prng } from "./corpus.ts";

/** Percent-encoded; a lone surrogate (which encodeURIComponent refuses) as its raw UTF-8-ish bytes. */
const enc = (x: string) => {
  try {
    return encodeURIComponent(x);
  } catch {
    return "%ED%A0%80" + x.length;
  }
};

const TARGETS = [
  "/api/streams/",
  "/watch/",
  "/hls/live/",
  "/hls/",
  "/e/x/live/",
  "/chat/",
  "/whep/",
  "/login?next=",
];

Deno.test({
  name: "hardening: hostile requests through two HTTP isolates get clear answers; no isolate fails",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate({ LIVEGATE_WORKERS: "2", LIVEGATE_DEBUG_ISOLATE: "1" });
    const port = Number(new URL(lg.url).port);
    try {
      const rng = prng(20_4);
      const bad: string[] = [];
      const check = (what: string, r: Awaited<ReturnType<typeof rawRequest>>) => {
        if (!r) bad.push(`${what}: connection closed without an answer`);
        else if (r.status >= 500 && r.status !== 503 && r.status !== 502) bad.push(`${what}: ${r.status}`);
      };
      // Nasty strings in paths, queries and header values, on routes answered by a worker and forwarded.
      for (let i = 0; i < 120; i++) {
        const s = enc(rng.pick(NASTY)).slice(0, 2000);
        const target = rng.pick(TARGETS) + s;
        const header = [...rng.pick(NASTY)].filter((c) => c.charCodeAt(0) >= 0x20).join("").slice(0, 200);
        const r = await rawRequest(
          port,
          get(target, [`X-Test: ${header}`, `Cookie: lg_session=${s.slice(0, 100)}`]),
        );
        check(`GET ${target.slice(0, 80)}`, r);
      }
      // A forwarded POST with a body over any route's limit: refused (413/400/401/403/404), not buffered.
      const big = "x".repeat(4 * 1024 * 1024);
      const post = await fetch(`${lg.url}/api/streams`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: lg.url },
        body: big,
      });
      await post.body?.cancel();
      assert.ok(post.status >= 400 && post.status < 500, `big body: ${post.status}`);
      // A client that announces a body and stops sending it, and one that leaves before the answer.
      for (let i = 0; i < 4; i++) {
        const half = [
          "POST /login HTTP/1.1",
          "Host: 127.0.0.1",
          "Content-Type: application/x-www-form-urlencoded",
          "Content-Length: 100000",
          "",
          "user=a&password=",
        ].join("\r\n");
        await rawRequest(port, half, 300); // gives up after 300 ms: the worker and main must let it go
      }
      // Malformed WebSocket handshakes for the chat (forwarded; the worker upgrades only what main accepts).
      for (
        const h of [
          ["Upgrade: websocket", "Connection: Upgrade"],
          [
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: short",
            "Sec-WebSocket-Version: 13",
          ],
          [
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
            `Origin: ${lg.url}`,
          ],
          ["Upgrade: h2c", "Connection: Upgrade"],
        ]
      ) {
        const r = await rawRequest(port, get("/chat/live", h));
        check(`chat handshake ${h.join(", ")}`, r);
        assert.ok(r && r.status !== 101, `refused: ${r?.status}`); // private stream, no login
      }
      // Many forwarded requests at once.
      const many = await Promise.all(
        Array.from(
          { length: 200 },
          (_, i) =>
            fetch(`${lg.url}/api/me?i=${i}`, { client: Deno.createHttpClient({ poolMaxIdlePerHost: 0 }) })
              .then(async (r) => (await r.body?.cancel(), r.status)),
        ),
      );
      assert.ok(many.every((s) => s === 401), `concurrent: ${[...new Set(many)]}`);
      assert.deepEqual(bad, []);
      // Both isolates still answer.
      const seen = new Set<string>();
      for (let i = 0; i < 40 && seen.size < 2; i++) {
        const r = await rawRequest(port, get("/health"));
        assert.equal(r?.status, 200);
        seen.add(/x-livegate-isolate: (\d+)/i.exec(r!.head)?.[1] ?? "?");
      }
      assert.deepEqual([...seen].sort(), ["1", "2"]);
    } finally {
      await lg.stop();
    }
    assert.ok(
      !lg.logs.some((l) => /HTTP isolate \d+ failed|unhandled rejection/.test(l)),
      lg.logs.join("\n"),
    );
  },
});
