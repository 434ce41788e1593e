// Live chat over a real WebSocket (issue 16): the app served on a random port, Deno's WebSocket as the
// client. Who may connect (refused before the upgrade: 401 private without a session, 403 cross-site
// Origin), who may write, history and resume without gap or duplicate, moderation (delete, timeout, ban,
// slow mode, blocked words, clear) with audit entries, and the close codes for bad frames.
import assert from "node:assert/strict";
import { Jar, PASSWORD } from "./helpers.ts";
import { serveApp } from "./chat_server.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream } from "../../src/store/streams.ts";
import { listAudit } from "../../src/store/audit.ts";
import { createShare, revokeShare } from "../../src/store/shares.ts";
import { ChatClient, type Frame } from "../chat_client.ts";

const isMsg = (text: string) => (f: Frame) => f.type === "message" && f.text === text;

Deno.test("chat: access before the upgrade, writing, history, resume, moderation, bad frames", async () => {
  const s = await serveApp();
  const { t } = s;
  const open: ChatClient[] = [];
  const ws = (...a: Parameters<typeof s.ws>) => {
    const c = s.ws(...a);
    open.push(c);
    return c;
  };
  try {
    await addUser(t.kv, "sam", "sam-password-1", "streamer");
    await addUser(t.kv, "vic", "vic-password-1", "viewer");
    await addUser(t.kv, "wes", "wes-password-1", "viewer");
    await createStream(t.kv, "pub", { visibility: "public", owner: "sam" });
    await createStream(t.kv, "priv", { visibility: "private", owner: "sam", allow: ["vic"] });
    const jar = async (name: string, pw: string) => {
      const j = new Jar(t.app, "127.0.0.1", t.handler);
      assert.equal((await j.login(name, pw)).status, 303);
      return j;
    };
    const sam = await jar("sam", "sam-password-1");
    const vic = await jar("vic", "vic-password-1");
    const wes = await jar("wes", "wes-password-1");
    const admin = await jar("admin", PASSWORD);

    // Refused before the upgrade (plain HTTP answers, no 101): private without a session, a logged-in
    // user not on the allow-list, a cross-site Origin, no Origin.
    const upgrade = async (path: string, j?: Jar, origin: string | null = s.origin) => {
      const headers: Record<string, string> = { upgrade: "websocket", connection: "Upgrade" };
      if (origin) headers.origin = origin;
      if (j) headers.cookie = [...j.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      const r = await fetch(`${s.base}/chat/${path}`, { headers });
      const body = await r.json();
      return { status: r.status, body };
    };
    const noSession = await upgrade("priv");
    assert.equal(noSession.status, 401, JSON.stringify(noSession.body));
    assert.equal(noSession.body.error, "login required");
    assert.equal((await upgrade("priv", wes)).status, 403);
    assert.equal((await upgrade("pub", vic, "https://evil.example")).status, 403);
    assert.equal((await upgrade("pub", vic, null)).status, 403);
    const refusedWs = ws("priv");
    await assert.rejects(refusedWs.opened);

    // vic (viewer) writes, sam (owner) reads it live; anonymous reads but may not write.
    const cs = ws("pub", sam);
    const cv = ws("pub", vic);
    const ca = ws("pub");
    const hello = await cs.next((f) => f.type === "hello");
    assert.equal((hello.you as Frame).role, "owner");
    assert.equal((hello.you as Frame).canModerate, true);
    const vh = await cv.next((f) => f.type === "hello");
    assert.equal((vh.you as Frame).canWrite, true);
    assert.equal((vh.you as Frame).canModerate, false);
    const ah = await ca.next((f) => f.type === "hello");
    assert.equal((ah.you as Frame).canWrite, false);
    assert.equal((ah.you as Frame).writeReason, "log in to write in this chat");
    await cv.next((f) => f.type === "history");
    cv.send({ type: "send", text: "hello <b>all</b> 👋" });
    const got = await cs.next(isMsg("hello <b>all</b> 👋"));
    assert.equal(got.user, "vic");
    assert.equal(got.uid, "u:vic");
    await ca.next(isMsg("hello <b>all</b> 👋"));
    ca.send({ type: "send", text: "anon here", ref: "r1" });
    const anonErr = await ca.next((f) => f.type === "error");
    assert.equal(anonErr.reason, "log in to write in this chat");
    assert.equal(anonErr.ref, "r1");

    // Text rules: control characters and bidi overrides removed, 500 characters at most.
    cv.send({ type: "send", text: "a\u202egnp.exe\u0007\nb" });
    await cs.next(isMsg("a gnp.exe b"));
    cv.send({ type: "send", text: "x".repeat(501), ref: "long" });
    assert.match((await cv.next((f) => f.type === "error" && f.ref === "long")).reason as string, /too long/);

    // Rate limit: 5 messages in 5 s (two sent so far count).
    for (let i = 0; i < 5; i++) cv.send({ type: "send", text: `burst ${i}`, ref: `b${i}` });
    const limited = await cv.next((f) => f.type === "error" && String(f.ref).startsWith("b"));
    assert.match(limited.reason as string, /slow down/);

    // Resume: ca leaves after the last message it saw; two are posted; it comes back with ?since=.
    const seen = ca.messages();
    const last = seen.at(-1)!.id as number;
    await ca.close();
    cs.send({ type: "send", text: "while away 1" });
    cs.send({ type: "send", text: "while away 2" });
    await cv.next(isMsg("while away 2"));
    const back = ws("pub", undefined, { since: last });
    const hist = await back.next((f) => f.type === "history");
    const texts = (hist.messages as Frame[]).map((m) => m.text);
    assert.deepEqual(texts, ["while away 1", "while away 2"], "exactly what was missed");
    const all = [...seen, ...back.messages()];
    assert.equal(new Set(all.map((m) => m.id)).size, all.length, "no duplicate");
    assert.deepEqual(all.map((m) => m.text), cs.messages().map((m) => m.text), "no gap");

    // A fresh join gets the history.
    const fresh = ws("pub", wes);
    const fh = await fresh.next((f) => f.type === "history");
    assert.ok((fh.messages as Frame[]).some((m) => m.text === "while away 2"));

    // Moderation: only moderators; the owner deletes, everyone loses it; a timeout refuses with the reason.
    const victim = cs.messages().find((m) => m.text === "hello <b>all</b> 👋")!;
    cv.send({ type: "delete", id: victim.id });
    assert.equal(
      (await cv.next((f) => f.type === "error" && /moderators/.test(String(f.reason)))).type,
      "error",
    );
    cs.send({ type: "delete", id: victim.id });
    await cv.next((f) => f.type === "delete" && f.id === victim.id);
    await back.next((f) => f.type === "delete" && f.id === victim.id);
    assert.ok(!cv.messages().some((m) => m.id === victim.id));
    // A resume from before the deletion learns it.
    const late = ws("pub", undefined, { since: victim.id as number });
    const lh = await late.next((f) => f.type === "history");
    assert.ok((lh.deleted as number[]).includes(victim.id as number));
    assert.ok(!(lh.messages as Frame[]).some((m) => m.id === victim.id));

    cs.send({ type: "timeout", uid: "u:vic", minutes: 5 });
    const you = await cv.next((f) => f.type === "you" && f.canWrite === false);
    assert.match(you.writeReason as string, /timed out for 5 more minute/);
    const n = cv.frames.length;
    cv.send({ type: "send", text: "am I muted?", ref: "m" });
    assert.match(
      (await cv.next((f) => f.type === "error" && f.ref === "m", 10_000, n)).reason as string,
      /timed out/,
    );
    // Moderators cannot be timed out; admins moderate any stream.
    const cad = ws("pub", admin);
    assert.equal(((await cad.next((f) => f.type === "hello")).you as Frame).role, "admin");
    cs.send({ type: "ban", uid: "u:admin" });
    await cs.next((f) => f.type === "error" && /moderators cannot/.test(String(f.reason)));
    cad.send({ type: "unban", uid: "u:vic" });
    await cv.next((f) => f.type === "you" && f.canWrite === true);
    cad.send({ type: "ban", uid: "u:wes" });
    await fresh.next((f) => f.type === "you" && f.writeReason === "you are banned from this chat");

    // The owner appoints wes as moderator (PATCH /api/chat, CSRF), who then may moderate; and lifts the ban.
    const csrf = sam.cookies.get("lg_csrf")!;
    const patch = (j: Jar, body: unknown, token = csrf) =>
      j.req("/api/chat/pub", {
        method: "PATCH",
        headers: { "content-type": "application/json", "x-csrf-token": token, origin: "http://localhost" },
        body: JSON.stringify(body),
      });
    assert.equal((await patch(vic, { slowSeconds: 3 }, vic.cookies.get("lg_csrf"))).status, 403);
    assert.equal((await patch(sam, { slowSeconds: 3 }, "wrong")).status, 403);
    assert.equal((await patch(sam, { slowSeconds: -1 })).status, 400);
    const ok = await patch(sam, { moderators: ["wes"], blockedWords: ["Spoiler"] });
    assert.equal(ok.status, 200, await ok.clone().text());
    await fresh.next((f) => f.type === "you" && f.canModerate === true && f.role === "moderator");
    fresh.send({ type: "unban", uid: "u:wes" });
    await fresh.next((f) => f.type === "you" && f.canWrite === true);
    // Blocked words.
    fresh.send({ type: "send", text: "big SPOILER ahead", ref: "sp" });
    assert.match((await fresh.next((f) => f.ref === "sp")).reason as string, /not allowed/);
    // Slow mode through the socket (moderators are exempt).
    fresh.send({ type: "slow", seconds: 30 });
    await cv.next((f) => f.type === "settings" && f.slowSeconds === 30);
    const k = cv.frames.length;
    await new Promise((r) => setTimeout(r, 5100)); // out of the rate-limit window
    // vic's last message was less than 30 s ago.
    cv.send({ type: "send", text: "slow 1", ref: "s1" });
    assert.match(
      (await cv.next((f) => f.ref === "s1", 10_000, k)).reason as string,
      /slow mode: one message every 30 s/,
    );
    // Clear.
    fresh.send({ type: "clear" });
    const cl = await cs.next((f) => f.type === "clear");
    assert.ok((cl.through as number) >= (victim.id as number));
    assert.equal(cs.messages().length, 0);
    const afterClear = ws("pub");
    assert.equal(((await afterClear.next((f) => f.type === "history")).messages as Frame[]).length, 0);

    // Every moderation action is in the audit log.
    const actions = (await listAudit(t.kv)).map((a) => `${a.actor} ${a.action}`);
    for (
      const want of [
        "sam chat.delete",
        "sam chat.timeout",
        "admin chat.unban",
        "admin chat.ban",
        "sam chat.settings",
        "wes chat.slow",
        "wes chat.clear",
      ]
    ) assert.ok(actions.includes(want), `audit has '${want}': ${actions.join(", ")}`);

    // Access taken away ends the socket: pub becomes private with an allow-list without vic.
    const r = await sam.req("/api/streams/pub", {
      method: "PATCH",
      headers: { "content-type": "application/json", "x-csrf-token": csrf, origin: "http://localhost" },
      body: JSON.stringify({ visibility: "private", allow: ["wes"] }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    const closed = await cv.closedP;
    assert.equal(closed.code, 1008);
    assert.equal((await afterClear.closedP).code, 1008);

    // Bad frames: invalid JSON and unknown types get error frames; binary 1003; too big 1009; a flood 1008.
    const bad = ws("pub", wes);
    await bad.next((f) => f.type === "history");
    bad.send("{not json");
    assert.equal((await bad.next((f) => f.type === "error")).reason, "invalid JSON");
    bad.send({ type: "nope" });
    await bad.next((f) => f.type === "error" && f.reason === "unknown frame type");
    bad.ws.send(new Uint8Array([1, 2, 3]));
    assert.equal((await bad.closedP).code, 1003);
    const big = ws("pub", wes);
    await big.next((f) => f.type === "history");
    big.send("x".repeat(5000));
    assert.equal((await big.closedP).code, 1009);
    const flood = ws("pub", wes);
    await flood.next((f) => f.type === "history");
    for (let i = 0; i < 40; i++) flood.send({ type: "ping" });
    const fc = await flood.closedP;
    assert.equal(fc.code, 1008);
    // The others are unaffected.
    cs.send({ type: "send", text: "still here" });
    await fresh.next(isMsg("still here"));
  } finally {
    for (const c of open) await Promise.race([c.close(), new Promise((r) => setTimeout(r, 1000))]);
    await s.close();
  }
});

Deno.test("chat: guests write under a chosen name only when the owner allows it; names shown inert", async () => {
  const s = await serveApp();
  const { t } = s;
  const open: ChatClient[] = [];
  const ws = (...a: Parameters<typeof s.ws>) => {
    const c = s.ws(...a);
    open.push(c);
    return c;
  };
  try {
    await addUser(t.kv, "sam", "sam-password-1", "streamer");
    await createStream(t.kv, "pub", { visibility: "public", owner: "sam" });
    const sam = new Jar(t.app, "127.0.0.1", t.handler);
    assert.equal((await sam.login("sam", "sam-password-1")).status, 303);
    const owner = ws("pub", sam);
    await owner.next((f) => f.type === "history");
    const g = ws("pub");
    await g.next((f) => f.type === "history");
    g.send({ type: "guest", name: "Bob" });
    assert.equal((await g.next((f) => f.type === "error")).reason, "guests may not write in this chat");

    const r = await sam.req("/api/chat/pub", {
      method: "PATCH",
      headers: {
        "content-type": "application/json",
        "x-csrf-token": sam.cookies.get("lg_csrf")!,
        origin: "http://localhost",
      },
      body: JSON.stringify({ guests: true }),
    });
    assert.equal(r.status, 200);
    await g.next((f) => f.type === "settings" && f.guests === true);
    const n = g.frames.length;
    for (const bad of ["<img src=x>", "a\u202eb", "x", "sam"]) g.send({ type: "guest", name: bad });
    await g.next(() => g.frames.slice(n).filter((f) => f.type === "error").length >= 4);
    const errs = g.frames.slice(n).filter((f) => f.type === "error").map((f) => f.reason as string);
    assert.ok(errs.filter((e) => /guest name is 2-24/.test(e)).length === 3, errs.join(" | "));
    assert.ok(errs.includes("that name belongs to a user; choose another"), errs.join(" | "));
    g.send({ type: "guest", name: "Bob the Guest" });
    const you = await g.next((f) => f.type === "you" && f.canWrite === true);
    assert.equal(you.role, "guest");
    assert.match(you.uid as string, /^g:[0-9a-f]{16}$/);
    g.send({ type: "send", text: "hi from a guest" });
    const m = await owner.next((f) => f.type === "message" && f.text === "hi from a guest");
    assert.equal(m.user, "Bob the Guest");
    assert.equal(m.role, "guest");
    // The owner bans the guest (by their id, which follows the address, not the name).
    owner.send({ type: "ban", uid: m.uid });
    await g.next((f) => f.type === "you" && f.canWrite === false);
    g.send({ type: "guest", name: "Another Name" });
    const again = await g.next((f) => f.type === "you" && f.user === "Another Name");
    assert.equal(again.canWrite, false);
    assert.equal(again.writeReason, "you are banned from this chat");
  } finally {
    for (const c of open) await Promise.race([c.close(), new Promise((r) => setTimeout(r, 1000))]);
    await s.close();
  }
});

Deno.test("chat: a share-link viewer reads but does not write; revocation and logout close the socket", async () => {
  const s = await serveApp();
  const { t } = s;
  const open: ChatClient[] = [];
  try {
    await addUser(t.kv, "sam", "sam-password-1", "streamer");
    await createStream(t.kv, "unl", { visibility: "unlisted", owner: "sam" });
    const share = await createShare(t.kv, "unl", { hours: 1, createdBy: "sam" });
    const port = new URL(s.base).port;
    // No link: refused before the upgrade.
    const plain = new ChatClient(`ws://localhost:${port}/chat/unl`, { origin: s.base });
    open.push(plain);
    await assert.rejects(plain.opened);
    // The link as the player page keeps it (the lg_share cookie).
    const viewer = new ChatClient(`ws://localhost:${port}/chat/unl`, {
      origin: s.base,
      cookie: `lg_share=${share.token}`,
    });
    open.push(viewer);
    const hello = await viewer.next((f) => f.type === "hello");
    assert.equal((hello.you as Frame).canWrite, false);
    assert.equal((hello.you as Frame).writeReason, "log in to write in this chat");
    viewer.send({ type: "send", text: "hi", ref: "x" });
    assert.equal((await viewer.next((f) => f.ref === "x")).reason, "log in to write in this chat");
    await revokeShare(t.kv, "unl", share.share.id);
    assert.equal((await viewer.closedP).code, 1008);
    // Logging out ends the logged-in user's socket ("your login session ended").
    const sam = new Jar(t.app, "127.0.0.1", t.handler);
    assert.equal((await sam.login("sam", "sam-password-1")).status, 303);
    const own = s.ws("unl", sam);
    open.push(own);
    await own.next((f) => f.type === "history");
    assert.equal((await sam.logout()).status, 303);
    assert.deepEqual(await own.closedP, { code: 1008, reason: "your login session ended" });
  } finally {
    for (const c of open) await Promise.race([c.close(), new Promise((r) => setTimeout(r, 1000))]);
    await s.close();
  }
});
