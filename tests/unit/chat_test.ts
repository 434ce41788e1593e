// Chat pieces without a server (issue 16): text cleaning, blocked words, frame parsing, the door's chat
// rules, the room's history/resume bookkeeping and limits, and a client that does not read being dropped.
import assert from "node:assert/strict";
import { cleanGuestName, cleanText, hasBlockedWord } from "../../src/chat/text.ts";
import { parseClientFrame } from "../../src/chat/protocol.ts";
import { chatWriteRule, moderateRule } from "../../src/auth/permissions.ts";
import { Room } from "../../src/chat/room.ts";
import { ChatHub, type Socket } from "../../src/chat/hub.ts";
import { LocalFanout, SLICE } from "../../src/chat/fanout.ts";
import { Access } from "../../src/auth/access.ts";
import { PublishTickets } from "../../src/auth/publish-tickets.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { storeOf } from "../../src/store/kv.ts";
import { createStream, type Stream } from "../../src/store/streams.ts";
import type { User } from "../../src/store/users.ts";
import { MAX_MESSAGES, validateChatPatch } from "../../src/store/chat.ts";

Deno.test("chat text: cleaned, bounded, inert", () => {
  assert.deepEqual(cleanText("  hi\u202e there\u0000\n "), { text: "hi there" });
  assert.deepEqual(cleanText("\u2066\u2069"), { error: "empty message" });
  assert.deepEqual(cleanText("é".normalize("NFD")), { text: "é" });
  assert.deepEqual(
    cleanText("😀".repeat(500)),
    { text: "😀".repeat(500) },
    "500 code points, 1000 code units",
  );
  assert.ok("error" in cleanText("a".repeat(501)));
  assert.deepEqual(cleanText("<b>x</b>"), { text: "<b>x</b>" }, "markup kept as text");
  assert.deepEqual(cleanGuestName(" Bob  Smith "), { name: "Bob Smith" });
  for (const bad of ["<b>", "a", "x\u202ey", "a\nb", "x".repeat(25), 5]) {
    assert.ok("error" in cleanGuestName(bad));
  }
  assert.equal(hasBlockedWord("what a SPOILER!", ["spoiler"]), true);
  assert.equal(hasBlockedWord("first class", ["ass"]), false, "whole words");
  assert.equal(hasBlockedWord("ｓｐｏｉｌｅｒ", ["spoiler"]), true, "NFKC");
  assert.equal(hasBlockedWord("x", []), false);
});

Deno.test("chat frames: parsed or a reason", () => {
  assert.deepEqual(parseClientFrame('{"type":"send","text":"hi","ref":"1"}'), {
    type: "send",
    text: "hi",
    ref: "1",
  });
  assert.deepEqual(parseClientFrame('{"type":"timeout","uid":"u:vic","minutes":5}'), {
    type: "timeout",
    uid: "u:vic",
    minutes: 5,
  });
  for (
    const [raw, reason] of [
      ["{", "invalid JSON"],
      ["[]", "a frame is a JSON object"],
      ["null", "a frame is a JSON object"],
      ['{"type":"x"}', "unknown frame type"],
      ['{"type":"send","text":1}', "send needs a text"],
      ['{"type":"delete","id":-1}', "delete needs a message id"],
      ['{"type":"timeout","uid":"vic","minutes":5}', "timeout needs a uid"],
      ['{"type":"timeout","uid":"u:vic","minutes":1e9}', "minutes must be 1-10080"],
      ['{"type":"slow","seconds":1.5}', "seconds must be 0-3600"],
      ['{"type":"__proto__"}', "unknown frame type"],
    ]
  ) assert.deepEqual(parseClientFrame(raw), { error: reason }, raw);
});

const user = (name: string, role: User["role"] = "viewer"): User => ({
  name,
  role,
  disabled: false,
  // deno-lint-ignore no-explicit-any
} as any);
const stream: Stream = { path: "s", title: "", visibility: "public", owner: "sam", allow: [], created: 0 };

Deno.test("chat rules: moderators, guests, bans", () => {
  const mods = { moderators: ["mo"], guests: false };
  assert.equal(moderateRule(user("sam", "streamer"), stream, []).allow, true);
  assert.deepEqual(moderateRule(user("mo"), stream, ["mo"]), {
    allow: true,
    via: "moderator",
    reason: "moderator",
  });
  assert.equal(moderateRule(user("vic"), stream, ["mo"]).allow, false);
  assert.equal(moderateRule(null, stream, ["mo"]).allow, false);
  assert.equal(moderateRule({ ...user("mo"), disabled: true }, stream, ["mo"]).allow, false);
  const now = 1_000_000;
  assert.equal(chatWriteRule(user("vic"), stream, mods, null, undefined, now).allow, true);
  const t = chatWriteRule(user("vic"), stream, mods, { until: now + 90_000 }, undefined, now);
  assert.deepEqual(t, { allow: false, status: 403, reason: "you are timed out for 2 more minute(s)" });
  assert.equal(chatWriteRule(user("mo"), stream, mods, { until: null }, undefined, now).allow, true);
  assert.equal(chatWriteRule(null, stream, mods, null, "Bob", now).allow, false, "guests off by default");
  const guests = { ...mods, guests: true };
  assert.equal(chatWriteRule(null, stream, guests, null, undefined, now).allow, false, "a name is needed");
  assert.deepEqual(chatWriteRule(null, stream, guests, null, "Bob", now), {
    allow: true,
    via: "guest",
    reason: "guest",
  });
  assert.equal(chatWriteRule(null, stream, guests, { until: null }, "Bob", now).allow, false);
  assert.throws(() => validateChatPatch({ slowSeconds: 4000 }));
  assert.throws(() => validateChatPatch({ moderators: ["a b"] }));
  assert.throws(() => validateChatPatch({ other: 1 }));
  assert.deepEqual(validateChatPatch({ blockedWords: " Foo ,foo,\nBAR" }), { blockedWords: ["bar", "foo"] });
});

Deno.test("chat room: ids increase, bounded history, resume, limits", async () => {
  const store = storeOf(await Deno.openKv(":memory:"));
  const clock = new ManualClock(1_000_000);
  try {
    const room = new Room("s", store, clock);
    await room.ready;
    const a = room.nextId();
    clock.t -= 5000; // the clock steps back: ids still increase
    const b = room.nextId();
    assert.ok(b > a);
    for (let i = 0; i < MAX_MESSAGES + 10; i++) {
      room.add({ id: room.nextId(), uid: "u:x", user: "x", role: "", text: String(i), at: clock.now() });
    }
    assert.equal(room.messages.length, MAX_MESSAGES);
    assert.equal(room.messages[0].text, "10");
    const mid = room.messages[200].id;
    const h = room.history(mid);
    assert.equal(h.messages.length, MAX_MESSAGES - 201);
    assert.equal(h.complete, true);
    assert.equal(room.history(a).complete, false, "resuming from before what was dropped");
    assert.equal(room.history(null).messages.length, 100);
    // Stored in batches behind the live delivery: a room loaded again (a restart) has the same history.
    await room.serial(() => room.flush());
    const again = new Room("s", store, clock);
    await again.ready;
    assert.deepEqual(again.messages.map((m) => m.id), room.messages.map((m) => m.id));
    let kept = 0;
    for await (const _ of store.kv.list({ prefix: ["chat_msg", "s"] })) kept++;
    assert.equal(kept, MAX_MESSAGES, "the dropped ones are deleted from KV too");
    // Rate limit and slow mode.
    for (let i = 0; i < 5; i++) assert.equal(room.admit("u:v", false), null);
    assert.match(room.admit("u:v", false)!, /slow down/);
    clock.advance(10_001);
    room.settings = { ...room.settings, slowSeconds: 10 };
    assert.equal(room.admit("u:v", false), null);
    clock.advance(1000);
    assert.match(room.admit("u:v", false)!, /slow mode: one message every 10 s \(wait 9 s\)/);
    assert.equal(room.admit("u:v", true), null, "moderators are exempt from slow mode");
  } finally {
    store.kv.close();
  }
});

Deno.test("chat hub: a client that does not read is dropped (1008), the others keep getting frames", async () => {
  const store = storeOf(await Deno.openKv(":memory:"));
  const clock = new ManualClock();
  const access = new Access({ store, tickets: new PublishTickets(clock), clock });
  const hub = new ChatHub({ store, access, clock, log: () => {} });
  try {
    await createStream(store, "s", { visibility: "public" });
    const sock = (buffered: number) => {
      const s = {
        readyState: 1,
        bufferedAmount: buffered,
        sent: [] as string[],
        closedWith: 0,
        send(d: string) {
          s.sent.push(d);
        },
        close(code?: number) {
          s.closedWith = code ?? 0;
          s.readyState = 3;
        },
      };
      return s;
    };
    const info = { path: "s", ip: "1", since: null, guestUid: "g:0000000000000000" };
    const good = sock(0);
    const stuck = sock(0);
    await hub.open(good as Socket, { ...info, actorNow: () => Promise.resolve({ kind: "anonymous" }) });
    await hub.open(stuck as Socket, { ...info, actorNow: () => Promise.resolve({ kind: "anonymous" }) });
    assert.equal(hub.fanout.count("s"), 2);
    stuck.bufferedAmount = 1 << 20;
    hub.fanout.publish("s", '{"type":"x"}');
    assert.equal(stuck.closedWith, 1008);
    assert.equal(hub.fanout.count("s"), 1);
    hub.fanout.publish("s", '{"type":"y"}');
    assert.deepEqual(good.sent.slice(-2), ['{"type":"x"}', '{"type":"y"}']);
  } finally {
    hub.close();
    store.kv.close();
  }
});

Deno.test("chat fan-out: big rooms get frames in slices, in order, each to the members it had", async () => {
  const f = new LocalFanout();
  const frame = (i: number) => JSON.stringify({ type: "message", id: i });
  // What a member got, batches unpacked; and how many sends it took.
  const member = () => {
    const m = { ids: [] as number[], sends: 0, deliver: (_x: string) => {} };
    m.deliver = (x: string) => {
      m.sends++;
      const v = JSON.parse(x);
      for (const y of v.type === "batch" ? v.frames : [v]) m.ids.push(y.id);
    };
    return m;
  };
  const got = Array.from({ length: SLICE * 3 + 7 }, member);
  for (const g of got) f.join("s", g);
  for (let i = 0; i < 5; i++) f.publish("s", frame(i));
  // Slices yield to the event loop: not everyone has everything at once.
  assert.ok(got.at(-1)!.ids.length < 5);
  const late = member();
  f.join("s", late);
  f.publish("s", frame(5));
  while (got.at(-1)!.ids.length < 6) await new Promise((r) => setTimeout(r, 1));
  for (const g of got) assert.deepEqual(g.ids, [0, 1, 2, 3, 4, 5]);
  // The frames that queued behind the first went out together (one batch), not one send each.
  assert.ok(got.at(-1)!.sends <= 3, `sends: ${got.at(-1)!.sends}`);
  assert.deepEqual(late.ids, [5], "a member that joined later gets only what was published after");
  const small = new LocalFanout();
  const one: string[] = [];
  small.join("t", { deliver: (x) => one.push(x) });
  small.publish("t", "now");
  assert.deepEqual(one, ["now"], "small rooms at once");
});
