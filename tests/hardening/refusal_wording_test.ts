// Issue 25 (low): refusals must not tell whether a stream exists. An anonymous caller gets one answer (same
// status, same text) for unlisted, private and nonexistent streams; a logged-in caller one answer for "no such
// stream" and "not for you" (a private stream whose viewer list leaves them out, a stream they may not
// manage), on every surface: player page, HLS, WHEP/WHIP, media info, recordings, go-live, the stream admin
// page and the stream API. In-process (answers are decided before any upstream call).
import assert from "node:assert/strict";
import { Jar, testApp } from "../http/helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream } from "../../src/store/streams.ts";
import { NO_LOGIN, NOT_FOR_YOU } from "../../src/auth/permissions.ts";
import { api } from "./api.ts";

/** Every surface that names a stream in its URL, with the method and body it takes. */
const SURFACES: [string, string, unknown?][] = [
  ["GET", "/watch/<p>"],
  ["GET", "/watch/<p>?share=abc.def.ghijklmnopqrstuvwxyz0123"],
  ["GET", "/hls/<p>/index.m3u8"],
  ["GET", "/hls/<p>/index.m3u8?share=abc.def.ghijklmnopqrstuvwxyz0123"],
  ["GET", "/api/streams/<p>/media"],
  ["POST", "/whep/<p>", "v=0\r\n"],
  ["POST", "/whip/<p>", "v=0\r\n"],
  ["GET", "/recordings/<p>"],
  ["GET", "/api/recordings/<p>"],
  ["GET", "/recordings/<p>/media?start=2026-01-01T00:00:00Z&duration=5"],
  ["GET", "/go-live/<p>"],
  ["GET", "/admin/streams/<p>"],
  ["GET", "/api/streams/<p>"],
  ["PATCH", "/api/streams/<p>", { title: "x" }],
  ["GET", "/api/streams/<p>/shares"],
  ["POST", "/api/streams/<p>/shares", { hours: 1 }],
  ["GET", "/api/streams/<p>/keys"],
  ["GET", "/api/streams/<p>/live"],
  ["POST", "/api/streams/<p>/kick"],
];

/** The answer to `surface` for path `p`, with the path name blanked out: "status location body". */
async function answer(j: Jar, [method, url, body]: [string, string, unknown?], p: string): Promise<string> {
  const path = url.replace("<p>", p);
  let r;
  if (method === "GET") r = await j.req(path);
  else if (typeof body === "string") {
    r = await j.req(path, {
      method,
      headers: { "content-type": "application/sdp", "x-csrf-token": j.cookies.get("lg_csrf") ?? "" },
      body,
    });
  } else {
    const a = await api(j, method, path, body);
    return `${a.status} ${JSON.stringify(a.body)}`.replaceAll(p, "<p>");
  }
  const text = await r.text();
  const where = r.headers.get("location") ?? "";
  // Pages carry a fresh CSRF token each time; it is not about the stream.
  const clean = text.replace(/csrf[^"]*"[^"]*"/g, "csrf").replaceAll(p, "<p>");
  return `${r.status} ${where.replaceAll(p, "<p>")} ${clean}`;
}

Deno.test("hardening: refusals say the same for unlisted, private and nonexistent streams (anonymous)", async () => {
  const t = await testApp();
  try {
    await createStream(t.kv, "unl", { visibility: "unlisted" });
    await createStream(t.kv, "priv", { visibility: "private" });
    await createStream(t.kv, "club", { visibility: "private", allow: ["someone"] });
    const anon = new Jar(t.app, "198.51.100.70", t.handler);
    let compared = 0;
    for (const s of SURFACES) {
      const ref = await answer(anon, s, "ghost");
      assert.match(ref, /^(302|401|403) /, `${s[1]}: ${ref.slice(0, 120)}`);
      for (const p of ["unl", "priv", "club"]) {
        assert.equal(await answer(anon, s, p), ref, `${s[0]} ${s[1]} for '${p}' vs a nonexistent stream`);
        compared++;
      }
    }
    assert.equal(compared, SURFACES.length * 3);
    const hls = await anon.req("/hls/unl/index.m3u8");
    assert.deepEqual(await hls.json(), { error: NO_LOGIN });
  } finally {
    t.close();
  }
});

Deno.test("hardening: logged-in users get one answer for 'no such stream' and 'not for you'", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "vic", "vic-password-123", "viewer");
    await addUser(t.kv, "olga", "olga-password-123", "streamer");
    await addUser(t.kv, "sam", "sam-password-123", "streamer");
    await createStream(t.kv, "club", { visibility: "private", allow: ["someone"], owner: "sam" });
    await createStream(t.kv, "club2", { visibility: "unlisted", allow: ["someone"] });
    for (const [who, pw] of [["vic", "vic-password-123"], ["olga", "olga-password-123"]]) {
      const j = new Jar(t.app, "192.0.2.80", t.handler);
      assert.equal((await j.login(who, pw)).status, 303);
      for (const s of SURFACES) {
        const ref = await answer(j, s, "ghost");
        assert.match(ref, /^(400|403) /, `${who} ${s[1]}: ${ref.slice(0, 160)}`);
        for (const p of ["club", "club2"]) {
          assert.equal(
            await answer(j, s, p),
            ref,
            `${who}: ${s[0]} ${s[1]} for '${p}' vs a nonexistent stream`,
          );
        }
      }
      const hls = await j.req("/hls/club/index.m3u8");
      assert.equal(hls.status, 403);
      assert.deepEqual(await hls.json(), { error: NOT_FOR_YOU });
    }
  } finally {
    t.close();
  }
});
