// The plumbing of LIVEGATE_WORKERS > 1 (src/cluster/): the change relay between isolates, the forwarding of
// a request to the main isolate (bodies streamed both ways, headers, status, client address, a client that
// goes away), which requests a worker answers itself, and the setting's parsing. In one isolate: a
// MessageChannel and BroadcastChannels behave the same between a worker and the main isolate.
import assert from "node:assert/strict";
import { type Change, ChangeBus } from "../../src/core/changes.ts";
import { relayChanges } from "../../src/cluster/relay.ts";
import {
  answerForwarded,
  type ForwardedHead,
  type ForwardedInfo,
  forwardToMain,
} from "../../src/cluster/forward.ts";
import { servedByWorker } from "../../src/cluster/routing.ts";
import { mergeViewers, ReportingViewerTracker } from "../../src/cluster/viewers.ts";
import { ViewerTracker } from "../../src/auth/viewers.ts";
import { parseWorkers } from "../../src/config/edge-config.ts";

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

Deno.test("relayChanges: a change on one bus is announced once on the other, never echoed back", async () => {
  const a = new ChangeBus(), b = new ChangeBus();
  const name = `test-${crypto.randomUUID()}`;
  const stopA = relayChanges(a, name), stopB = relayChanges(b, name);
  const gotA: Change[] = [], gotB: Change[] = [];
  a.subscribe((c) => gotA.push(c));
  b.subscribe((c) => gotB.push(c));
  a.emit({ kind: "session", user: "ann", op: "delete" });
  await tick(50);
  assert.deepEqual(gotB, [{ kind: "session", user: "ann", op: "delete" }]);
  assert.equal(gotA.length, 1, "the sender saw its own change once, and no echo");
  b.emit({ kind: "share", path: "live", id: "s1", op: "revoke" });
  await tick(50);
  assert.equal(gotA.length, 2);
  assert.deepEqual(gotA[1], { kind: "share", path: "live", id: "s1", op: "revoke" });
  assert.equal(gotB.length, 2);
  stopA();
  stopB();
});

/** A control channel that hands forwarded requests straight to answerForwarded with `handler`. */
function loop(handler: (req: Request, info: ForwardedInfo) => Response | Promise<Response>) {
  return {
    postMessage(m: unknown, transfer: Transferable[]) {
      answerForwarded(m as ForwardedHead, transfer[0] as MessagePort, handler);
    },
  };
}
const remote = { hostname: "203.0.113.7", port: 4444 };
const noTunnel = () => {
  throw new Error("no tunnel expected");
};

Deno.test("forwardToMain: method, URL, headers, body and client address arrive; the answer streams back", async () => {
  let seen: { method: string; url: string; body: string; ip: string; h: string | null } | null = null;
  const control = loop(async (req, info) => {
    seen = {
      method: req.method,
      url: req.url,
      body: await req.text(),
      ip: info.remoteAddr.hostname,
      h: req.headers.get("x-test"),
    };
    const chunks = ["one,", "two,", "three"];
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        const s = chunks.shift();
        if (s === undefined) c.close();
        else c.enqueue(new TextEncoder().encode(s));
      },
    });
    const h = new Headers({ "content-type": "text/plain" });
    h.append("set-cookie", "a=1; Path=/");
    h.append("set-cookie", "b=2; Path=/");
    return new Response(body, { status: 201, headers: h });
  });
  const big = "x".repeat(200_000);
  const res = await forwardToMain(
    control,
    new Request("http://lg.test/api/thing?q=1", { method: "POST", body: big, headers: { "x-test": "yes" } }),
    remote,
    noTunnel,
  );
  assert.equal(res.status, 201);
  assert.equal(await res.text(), "one,two,three");
  assert.deepEqual(res.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/"]);
  assert.deepEqual(seen, {
    method: "POST",
    url: "http://lg.test/api/thing?q=1",
    body: big,
    ip: "203.0.113.7",
    h: "yes",
  });
});

Deno.test("forwardToMain: null-body statuses and HEAD come back without a body", async () => {
  const control = loop(() => new Response(null, { status: 204 }));
  const res = await forwardToMain(
    control,
    new Request("http://lg.test/x", { method: "DELETE" }),
    remote,
    noTunnel,
  );
  assert.equal(res.status, 204);
  assert.equal(res.body, null);
  const head = loop(() => new Response("body", { headers: { "content-length": "4" } }));
  const r2 = await forwardToMain(head, new Request("http://lg.test/x", { method: "HEAD" }), remote, noTunnel);
  assert.equal(r2.headers.get("content-length"), "4");
  assert.equal(await r2.text(), "");
});

Deno.test("forwardToMain: a client that stops reading cancels the main isolate's body", async () => {
  let cancelled = false;
  let pulls = 0;
  const control = loop(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(c) {
          pulls++;
          c.enqueue(new Uint8Array(1024));
        },
        cancel() {
          cancelled = true;
        },
      }),
    )
  );
  const res = await forwardToMain(control, new Request("http://lg.test/rec.mp4"), remote, noTunnel);
  const reader = res.body!.getReader();
  await reader.read();
  await reader.read();
  await reader.cancel();
  await tick(100);
  assert.ok(cancelled, "the main isolate's body was cancelled");
  assert.ok(pulls < 10, `read only as asked (${pulls} pulls)`);
});

Deno.test("forwardToMain: a client that disconnects while not reading stops the main isolate too", async () => {
  let cancelled = false, aborted = false;
  const control = loop((req) => {
    req.signal.addEventListener("abort", () => aborted = true);
    return new Response(
      new ReadableStream<Uint8Array>({
        pull: (c) => c.enqueue(new Uint8Array(1024)),
        cancel() {
          cancelled = true;
        },
      }),
    );
  });
  const client = new AbortController();
  const res = await forwardToMain(
    control,
    new Request("http://lg.test/rec.mp4", { signal: client.signal }),
    remote,
    noTunnel,
  );
  await res.body!.getReader().read(); // one chunk, then nothing more is read
  client.abort(); // what Deno.serve does to the request's signal when the connection closes
  await tick(100);
  assert.ok(aborted, "the main isolate's request was aborted");
  assert.ok(cancelled, "and its body cancelled");
});

Deno.test("forwardToMain: a main isolate that does not answer gives up after the head timeout", async () => {
  const control = { postMessage() {} }; // never answers
  await assert.rejects(
    forwardToMain(control, new Request("http://lg.test/slow"), remote, noTunnel, 100),
    /did not answer GET \/slow in time/,
  );
});

Deno.test("servedByWorker: HLS media and edge paths stay in the worker, the rest goes to the main isolate", () => {
  const w = (m: string, u: string) => servedByWorker(m, new URL(u, "http://lg.test"));
  assert.equal(w("GET", "/hls/live/video1_stream.m3u8?_HLS_msn=3&_HLS_part=1"), true);
  assert.equal(w("GET", "/hls/live/abc_part12.mp4"), true);
  assert.equal(w("HEAD", "/hls/live/init.mp4"), true);
  assert.equal(w("GET", "/hls/live/720p/index.m3u8"), true, "a rung's playlist");
  assert.equal(
    w("GET", "/hls/live/index.m3u8"),
    false,
    "the multivariant playlist: the ladder is the main's",
  );
  assert.equal(w("GET", "/hls/live/index.m3u8?_HLS_msn=1"), true);
  assert.equal(w("GET", "/e/tok/live/part.mp4"), true);
  assert.equal(w("GET", "/static/player.js"), true);
  assert.equal(w("GET", "/health"), true);
  for (
    const [m, u] of [
      ["POST", "/hls/live/x.mp4"],
      ["GET", "/watch/live"],
      ["POST", "/whep/live"],
      ["PATCH", "/whep/live/abc"],
      ["GET", "/chat/live"],
      ["POST", "/login"],
      ["GET", "/metrics"],
      ["POST", "/internal/mediamtx/auth/s"],
      ["GET", "/api/streams"],
      ["GET", "/hls/a/b/c/d"],
    ]
  ) {
    assert.equal(w(m, u), false, `${m} ${u}`);
  }
});

Deno.test("viewers: a worker reports whom it saw since its last report; the main isolate merges them", () => {
  const w = new ReportingViewerTracker();
  const main = new ViewerTracker();
  const v = { id: "s1", kind: "session" as const, user: "ann", ip: "198.51.100.1", userAgent: "t" };
  w.seen("live", v, 1000);
  w.seen("live", { ...v, id: "s2", user: "bob" }, 1100);
  const r1 = w.report(1200);
  assert.deepEqual(r1.map(([p, vs]) => [p, vs.map((x) => x.id).sort()]), [["live", ["s1", "s2"]]]);
  mergeViewers(main, r1);
  assert.equal(main.count("live", 1300), 2);
  assert.deepEqual(w.report(1300), [], "nobody new since");
  w.seen("live", v, 1400);
  assert.deepEqual(w.report(1500).map(([, vs]) => vs.map((x) => x.id)), [["s1"]]);
});

Deno.test("LIVEGATE_WORKERS: 1 by default, a number, or auto (cores); anything else names the setting", () => {
  assert.equal(parseWorkers("LIVEGATE_WORKERS", undefined), 1);
  assert.equal(parseWorkers("LIVEGATE_WORKERS", "4"), 4);
  assert.equal(parseWorkers("LIVEGATE_WORKERS", "auto", 2), 2);
  assert.equal(parseWorkers("LIVEGATE_WORKERS", "auto", 64), 32);
  for (const bad of ["0", "33", "-1", "two", "1.5"]) {
    assert.throws(() => parseWorkers("LIVEGATE_WORKERS", bad), /LIVEGATE_WORKERS/);
  }
});
