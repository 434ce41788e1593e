// `livegate stream …` and `livegate user role|disable|enable` against a memory KV: effects, messages,
// bad input as StreamError/UserError with 4xx statuses, audit entries with actor "cli".
import assert from "node:assert/strict";
import { streamCmd, userAdminCmd } from "../../src/cli/stream-cmd.ts";
import { parseArgs } from "../../src/cli/cli.ts";
import { getStream } from "../../src/store/streams.ts";
import { createKey, listKeys } from "../../src/store/keys.ts";
import { getUser } from "../../src/store/users.ts";
import { listAudit } from "../../src/store/audit.ts";
import { createSession, listSessions } from "../../src/store/sessions.ts";
import { storeOf } from "../../src/store/kv.ts";

Deno.test("cli: stream add/set/list/del and user role/disable/enable", async () => {
  const kv = storeOf(await Deno.openKv(":memory:"));
  try {
    const out: string[] = [];
    const o = (s: string) => out.push(s);
    await kv.kv.set(["users", "sam"], { name: "sam", role: "streamer", passwordHash: "x", created: 0 });
    const p = parseArgs([
      "stream",
      "add",
      "show",
      "--visibility",
      "public",
      "--owner",
      "sam",
      "--title",
      "The show",
    ]);
    assert.equal(await streamCmd(kv, p.words[1], p.words[2], p.flags, o), 0);
    const created = (await getStream(kv, "show"))!;
    assert.equal(created.visibility, "public");
    assert.equal(created.owner, "sam");
    assert.equal(created.title, "The show");
    await assert.rejects(() => streamCmd(kv, "add", "show", {}, o), /already exists/);
    await assert.rejects(() => streamCmd(kv, "add", "bad/path", {}, o), /stream path/);
    await assert.rejects(() => streamCmd(kv, "add", "x", { visibility: "secret" }, o), /visibility/);
    await assert.rejects(() => streamCmd(kv, "add", "x", { owner: "nobody" }, o), /not a user/);
    await assert.rejects(() => streamCmd(kv, "set", "show", {}, o), /nothing to change/);
    await assert.rejects(() => streamCmd(kv, "set", "nope", { title: "x" }, o), /no stream/);

    assert.equal(await streamCmd(kv, "set", "show", { allow: "a,b", owner: "" }, o), 0);
    const s = (await getStream(kv, "show"))!;
    assert.deepEqual(s.allow, ["a", "b"]);
    assert.equal(s.owner, null);
    out.length = 0;
    await streamCmd(kv, "list", undefined, {}, o);
    assert.match(out[0], /^show\tpublic\towner -\t0 key\(s\)\tThe show\tallow a,b$/);

    await createKey(kv, "show", "obs");
    assert.equal(await streamCmd(kv, "del", "show", {}, o), 0);
    assert.equal((await listKeys(kv, "show")).length, 0, "keys go with the stream");
    await assert.rejects(() => streamCmd(kv, "del", "show", {}, o), /no stream/);

    await createSession(kv, "sam", 3600);
    assert.equal(await userAdminCmd(kv, "role", "sam", "viewer", o), 0);
    assert.equal((await getUser(kv, "sam"))!.role, "viewer");
    await assert.rejects(() => userAdminCmd(kv, "role", "sam", "god", o), /role must be/);
    await assert.rejects(() => userAdminCmd(kv, "disable", "nobody", undefined, o), /no user/);
    await userAdminCmd(kv, "disable", "sam", undefined, o);
    assert.equal((await getUser(kv, "sam"))!.disabled, true);
    assert.equal((await listSessions(kv, "sam")).length, 0, "disabling ends the sessions");
    await userAdminCmd(kv, "enable", "sam", undefined, o);
    assert.equal((await getUser(kv, "sam"))!.disabled, undefined);

    const audit = await listAudit(kv);
    assert.ok(audit.length >= 6);
    assert.ok(audit.every((a) => a.actor === "cli"));
  } finally {
    kv.kv.close();
  }
});
