// The chat WebSocket under hostile input (issue 16), against the real server (Deno.serve on a random
// port): a seeded corpus of handshakes over raw TCP (paths, Origins, keys, versions, ?since=), of frames
// on open sockets (random JSON, every frame type with wrong fields, nasty text, huge and binary frames,
// floods, moderation frames from the owner), settings bodies, connection churn, and a client that never
// reads. Invariants: no 5xx, no crash, every close from the server is 1003/1008/1009, no error frame
// reporting a server failure, every message shown is clean (no control or bidi characters, at most 500
// characters), and a moderator's canary messages all reach a reader in order, none lost or repeated.
import assert from "node:assert/strict";
import { Jar } from "../http/helpers.ts";
import { serveApp } from "../http/chat_server.ts";
import { ChatClient, type Frame } from "../chat_client.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream } from "../../src/store/streams.ts";
import { updateChatSettings } from "../../src/store/chat.ts";
import { checkSane, count, counts } from "./check.ts";
import { NASTY, nastyOrRandom, prng, randomJson } from "./corpus.ts";
import { rawRequest } from "./raw.ts";

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TYPES = [
  "send",
  "guest",
  "ping",
  "delete",
  "timeout",
  "ban",
  "unban",
  "clear",
  "slow",
  "",
  "SEND",
  "__proto__",
];

Deno.test({
  name: "hardening: chat WebSocket - hostile handshakes, frames, floods, churn, a client that never reads",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const s = await serveApp();
    const { t } = s;
    const port = Number(new URL(s.base).port);
    const sockets: ChatClient[] = [];
    const raws: Deno.Conn[] = [];
    try {
      for (const n of ["sam", "vic", "obs"]) {
        await addUser(t.kv, n, `${n}-password-1`, n === "sam" ? "streamer" : "viewer");
      }
      await createStream(t.kv, "pub", { visibility: "public", owner: "sam" });
      await createStream(t.kv, "priv", { visibility: "private", owner: "sam" });
      await updateChatSettings(t.kv, "pub", { moderators: ["obs"], guests: true });
      const jars: Record<string, Jar> = {};
      for (const n of ["sam", "vic", "obs"]) {
        jars[n] = new Jar(t.app, "127.0.0.1", t.handler);
        assert.equal((await jars[n].login(n, `${n}-password-1`)).status, 303);
      }
      const cookie = (n: string) => [...jars[n].cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      const r = prng(0xc4a7);

      const t0 = Date.now();
      // 1. Handshakes over raw TCP: no 5xx, a 101 only for a well-formed upgrade of a stream one may watch.
      const key = "dGhlIHNhbXBsZSBub25jZQ==";
      for (let i = 0; i < 250; i++) {
        const path = r.next() < 0.5 ? r.pick(["pub", "priv", "none", "pub/x"]) : nastyOrRandom(r, 40);
        const target = `/chat/${encodeURI(path.toWellFormed())}${
          r.next() < 0.3 ? `?since=${encodeURIComponent(nastyOrRandom(r, 20).toWellFormed())}` : ""
        }`;
        const origin = r.next() < 0.6
          ? s.base
          : r.pick(["null", "http://evil.example", "", nastyOrRandom(r, 30)]);
        const k = r.next() < 0.7 ? key : nastyOrRandom(r, 30);
        const v = r.next() < 0.8 ? "13" : r.pick(["8", "", "13, 8", "abc"]);
        const lines = [
          `GET ${target} HTTP/1.1`,
          `Host: localhost:${port}`,
          "Upgrade: websocket",
          r.next() < 0.85 ? "Connection: Upgrade" : "Connection: keep-alive",
          `Sec-WebSocket-Key: ${k}`,
          `Sec-WebSocket-Version: ${v}`,
          `Origin: ${origin}`,
        ];
        if (r.next() < 0.2) {
          lines.push(`Sec-WebSocket-Protocol: ${r.pick(["chat", "a, b", nastyOrRandom(r, 20)])}`);
        }
        if (r.next() < 0.3) {
          lines.push(`Cookie: ${r.pick([cookie("vic"), "lg_session=" + nastyOrRandom(r, 50)])}`);
        }
        const bytes = new TextEncoder().encode(
          [...lines.map((l) => l.replace(/[\r\n]/g, "")), "", ""].join("\r\n"),
        );
        const res = await rawRequest(port, bytes, 150);
        const desc = `handshake ${i} ${JSON.stringify(lines)}`;
        if (!res || (res.status === 400 && !/content-type/i.test(res.head))) {
          count("chat handshake: refused by Deno's HTTP server"); // malformed bytes, before any livegate code
          continue;
        }
        assert.ok(res.status < 500, `${res.status} for ${desc}: ${res.body.slice(0, 200)}`);
        if (res.status === 101) {
          assert.ok(path === "pub" && origin === s.base && k === key && v === "13", `101 for ${desc}`);
        } else {
          assert.ok(res.body.trim().length > 0, `no message: ${res.status} ${res.head} ${desc}`);
          if (res.status !== 404) assert.match(res.body, /"error"/, `no message: ${desc}`);
        }
        count(`chat handshake: ${res.status}`);
      }

      const t1 = Date.now();
      // 2. A client that never reads, from the start, while the rest goes on.
      for (let i = 0; i < 3; i++) {
        const c = await Deno.connect({ hostname: "127.0.0.1", port });
        raws.push(c);
        await c.write(new TextEncoder().encode(
          `GET /chat/pub HTTP/1.1\r\nHost: localhost:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nOrigin: ${s.base}\r\n\r\n`,
        ));
      }

      // 3. The reader and the canary writer (a moderator: exempt from slow mode, cannot be banned).
      const open = (who?: string, since?: number) => {
        const c = new ChatClient(`ws://localhost:${port}/chat/pub${since ? `?since=${since}` : ""}`, {
          cookie: who ? cookie(who) : undefined,
          origin: s.base,
        });
        sockets.push(c);
        return c;
      };
      const reader = open();
      const writer = open("obs");
      await reader.next((f) => f.type === "history");
      await writer.next((f) => f.type === "history");
      const canaries: string[] = [];
      let stop = false;
      const canaryLoop = (async () => {
        for (let i = 0; !stop && i < 40; i++) {
          const text = `canary ${i}`;
          canaries.push(text);
          writer.send({ type: "send", text, ref: text });
          await new Promise((res) => setTimeout(res, 1100)); // within 5 messages / 5 s
        }
      })();

      // 4. Frames: 8 sockets (owner, viewer, guests) take the corpus; a closed one is reopened.
      const who = ["sam", "vic", undefined, undefined, "sam", "vic", undefined, "vic"];
      const fuzz: ChatClient[] = who.map((w) => open(w));
      const closes: number[] = [];
      const frameOf = (): string | Uint8Array => {
        const shape = r.int(9);
        if (shape === 0) return JSON.stringify(randomJson(r));
        if (shape === 1) return nastyOrRandom(r, 200);
        if (shape === 2) {
          return r.pick(["", "{}", "[]", "null", '{"type":null}', "x".repeat(4097), "{".repeat(3000)]);
        }
        if (shape === 3) return crypto.getRandomValues(new Uint8Array(r.int(64)));
        const o: Record<string, unknown> = { type: r.pick(TYPES) };
        const val = () => r.next() < 0.5 ? randomJson(r) : nastyOrRandom(r, 600);
        if (r.next() < 0.8) {
          o.text = r.next() < 0.5 ? nastyOrRandom(r, 600) : r.pick(NASTY) + "x".repeat(r.int(520));
        }
        if (r.next() < 0.5) o.name = val();
        if (r.next() < 0.5) {
          o.id = r.pick([1, -1, 2 ** 60, 1.5, "1", null, reader.messages().at(-1)?.id ?? 0]);
        }
        if (r.next() < 0.5) {
          o.uid = r.pick(["u:vic", "u:sam", "u:obs", "g:0123456789abcdef", "u:", nastyOrRandom(r, 20)]);
        }
        if (r.next() < 0.5) o.minutes = r.pick([1, 0, -5, 1e9, "5", 10080]);
        if (r.next() < 0.5) o.seconds = r.pick([0, 1, 3600, 3601, -1, "2"]);
        if (r.next() < 0.3) o.ref = val();
        return JSON.stringify(o);
      };
      const started = Date.now();
      for (let i = 0; i < 1500; i++) {
        const slot = i % fuzz.length;
        let c = fuzz[slot];
        if (c.ws.readyState >= 2) {
          const { code } = await c.closedP;
          closes.push(code);
          count(`chat close: ${code}`);
          c = fuzz[slot] = open(who[slot]);
        }
        if (c.ws.readyState === 0) await c.opened.catch(() => {});
        if (c.ws.readyState !== 1) continue;
        const f = frameOf();
        c.send(f);
        count("chat frames sent");
        // A frame the server must close for (binary, too big): like a client that reads, this one sends
        // nothing more and waits for the close frame. (A client writing on regardless has its connection
        // reset instead, without a close code to check.)
        if (typeof f !== "string" || f.length > 4096) await Promise.race([c.closedP, sleep(3000)]);
        // ~15 frames/s per socket (the flood limit is 20/s); some bursts go over it on purpose.
        if (slot === fuzz.length - 1) {
          if (i % 400 < 8 && c.ws.readyState === 1) {
            for (let j = 0; j < 25; j++) c.send({ type: "ping" });
            await Promise.race([c.closedP, sleep(3000)]);
          }
          await sleep(65);
        }
      }
      count("chat fuzz seconds", Math.round((Date.now() - started) / 1000));
      count("chat handshake seconds", Math.round((started - t0) / 1000));

      // 5. Churn: 100 sockets open and go at once.
      const churn = Array.from({ length: 100 }, () => open());
      await Promise.allSettled(churn.map((c) => c.opened));
      await Promise.all(churn.map((c) => c.close()));

      // 6. Settings bodies through the API (owner, with CSRF).
      for (let i = 0; i < 200; i++) {
        const body = r.next() < 0.7
          ? JSON.stringify(
            r.next() < 0.5 ? randomJson(r) : {
              [r.pick(["moderators", "guests", "slowSeconds", "blockedWords", "x"])]: randomJson(r),
            },
          )
          : nastyOrRandom(r, 100);
        const res = await jars.sam.req(
          `/api/chat/${r.next() < 0.8 ? "pub" : encodeURIComponent(nastyOrRandom(r, 20).toWellFormed())}`,
          {
            method: "PATCH",
            headers: {
              "content-type": r.next() < 0.9 ? "application/json" : "text/plain",
              "x-csrf-token": jars.sam.cookies.get("lg_csrf")!,
              origin: "http://localhost",
            },
            body,
          },
        );
        await checkSane(res, `PATCH /api/chat ${body.slice(0, 80)}`, "PATCH");
        count(`chat settings: ${res.status}`);
      }
      // Put pub back the way the canaries need it (the fuzz may have changed who moderates).
      await updateChatSettings(t.kv, "pub", {
        moderators: ["obs"],
        guests: true,
        slowSeconds: 0,
        blockedWords: [],
      });

      stop = true;
      await canaryLoop;
      count("chat total seconds", Math.round((Date.now() - t0) / 1000));
      count("chat until canaries seconds", Math.round((Date.now() - t1) / 1000));
      const last = canaries.at(-1)!;
      // A canary refused for a reason the fuzz caused (a blocked word from a random settings body) is
      // reported to its writer: count what the writer was told, and what the reader got.
      await new Promise((res) => setTimeout(res, 500));
      const refused = new Set(writer.frames.filter((f) => f.type === "error").map((f) => f.ref as string));
      const wanted = canaries.filter((c) => !refused.has(c));
      assert.ok(wanted.length >= canaries.length - 2, `canaries refused: ${[...refused].join(", ")}`);
      const seen = reader.frames.filter((f) => f.type === "message" && /^canary \d+$/.test(String(f.text)));
      if (!refused.has(last)) await reader.next((f) => f.type === "message" && f.text === last, 15_000);
      const got = reader.frames.filter((f) => f.type === "message" && /^canary \d+$/.test(String(f.text)))
        .map((f) => f.text as string);
      assert.deepEqual(got, wanted, "every canary once, in order");
      assert.ok(seen.length <= got.length);

      // Invariants over everything the reader saw.
      for (const f of reader.frames) {
        if (f.type === "message") {
          const text = f.text as string;
          assert.ok(
            !CONTROL.test(text) && !CONTROL.test(f.user as string),
            `control/bidi shown: ${JSON.stringify(f)}`,
          );
          assert.ok([...text].length <= 500, "over 500 characters");
        }
      }
      for (const c of [...fuzz, reader, writer]) {
        for (const f of c.frames as Frame[]) {
          assert.ok(
            !(f.type === "error" && /right now/.test(String(f.reason))),
            `server failure: ${JSON.stringify(f)}`,
          );
        }
      }
      for (const code of closes) assert.ok([1003, 1008, 1009].includes(code), `close code ${code}`);
      assert.equal(reader.ws.readyState, 1, "the reader was never dropped");
      const health = await fetch(`${s.base}/health`);
      assert.equal(await health.text(), "OK");
      console.log(
        JSON.stringify(Object.fromEntries(Object.entries(counts).filter(([k]) => k.startsWith("chat")))),
      );
    } finally {
      for (const c of raws) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      for (const c of sockets) await Promise.race([c.close(), new Promise((res) => setTimeout(res, 500))]);
      await s.close();
    }
  },
});
