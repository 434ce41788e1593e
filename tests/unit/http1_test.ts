// bench/http1.ts (the load generator's HTTP/1.1 client) against a real Deno.serve, and against raw TCP
// servers for answers Deno.serve never sends (split chunk headers, trailers, garbage, silent closes).
import assert from "node:assert/strict";
import { Http1Connection, Http1Error } from "../../bench/http1.ts";

const big = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 11)) & 0xff;
  return b;
};
const BIG = big(3 * 1024 * 1024 + 17);
const dec = new TextDecoder();

interface TestServer {
  port: number;
  /** Distinct client ports seen (= TCP connections). */
  clients: Set<number>;
  requests: number;
  shutdown(): Promise<void>;
}

function serve(): Promise<TestServer> {
  const clients = new Set<number>();
  const state = { requests: 0 };
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: ({ port }) =>
        resolve({
          port,
          clients,
          get requests() {
            return state.requests;
          },
          shutdown: () => server.shutdown(),
        }),
    }, async (req, info) => {
      state.requests++;
      clients.add((info.remoteAddr as Deno.NetAddr).port);
      const url = new URL(req.url);
      switch (url.pathname) {
        case "/text":
          return new Response(`hello ${url.searchParams.get("n") ?? ""}`, {
            headers: { "x-cookie": req.headers.get("cookie") ?? "" },
          });
        case "/echo-headers":
          return Response.json(Object.fromEntries(req.headers));
        case "/chunked": {
          const parts = ["one,", "two,", "", "three"];
          const body = new ReadableStream<Uint8Array>({
            async pull(c) {
              const p = parts.shift();
              if (p === undefined) return c.close();
              await new Promise((r) => setTimeout(r, 2));
              c.enqueue(new TextEncoder().encode(p));
            },
          });
          return new Response(body);
        }
        case "/chunked-big": {
          let off = 0;
          const body = new ReadableStream<Uint8Array>({
            pull(c) {
              if (off >= BIG.length) return c.close();
              const n = Math.min(65_521, BIG.length - off);
              c.enqueue(BIG.slice(off, off + n));
              off += n;
            },
          });
          return new Response(body);
        }
        case "/big":
          return new Response(BIG);
        case "/204":
          return new Response(null, { status: 204 });
        case "/empty":
          return new Response("");
        case "/404":
          return Response.json({}, { status: 404 });
        case "/close":
          return new Response("bye", { headers: { connection: "close" } });
        case "/slow": {
          await new Promise<void>((r) => {
            const t = setTimeout(r, 3000);
            req.signal.addEventListener("abort", () => {
              clearTimeout(t);
              r();
            });
          });
          return new Response("late");
        }
      }
      return new Response("no", { status: 500 });
    });
  });
}

/** Raw TCP server: `answer` gets each accepted connection and writes whatever it wants. */
function rawServer(answer: (c: Deno.TcpConn, n: number) => Promise<void>) {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let n = 0;
  const conns = new Set<Deno.TcpConn>();
  const loop = (async () => {
    for await (const c of l) {
      conns.add(c);
      answer(c, n++).catch(() => {}).finally(() => {
        conns.delete(c);
        try {
          c.close();
        } catch { /* closed */ }
      });
    }
  })();
  return {
    port: (l.addr as Deno.NetAddr).port,
    accepted: () => n,
    async close() {
      l.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await loop.catch(() => {});
    },
  };
}

/** Reads one request head (up to CRLF CRLF) from a raw connection; null on EOF. */
async function readRequest(c: Deno.TcpConn): Promise<string | null> {
  let s = "";
  const b = new Uint8Array(4096);
  while (!s.includes("\r\n\r\n")) {
    const n = await c.read(b);
    if (n === null) return null;
    s += dec.decode(b.subarray(0, n));
  }
  return s;
}

const write = (c: Deno.TcpConn, s: string | Uint8Array) =>
  c.write(typeof s === "string" ? new TextEncoder().encode(s) : s);

async function rejects(p: Promise<unknown>, kind: string): Promise<Http1Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof Http1Error, `expected an Http1Error, got ${e}`);
    assert.equal(e.kind, kind, e.message);
    return e;
  }
  assert.fail(`expected a ${kind} error`);
}

Deno.test("http1: content-length bodies, request headers, many requests on one connection", async () => {
  const s = await serve();
  const c = new Http1Connection("127.0.0.1", s.port);
  try {
    const r = await c.get("/text?n=1", { cookie: "a=b" });
    assert.equal(r.status, 200);
    assert.equal(dec.decode(r.body), "hello 1");
    const h = JSON.parse(dec.decode((await c.get("/echo-headers", { cookie: "lg_session=x" })).body));
    assert.equal(h.cookie, "lg_session=x");
    assert.equal(h.host, `127.0.0.1:${s.port}`);
    for (let i = 0; i < 2000; i++) {
      const r = await c.get(`/text?n=${i}`, { cookie: "a=b" });
      assert.equal(r.status, 200);
      assert.equal(dec.decode(r.body), `hello ${i}`);
    }
    assert.equal(c.connects, 1);
    assert.equal(c.requests, 2002);
    assert.equal(s.clients.size, 1, "all requests on one TCP connection");
    assert.equal(s.requests, 2002);
  } finally {
    c.close();
    await s.shutdown();
  }
});

Deno.test("http1: chunked bodies from a ReadableStream response (Deno sends transfer-encoding: chunked)", async () => {
  const s = await serve();
  const c = new Http1Connection("127.0.0.1", s.port);
  try {
    // Check that the server really answers chunked, with a raw request.
    const raw = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await write(raw, `GET /chunked HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    let text = "";
    const b = new Uint8Array(4096);
    for (let n; (n = await raw.read(b)) !== null;) text += dec.decode(b.subarray(0, n));
    raw.close();
    assert.match(text.toLowerCase(), /\r\ntransfer-encoding: chunked\r\n/);

    for (let i = 0; i < 3; i++) {
      const r = await c.get("/chunked");
      assert.equal(r.status, 200);
      assert.equal(dec.decode(r.body), "one,two,three");
    }
    const r = await c.get("/chunked-big");
    assert.equal(r.body.length, BIG.length);
    assert.deepEqual(r.body, BIG);
    assert.equal(dec.decode((await c.get("/text?n=after")).body), "hello after");
    assert.equal(c.connects, 1);
  } finally {
    c.close();
    await s.shutdown();
  }
});

Deno.test("http1: empty bodies (204, empty 200, 404 JSON) keep the connection usable", async () => {
  const s = await serve();
  const c = new Http1Connection("127.0.0.1", s.port);
  try {
    const a = await c.get("/204");
    assert.equal(a.status, 204);
    assert.equal(a.body.length, 0);
    const e = await c.get("/empty");
    assert.equal(e.status, 200);
    assert.equal(e.body.length, 0);
    const nf = await c.get("/404");
    assert.equal(nf.status, 404);
    assert.deepEqual(JSON.parse(dec.decode(nf.body)), {});
    assert.equal(dec.decode((await c.get("/text?n=2")).body), "hello 2");
    assert.equal(c.connects, 1);
  } finally {
    c.close();
    await s.shutdown();
  }
});

Deno.test("http1: large content-length body (> 1 MiB) read intact, twice", async () => {
  const s = await serve();
  const c = new Http1Connection("127.0.0.1", s.port, { bufferSize: 1024 });
  try {
    for (let i = 0; i < 2; i++) {
      const r = await c.get("/big");
      assert.equal(r.status, 200);
      assert.equal(r.body.length, BIG.length);
      assert.deepEqual(r.body, BIG);
    }
    assert.equal(c.connects, 1);
  } finally {
    c.close();
    await s.shutdown();
  }
});

Deno.test("http1: reuseBody returns views into one buffer, right for every size, chunked still its own", async () => {
  const s = await serve();
  const c = new Http1Connection("127.0.0.1", s.port, { reuseBody: true });
  try {
    const a = await c.get("/text?n=1");
    assert.equal(dec.decode(a.body), "hello 1");
    const b = await c.get("/text?n=22");
    assert.equal(dec.decode(b.body), "hello 22");
    assert.equal(a.body.buffer, b.body.buffer, "same backing buffer");
    assert.equal(dec.decode(a.body), "hello 2", "the earlier view now shows the later answer");
    const big = await c.get("/big");
    assert.deepEqual(big.body, BIG);
    assert.equal(dec.decode((await c.get("/text?n=3")).body), "hello 3");
    const ch = await c.get("/chunked");
    assert.equal(dec.decode(ch.body), "one,two,three");
    assert.equal(dec.decode((await c.get("/text?n=4")).body), "hello 4");
    assert.equal(dec.decode(ch.body), "one,two,three", "chunked bodies are not reused");
  } finally {
    c.close();
    await s.shutdown();
  }
});

Deno.test("http1: server's connection: close -> next request on a new connection", async () => {
  const s = await serve();
  const c = new Http1Connection("127.0.0.1", s.port);
  try {
    assert.equal(dec.decode((await c.get("/text?n=1")).body), "hello 1");
    const r = await c.get("/close");
    assert.equal(dec.decode(r.body), "bye");
    assert.equal(c.connected, false, "closed after the answer");
    assert.equal(dec.decode((await c.get("/text?n=3")).body), "hello 3");
    assert.equal(c.connects, 2);
    assert.equal(s.clients.size, 2);
  } finally {
    c.close();
    await s.shutdown();
  }
});

Deno.test("http1: server silently closing an idle connection -> retried once on a new one", async () => {
  // Answers one request per connection, without saying so, then closes.
  const srv = rawServer(async (conn, n) => {
    if (await readRequest(conn) === null) return;
    await write(conn, `HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n${String(n).padStart(2, "0")}`);
  });
  const c = new Http1Connection("127.0.0.1", srv.port);
  try {
    assert.equal(dec.decode((await c.get("/")).body), "00");
    await new Promise((r) => setTimeout(r, 50)); // let the FIN arrive
    assert.equal(dec.decode((await c.get("/")).body), "01");
    assert.equal(dec.decode((await c.get("/")).body), "02");
    assert.equal(c.connects, 3);
    assert.equal(srv.accepted(), 3);
  } finally {
    c.close();
    await srv.close();
  }
});

Deno.test("http1: closed before any answer on a fresh connection is a network error, not retried", async () => {
  const srv = rawServer(async (conn) => {
    await readRequest(conn);
  });
  const c = new Http1Connection("127.0.0.1", srv.port);
  try {
    await rejects(c.get("/"), "network");
    assert.equal(srv.accepted(), 1);
    // Closed mid-body: network error too.
  } finally {
    c.close();
    await srv.close();
  }
  const srv2 = rawServer(async (conn) => {
    await readRequest(conn);
    await write(conn, "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
  });
  const c2 = new Http1Connection("127.0.0.1", srv2.port);
  try {
    const e = await rejects(c2.get("/"), "network");
    assert.match(e.message, /3 of 10/);
    assert.equal(srv2.accepted(), 1, "a partly received answer is not retried");
  } finally {
    c2.close();
    await srv2.close();
  }
});

Deno.test("http1: chunked framing split byte by byte, with extensions and trailers; body until EOF", async () => {
  const answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n" +
    "5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n";
  const srv = rawServer(async (conn) => {
    for (let i = 0; i < 2; i++) {
      if (await readRequest(conn) === null) return;
      for (const ch of answer) {
        await write(conn, ch);
        await new Promise((r) => setTimeout(r, 0));
      }
    }
    // Third: HTTP/1.0 style, body until close.
    if (await readRequest(conn) === null) return;
    await write(conn, "HTTP/1.0 200 OK\r\n\r\nuntil ");
    await write(conn, "eof");
  });
  const c = new Http1Connection("127.0.0.1", srv.port, { bufferSize: 16 });
  try {
    for (let i = 0; i < 2; i++) assert.equal(dec.decode((await c.get("/")).body), "hello 0123456789");
    assert.equal(dec.decode((await c.get("/")).body), "until eof");
    assert.equal(c.connected, false);
    assert.equal(c.connects, 1);
  } finally {
    c.close();
    await srv.close();
  }
});

Deno.test("http1: malformed answers are protocol errors; the next request reconnects", async () => {
  const answers = [
    "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    "SSH-2.0-OpenSSH\r\n\r\n",
    "HTTP/1.1 200 OK\r\ncontent-length: 5x\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n",
    "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
  ];
  const srv = rawServer(async (conn, n) => {
    if (await readRequest(conn) === null) return;
    await write(conn, answers[n]);
    await readRequest(conn); // keep the connection open until the client closes it
  });
  const c = new Http1Connection("127.0.0.1", srv.port);
  try {
    assert.equal(dec.decode((await c.get("/")).body), "ok");
    c.close(); // each answer below is on its own connection (the client drops one after a protocol error)
    for (let i = 0; i < 4; i++) await rejects(c.get("/"), "protocol");
    assert.equal(dec.decode((await c.get("/")).body), "ok");
    assert.equal(c.connects, 6);
  } finally {
    c.close();
    await srv.close();
  }
});

Deno.test("http1: timeout without an answer -> 'timeout' error in time; the connection recovers", async () => {
  const s = await serve();
  const c = new Http1Connection("127.0.0.1", s.port, { timeoutMs: 5000 });
  try {
    const t0 = performance.now();
    const e = await rejects(c.get("/slow", undefined, 200), "timeout");
    const took = performance.now() - t0;
    assert.ok(took >= 195 && took < 1000, `timed out after ${took.toFixed(0)} ms`);
    assert.match(e.message, /\/slow/);
    assert.equal(c.connected, false);
    // A fast request on the same object: new connection, default timeout applies.
    assert.equal(dec.decode((await c.get("/text?n=9")).body), "hello 9");
    assert.equal(c.connects, 2);
  } finally {
    c.close();
    await s.shutdown();
  }
});

Deno.test("http1: a slow body (chunked, stalls after the first chunk) also times out", async () => {
  const srv = rawServer(async (conn) => {
    await readRequest(conn);
    await write(conn, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n");
    // Until the client closes; after 2 s finish the answer (so a missing timeout fails instead of hanging).
    let t: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((r) => t = setTimeout(r, 2000));
    await Promise.race([readRequest(conn), late]);
    clearTimeout(t);
    await write(conn, "0\r\n\r\n").catch(() => {});
  });
  const c = new Http1Connection("127.0.0.1", srv.port);
  try {
    const t0 = performance.now();
    await rejects(c.get("/", undefined, 150), "timeout");
    assert.ok(performance.now() - t0 < 1000);
  } finally {
    c.close();
    await srv.close();
  }
});

Deno.test("http1: connection refused is a network error; concurrent use is refused", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await rejects(new Http1Connection("127.0.0.1", port).get("/"), "network");

  const s = await serve();
  const c = new Http1Connection("127.0.0.1", s.port);
  try {
    const first = c.get("/text?n=1");
    await assert.rejects(c.get("/text?n=2"), /one request at a time/);
    assert.equal(dec.decode((await first).body), "hello 1");
    // close() during a request fails it (no silent retry on a new connection).
    const slow = c.get("/slow");
    await new Promise((r) => setTimeout(r, 50));
    c.close();
    const e = await rejects(slow, "network");
    assert.match(e.message, /closed by the caller/);
    assert.equal(c.connects, 1);
  } finally {
    c.close();
    await s.shutdown();
  }
});
