// Webhook delivery against a real local HTTP receiver: HMAC signature, retries with growing delays on
// 5xx, no retry on 4xx, giving up after the last attempt, and emit() never waiting for the receiver.
import assert from "node:assert/strict";
import { sign, Webhooks } from "../../src/events/webhooks.ts";

const SECRET = "unit-test-webhook-secret";

function receiver(answer: (n: number) => number | "hang") {
  const hits: { at: number; body: string; headers: Headers }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.text();
    hits.push({ at: Date.now(), body, headers: req.headers });
    const a = answer(hits.length);
    if (a === "hang") await new Promise((r) => setTimeout(r, 1000));
    return new Response("x", { status: a === "hang" ? 200 : a });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/`, hits, stop: () => server.shutdown() };
}

async function until(cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("webhooks: signed POST with event headers; the signature verifies", async () => {
  const r = receiver(() => 200);
  const hooks = new Webhooks({ urls: [r.url], secret: SECRET, log: () => {} });
  try {
    const ev = hooks.emit("stream.started", { path: "live" });
    await until(() => r.hits.length === 1);
    const h = r.hits[0];
    const body = JSON.parse(h.body);
    assert.deepEqual(body, { type: "stream.started", id: ev.id, time: ev.time, data: { path: "live" } });
    assert.equal(h.headers.get("content-type"), "application/json");
    assert.equal(h.headers.get("x-livegate-event"), "stream.started");
    assert.equal(h.headers.get("x-livegate-delivery"), ev.id);
    const ts = h.headers.get("x-livegate-timestamp")!;
    assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 5);
    assert.equal(h.headers.get("x-livegate-signature"), await sign(SECRET, ts, h.body));
    assert.notEqual(h.headers.get("x-livegate-signature"), await sign("another-secret-xxxxxx", ts, h.body));
    assert.match(h.headers.get("x-livegate-signature")!, /^sha256=[0-9a-f]{64}$/);
  } finally {
    await hooks.close();
    await r.stop();
  }
});

Deno.test("webhooks: 5xx is retried with growing delays until it succeeds", async () => {
  const r = receiver((n) => (n < 4 ? 503 : 200));
  const logs: string[] = [];
  const hooks = new Webhooks({ urls: [r.url], secret: SECRET, baseDelayMs: 100, log: (l) => logs.push(l) });
  try {
    hooks.emit("stream.stopped", { path: "live" });
    await until(() => r.hits.length === 4);
    const gaps = r.hits.slice(1).map((h, i) => h.at - r.hits[i].at);
    // 100, 200, 400 ms (plus scheduling slack)
    assert.ok(gaps[0] >= 90 && gaps[1] >= 190 && gaps[2] >= 390, `gaps ${gaps}`);
    assert.ok(gaps[2] > gaps[1] && gaps[1] > gaps[0], `gaps grow: ${gaps}`);
    assert.equal(new Set(r.hits.map((h) => JSON.parse(h.body).id)).size, 1, "same event id on every retry");
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(r.hits.length, 4, "no more deliveries after the success");
    assert.equal(logs.filter((l) => /retry \d\/7/.test(l)).length, 3);
  } finally {
    await hooks.close();
    await r.stop();
  }
});

Deno.test("webhooks: a 4xx answer is not retried; a dead URL gives up after the last attempt", async () => {
  const r = receiver(() => 400);
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dead = `http://127.0.0.1:${(l.addr as Deno.NetAddr).port}/`;
  l.close();
  const logs: string[] = [];
  const hooks = new Webhooks({
    urls: [r.url, dead],
    secret: SECRET,
    attempts: 3,
    baseDelayMs: 20,
    log: (x) => logs.push(x),
  });
  try {
    hooks.emit("recording.finished", { path: "live" });
    await until(() => logs.filter((x) => /failed for good/.test(x)).length === 2);
    assert.equal(r.hits.length, 1, "400 is final");
    assert.ok(logs.some((x) => x.includes(r.url) && /answered 400/.test(x)));
    assert.equal(logs.filter((x) => x.includes(dead) && /retry/.test(x)).length, 2, "3 attempts = 2 retries");
    assert.equal(hooks.pending, 0);
  } finally {
    await hooks.close();
    await r.stop();
  }
});

Deno.test("webhooks: emit() returns at once even when the receiver hangs", async () => {
  const r = receiver(() => "hang");
  const hooks = new Webhooks({ urls: [r.url], secret: SECRET, timeoutMs: 200, attempts: 1, log: () => {} });
  try {
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) hooks.emit("stream.started", { path: `p${i}` });
    const took = performance.now() - t0;
    assert.ok(hooks.pending >= 100, "queued, not delivered yet");
    assert.equal(r.hits.length, 0, "nothing was sent synchronously");
    assert.ok(took < 200, `emit x100 took ${took} ms`);
  } finally {
    await hooks.close(100);
    await r.stop();
  }
});

Deno.test("webhooks: at most `concurrency` deliveries in flight; a backlog drains completely", async () => {
  let inFlight = 0, maxInFlight = 0, done = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 30));
    inFlight--;
    done++;
    return new Response("ok");
  });
  const hooks = new Webhooks({
    urls: [`http://127.0.0.1:${server.addr.port}/`],
    secret: SECRET,
    concurrency: 3,
    log: () => {},
  });
  try {
    for (let i = 0; i < 20; i++) hooks.emit("stream.started", { path: `p${i}` });
    await until(() => done === 20);
    assert.equal(maxInFlight, 3);
    await until(() => hooks.pending === 0);
  } finally {
    await hooks.close();
    await server.shutdown();
  }
});
