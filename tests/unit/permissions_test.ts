// The rules in src/auth/permissions.ts as tables: role x visibility x allow-list for watching, role x
// ownership for publishing/managing, and the publish-key rule (key path, key owner's current rights).
import assert from "node:assert/strict";
import {
  canList,
  NO_LOGIN,
  NOT_FOR_YOU,
  publishKeyRule,
  publishRule,
  watchRule,
} from "../../src/auth/permissions.ts";
import type { User } from "../../src/store/users.ts";
import type { Stream, Visibility } from "../../src/store/streams.ts";
import {
  allowDeleted,
  createStream,
  deleteStream,
  getStream,
  validatePatch,
} from "../../src/store/streams.ts";
import { createKey, listKeys } from "../../src/store/keys.ts";
import { deleteUser } from "../../src/store/users.ts";
import { createSession, listSessions } from "../../src/store/sessions.ts";
import { createShare, revokeShare } from "../../src/store/shares.ts";
import type { StreamKey } from "../../src/store/keys.ts";
import { Access } from "../../src/auth/access.ts";
import { PublishTickets } from "../../src/auth/publish-tickets.ts";
import { systemClock } from "../../src/core/clock.ts";
import type { Store } from "../../src/store/kv.ts";

/** The door's watch decision (src/auth/access.ts) for an anonymous viewer presenting `share` (if any). */
async function watchDecision(store: Store, _user: null, path: string, share?: string) {
  const door = new Access({ store, tickets: new PublishTickets(), clock: systemClock });
  const actor = share ? { kind: "share" as const, token: share, user: null } : { kind: "anonymous" as const };
  return await door.authorize({ actor, action: "watch", path });
}
import { storeOf } from "../../src/store/kv.ts";

const u = (name: string, role: User["role"], disabled = false): User => ({
  name,
  role,
  passwordHash: "x",
  created: 0,
  ...(disabled ? { disabled } : {}),
});
const USERS: Record<string, User | null> = {
  anonymous: null,
  admin: u("root", "admin"),
  owner: u("sam", "streamer"),
  otherStreamer: u("olga", "streamer"),
  viewer: u("vic", "viewer"),
  listedViewer: u("lisa", "viewer"),
  disabledAdmin: u("dora", "admin", true),
};
const stream = (visibility: Visibility, allow: string[] = []): Stream => ({
  path: "show",
  title: "",
  visibility,
  owner: "sam",
  allow,
  created: 0,
});

// expected: true = allow, 401 / 403 = refused with that status
type Want = true | 401 | 403;
const WATCH: Record<string, Record<string, Want>> = {
  //                 anonymous admin owner otherStreamer viewer listedViewer disabledAdmin
  "public": {
    anonymous: true,
    admin: true,
    owner: true,
    otherStreamer: true,
    viewer: true,
    listedViewer: true,
    disabledAdmin: true,
  },
  "private": {
    anonymous: 401,
    admin: true,
    owner: true,
    otherStreamer: true,
    viewer: true,
    listedViewer: true,
    disabledAdmin: 401,
  },
  "private+allow": {
    anonymous: 401,
    admin: true,
    owner: true,
    otherStreamer: 403,
    viewer: 403,
    listedViewer: true,
    disabledAdmin: 401,
  },
  "unlisted": {
    anonymous: 401,
    admin: true,
    owner: true,
    otherStreamer: true,
    viewer: true,
    listedViewer: true,
    disabledAdmin: 401,
  },
  "unlisted+share": {
    anonymous: true,
    admin: true,
    owner: true,
    otherStreamer: true,
    viewer: true,
    listedViewer: true,
    disabledAdmin: true,
  },
  "unlisted+allow": {
    anonymous: 401,
    admin: true,
    owner: true,
    otherStreamer: 403,
    viewer: 403,
    listedViewer: true,
    disabledAdmin: 401,
  },
};

function streamFor(row: string): { s: Stream; share: boolean } {
  const [vis, extra] = row.split("+") as [Visibility, string | undefined];
  return { s: stream(vis, extra === "allow" ? ["lisa"] : []), share: extra === "share" };
}

for (const [row, cols] of Object.entries(WATCH)) {
  for (const [who, want] of Object.entries(cols)) {
    Deno.test(`permissions: watch ${row} as ${who} -> ${want === true ? "allow" : want}`, () => {
      const { s, share } = streamFor(row);
      const d = watchRule(USERS[who], s, share);
      if (want === true) assert.equal(d.allow, true, d.reason);
      else {
        assert.equal(d.allow, false);
        assert.equal((d as { status: number }).status, want, d.reason);
      }
    });
  }
}

Deno.test("permissions: a path without a stream record (never registered or deleted) is admins only", () => {
  assert.deepEqual(watchRule(null, null), { allow: false, status: 401, reason: NO_LOGIN });
  assert.deepEqual(watchRule(USERS.viewer, null), { allow: false, status: 403, reason: NOT_FOR_YOU });
  assert.equal(watchRule(USERS.owner, null).allow, false);
  assert.equal(watchRule(USERS.admin, null).allow, true);
  assert.equal(publishRule(USERS.admin, null), true);
  assert.equal(publishRule(USERS.owner, null), false);
});

const PUBLISH: Record<string, boolean> = {
  anonymous: false,
  admin: true,
  owner: true,
  otherStreamer: false,
  viewer: false,
  listedViewer: false,
  disabledAdmin: false,
};
for (const [who, want] of Object.entries(PUBLISH)) {
  Deno.test(`permissions: publish/manage own stream as ${who} -> ${want}`, () => {
    assert.equal(publishRule(USERS[who], stream("private")), want);
  });
}

Deno.test("permissions: a viewer who owns a stream (demoted streamer) cannot publish", () => {
  assert.equal(publishRule(u("sam", "viewer"), stream("private")), false);
});

Deno.test("permissions: unlisted streams are listed only for admins and the owner", () => {
  for (const [who, want] of Object.entries({ anonymous: false, admin: true, owner: true, viewer: false })) {
    assert.equal(canList(USERS[who], stream("unlisted")), want, who);
  }
  assert.equal(canList(null, stream("public")), true);
  assert.equal(canList(null, stream("private")), false);
  assert.equal(canList(USERS.viewer, stream("private", ["lisa"])), false);
});

const key = (over: Partial<StreamKey> = {}): StreamKey => ({
  id: "k1",
  path: "show",
  name: "obs",
  hash: "h",
  created: 0,
  ...over,
});
const KEY_ROWS: [string, StreamKey | null, User | null | undefined, boolean][] = [
  ["no key", null, undefined, false],
  ["operator (CLI) key for the path", key(), undefined, true],
  ["operator key for another path", key({ path: "other" }), undefined, false],
  ["owner's key", key({ owner: "sam" }), USERS.owner, true],
  ["admin's key", key({ owner: "root" }), USERS.admin, true],
  ["key of a streamer who does not own the path", key({ owner: "olga" }), USERS.otherStreamer, false],
  ["key of the owner, now demoted to viewer", key({ owner: "sam" }), u("sam", "viewer"), false],
  ["key of the owner, now disabled", key({ owner: "sam" }), u("sam", "streamer", true), false],
  ["key whose owner was deleted", key({ owner: "sam" }), null, false],
  ["owner's key used on another path", key({ owner: "sam", path: "other" }), USERS.owner, false],
];
for (const [name, k, owner, want] of KEY_ROWS) {
  Deno.test(`permissions: publish key rule - ${name} -> ${want ? "allow" : "deny"}`, () => {
    assert.equal(publishKeyRule(k, "show", owner, stream("private")).allow, want);
  });
}

Deno.test("permissions: share links - valid, other path, revoked, expired, forged", async () => {
  const kv = storeOf(await Deno.openKv(":memory:"));
  try {
    await kv.kv.set(["users", "sam"], u("sam", "streamer"));
    await kv.kv.set(["users", "root"], u("root", "admin"));
    await createStream(kv, "show", { visibility: "unlisted", owner: "sam" });
    await createStream(kv, "other", { visibility: "unlisted" });
    await createStream(kv, "priv", { visibility: "unlisted" });
    const { token, share } = await createShare(kv, "show", { hours: 1, createdBy: "sam" });
    assert.equal((await watchDecision(kv, null, "show", token)).allow, true);
    assert.equal((await watchDecision(kv, null, "other", token)).allow, false, "token is bound to its path");
    const forged = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    assert.equal((await watchDecision(kv, null, "show", forged)).allow, false, "forged signature");
    const [id, , mac] = token.split(".");
    const longer = `${id}.${(Date.now() + 1e9).toString(36)}.${mac}`;
    assert.equal((await watchDecision(kv, null, "show", longer)).allow, false, "extended expiry");
    // A share link of a private stream does not open it (a record left from before visibility changes
    // revoked links: written here behind the store's back).
    const { token: t2 } = await createShare(kv, "priv", { hours: 1, createdBy: "root" });
    assert.equal((await watchDecision(kv, null, "priv", t2)).allow, true, "while unlisted");
    const priv = (await kv.kv.get<Stream>(["streams", "priv"])).value!;
    await kv.kv.set(["streams", "priv"], { ...priv, visibility: "private" });
    assert.equal((await watchDecision(kv, null, "priv", t2)).allow, false);
    await revokeShare(kv, "show", share.id);
    const d = await watchDecision(kv, null, "show", token);
    assert.equal(d.allow, false, "revoked");
    assert.equal((d as { status: number }).status, 401);
    // Expired: the shortest lifetime (1 minute), then the clock moved past it.
    const { token: t3 } = await createShare(kv, "show", { hours: 1 / 60, createdBy: "sam" });
    assert.equal((await watchDecision(kv, null, "show", t3)).allow, true, "not yet expired");
    const realNow = Date.now;
    Date.now = () => realNow() + 61_000;
    try {
      assert.equal((await watchDecision(kv, null, "show", t3)).allow, false, "expired");
    } finally {
      Date.now = realNow;
    }
  } finally {
    kv.kv.close();
  }
});

Deno.test("store: deleting a user with many keys and sessions, and a stream with many keys, is one transaction", async () => {
  const kv = storeOf(await Deno.openKv(":memory:"));
  try {
    await kv.kv.set(["users", "sam"], u("sam", "streamer"));
    await createStream(kv, "show", { owner: "sam" });
    await createStream(kv, "big", {});
    for (let i = 0; i < 150; i++) await createKey(kv, "show", `k${i}`, { owner: "sam" });
    for (let i = 0; i < 150; i++) await createKey(kv, "big", `k${i}`);
    for (let i = 0; i < 50; i++) await createSession(kv, "sam", 3600);
    await deleteUser(kv, "sam");
    assert.equal((await listKeys(kv, "show")).length, 0);
    assert.equal((await listSessions(kv, "sam")).length, 0);
    await deleteStream(kv, "big");
    assert.equal((await listKeys(kv, "big")).length, 0);
  } finally {
    kv.kv.close();
  }
});

Deno.test("store: a deleted user's name on allow-lists becomes deleted:NAME; a new user of that name gets no access", async () => {
  const kv = storeOf(await Deno.openKv(":memory:"));
  try {
    await kv.kv.set(["users", "bob"], u("bob", "viewer"));
    await kv.kv.set(["users", "amy"], u("amy", "viewer"));
    await createStream(kv, "only-bob", { allow: ["bob"] });
    await createStream(kv, "bob-and-amy", { allow: ["amy", "bob"] });
    await createStream(kv, "amy-only", { allow: ["amy"] });
    await createStream(kv, "everyone", {});
    await deleteUser(kv, "bob");
    const allowOf = async (p: string) => (await getStream(kv, p))!.allow;
    assert.deepEqual(await allowOf("only-bob"), ["deleted:bob"], "the list is not left empty");
    assert.deepEqual(await allowOf("bob-and-amy"), ["amy", "deleted:bob"]);
    assert.deepEqual(await allowOf("amy-only"), ["amy"]);
    assert.deepEqual(await allowOf("everyone"), []);

    // A new "bob" later: none of the old grants apply; every logged-in user still sees "everyone".
    const newBob = u("bob", "viewer");
    for (const p of ["only-bob", "bob-and-amy"]) {
      const d = watchRule(newBob, await getStream(kv, p));
      assert.equal(d.allow, false, p);
    }
    assert.equal(watchRule(newBob, await getStream(kv, "everyone")).allow, true);
    assert.equal(watchRule(u("amy", "viewer"), await getStream(kv, "bob-and-amy")).allow, true);

    // The admin form sends the list back as it shows it: deleted:NAME is accepted; other odd entries not.
    assert.deepEqual(validatePatch({ allow: "amy, deleted:bob" }).allow, ["amy", "deleted:bob"]);
    assert.throws(() => validatePatch({ allow: ["deleted:"] }), /user names/);
    assert.throws(() => validatePatch({ allow: ["gone:bob"] }), /user names/);
    assert.deepEqual(allowDeleted(["amy"], "bob"), ["amy"]);
  } finally {
    kv.kv.close();
  }
});
