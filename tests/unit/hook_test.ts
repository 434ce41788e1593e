// The MediaMTX auth hook's decision table: every action x valid / invalid / missing credential.
import assert from "node:assert/strict";
import {
  decide,
  type HookRequest,
  parseHookBody,
  presentedKey,
  PUBLISH_TICKET_PREFIX,
} from "../../src/auth/hook.ts";
import { PublishTickets } from "../../src/auth/publish-tickets.ts";
import { Access } from "../../src/auth/access.ts";
import { ManualClock, systemClock } from "../../src/core/clock.ts";
import { makeSecrets } from "../../src/mediamtx/secrets.ts";
import { createKey } from "../../src/store/keys.ts";
import { createStream } from "../../src/store/streams.ts";
import { deleteUser, updateUser } from "../../src/store/users.ts";
import { type Store, storeOf } from "../../src/store/kv.ts";

const secrets = await makeSecrets("unit-test-master");
/** The door over a memory store, with its own ticket store; its caches follow the store's changes (as the
 * app wires them in src/app/invalidation.ts). */
function doorOf(store: Store, tickets = new PublishTickets(), clock = systemClock): Access {
  const door = new Access({ store, tickets, clock });
  store.changes.subscribe(() => door.clearCaches());
  return door;
}
const store = storeOf(await Deno.openKv(":memory:"));
await createStream(store, "live", {});
await createStream(store, "other", {});
const VALID_KEY = (await createKey(store, "live", "unit")).key;
const deps = { secrets, access: doorOf(store) };

function req(over: Partial<HookRequest>): HookRequest {
  return {
    ip: "127.0.0.1",
    user: "",
    password: "",
    token: "",
    action: "read",
    path: "live",
    protocol: "rtmp",
    id: null,
    query: "",
    userAgent: "",
    ...over,
  };
}

type Cred = "valid" | "invalid" | "missing";
function cred(action: string, c: Cred): Partial<HookRequest> {
  if (action === "publish") {
    return c === "valid"
      ? { query: `token=${VALID_KEY}`, token: VALID_KEY }
      : c === "invalid"
      ? { query: "token=lg_nope", token: "lg_nope" }
      : {};
  }
  return c === "valid"
    ? { user: secrets.internalUser, password: secrets.internalPass }
    : c === "invalid"
    ? { user: secrets.internalUser, password: "wrong" }
    : {};
}

const TABLE: Record<string, Record<Cred, boolean>> = {
  publish: { valid: true, invalid: false, missing: false },
  read: { valid: true, invalid: false, missing: false },
  playback: { valid: true, invalid: false, missing: false },
  api: { valid: true, invalid: false, missing: false },
  metrics: { valid: true, invalid: false, missing: false },
  pprof: { valid: false, invalid: false, missing: false },
  unknown: { valid: false, invalid: false, missing: false },
};

for (const [action, row] of Object.entries(TABLE)) {
  for (const [c, expected] of Object.entries(row) as [Cred, boolean][]) {
    Deno.test(`hook: ${action} with ${c} credential -> ${expected ? "allow" : "deny"}`, async () => {
      const d = await decide(req({ action, ...cred(action, c) }), deps);
      assert.equal(d.allow, expected, d.reason);
    });
  }
}

Deno.test("hook: a valid key for another path is refused", async () => {
  const d = await decide(req({ action: "publish", path: "other", token: VALID_KEY }), deps);
  assert.equal(d.allow, false);
});

Deno.test("hook: a stream key is no read credential, and the internal credential cannot publish", async () => {
  assert.equal(
    (await decide(req({ action: "read", password: VALID_KEY, token: VALID_KEY }), deps)).allow,
    false,
  );
  assert.equal((await decide(req({ action: "publish", ...cred("read", "valid") }), deps)).allow, false);
});

Deno.test("hook: key from token, password or query", () => {
  assert.equal(presentedKey(req({ token: "a" })), "a");
  assert.equal(presentedKey(req({ password: "b" })), "b");
  assert.equal(presentedKey(req({ query: "x=1&token=c" })), "c");
  assert.equal(presentedKey(req({})), "");
});

Deno.test("hook: body validation", () => {
  assert.equal(typeof parseHookBody(null), "string");
  assert.equal(typeof parseHookBody([]), "string");
  assert.equal(typeof parseHookBody("x"), "string");
  assert.equal(parseHookBody({ action: 5 }), "field 'action' must be a string");
  assert.equal(parseHookBody({ user: {}, action: "read" }), "field 'user' must be a string");
  assert.equal(parseHookBody({ path: "x" }), "field 'action' is required");
  assert.equal(parseHookBody({ action: "read", path: "x".repeat(5000) }), "field 'path' is too long");
  const ok = parseHookBody({ action: "publish", path: "live", id: "abc", extra: 1 });
  assert.equal(typeof ok, "object");
  assert.equal((ok as HookRequest).user, "");
});

Deno.test("hook: browser publish ticket -> allowed once, for exactly that path, over WebRTC only", async () => {
  const clock = new ManualClock(1_000_000);
  const tickets = new PublishTickets(clock);
  const d = { secrets, access: doorOf(store, tickets, clock) };
  const pub = (over: Partial<HookRequest>) =>
    decide(req({ action: "publish", protocol: "webrtc", ...over }), d);

  const t1 = await tickets.create("live", "alice");
  assert.ok(t1.startsWith(PUBLISH_TICKET_PREFIX));
  // Another path: refused, and the ticket is spent.
  assert.equal((await pub({ path: "other", token: t1 })).allow, false);
  assert.equal((await pub({ path: "live", token: t1 })).allow, false);

  const t2 = await tickets.create("live", "alice");
  // Not over RTMP/RTSP/SRT, even for the right path.
  assert.equal((await pub({ protocol: "rtmp", token: t2 })).allow, false);
  const ok = await pub({ token: t2 });
  assert.equal(ok.allow, true, ok.reason);
  assert.match(ok.reason, /alice/);
  assert.equal((await pub({ token: t2 })).allow, false, "single use");

  const t3 = await tickets.create("live", "alice");
  clock.advance(60_000);
  assert.equal((await pub({ token: t3 })).allow, false, "expired");

  assert.equal((await pub({ token: PUBLISH_TICKET_PREFIX + "forged" })).allow, false, "unknown ticket");
  // A ticket of another ticket store (another app, e.g. a MediaMTX run elsewhere) is never accepted.
  const t4 = await tickets.create("live", "alice");
  assert.equal((await decide(req({ action: "publish", protocol: "webrtc", token: t4 }), deps)).allow, false);
  // A ticket is no read credential.
  const t5 = await tickets.create("live", "alice");
  assert.equal(
    (await decide(req({ action: "read", protocol: "webrtc", token: t5, password: t5 }), d)).allow,
    false,
  );
  assert.equal(tickets.size, 2);
});

// Role x action rows with the real store and rules (src/auth/permissions.ts): who created the key, whether
// they may publish to the path now, and the path the key belongs to.
Deno.test("hook: publish role matrix with real keys (owner, other streamer, viewer, disabled, deleted, CLI)", async () => {
  const kv = storeOf(await Deno.openKv(":memory:"));
  try {
    const mk = (name: string, role: string) =>
      kv.kv.set(["users", name], { name, role, passwordHash: "x", created: 0 });
    await mk("root", "admin");
    await mk("sam", "streamer");
    await mk("olga", "streamer");
    await mk("vic", "viewer");
    await mk("gone", "streamer");
    await mk("off", "streamer");
    await createStream(kv, "show", { owner: "sam" });
    await createStream(kv, "olgas", { owner: "olga" });
    await createStream(kv, "gones", { owner: "gone" });
    await createStream(kv, "offs", { owner: "off" });
    const hookDeps = { secrets, access: doorOf(kv) };
    const pub = async (path: string, key: string) =>
      (await decide(req({ action: "publish", path, token: key, query: `token=${key}` }), hookDeps)).allow;

    const cli = (await createKey(kv, "show", "cli")).key;
    const owner = (await createKey(kv, "show", "obs", { owner: "sam" })).key;
    const admin = (await createKey(kv, "show", "adm", { owner: "root" })).key;
    const olga = (await createKey(kv, "olgas", "obs", { owner: "olga" })).key;
    // A streamer's key made for a path they do not own (e.g. ownership moved later) is refused.
    const olgaOnShow = (await createKey(kv, "show", "stale", { owner: "olga" })).key;
    const viewer = (await createKey(kv, "show", "v", { owner: "vic" })).key;
    const gone = (await createKey(kv, "gones", "k", { owner: "gone" })).key;
    const off = (await createKey(kv, "offs", "k", { owner: "off" })).key;

    const rows: [string, string, string, boolean][] = [
      ["operator key, its path", "show", cli, true],
      ["owner's key, own path", "show", owner, true],
      ["admin's key", "show", admin, true],
      ["owner's key, another path", "olgas", owner, false],
      ["other streamer's key, their path", "olgas", olga, true],
      ["other streamer's key on someone else's path", "show", olga, false],
      ["streamer's key for a path they do not own", "show", olgaOnShow, false],
      ["viewer's key", "show", viewer, false],
      ["no such key", "show", "lg_nope", false],
    ];
    for (const [name, path, key, want] of rows) assert.equal(await pub(path, key), want, name);

    assert.equal(await pub("gones", gone), true, "before delete");
    await deleteUser(kv, "gone");
    assert.equal(await pub("gones", gone), false, "deleting a user removes their keys");
    assert.equal(
      (await kv.kv.get(["streams", "gones"])).value !== null,
      true,
      "the stream stays, without owner",
    );

    assert.equal(await pub("offs", off), true, "before disable");
    await updateUser(kv, "off", { disabled: true });
    assert.equal(await pub("offs", off), false, "a disabled user's keys stop working");
    await updateUser(kv, "off", { disabled: false, role: "viewer" });
    assert.equal(await pub("offs", off), false, "a streamer demoted to viewer cannot publish");
    await updateUser(kv, "off", { role: "streamer" });
    assert.equal(await pub("offs", off), true, "rights restored");
  } finally {
    kv.kv.close();
  }
});
