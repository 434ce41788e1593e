// The MediaMTX auth hook's decision table: every action x valid / invalid / missing credential.
import assert from "node:assert/strict";
import {
  decide,
  type HookRequest,
  parseHookBody,
  presentedKey,
  PUBLISH_TICKET_PREFIX,
} from "../../src/auth/hook.ts";
import { PublishTickets } from "../../src/webrtc/tickets.ts";
import { makeSecrets } from "../../src/mediamtx/secrets.ts";

const secrets = await makeSecrets("unit-test-master");
const VALID_KEY = "lg_valid";
const deps = {
  secrets,
  checkPublishKey: (path: string, key: string) => Promise.resolve(path === "live" && key === VALID_KEY),
};

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
  let now = 1_000_000;
  const tickets = new PublishTickets(() => now);
  const d = { ...deps, redeemPublishTicket: (p: string, t: string) => tickets.redeem(p, t) };
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
  now += 60_000;
  assert.equal((await pub({ token: t3 })).allow, false, "expired");

  assert.equal((await pub({ token: PUBLISH_TICKET_PREFIX + "forged" })).allow, false, "unknown ticket");
  // Without a ticket store (e.g. a MediaMTX run elsewhere) tickets are never accepted.
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
