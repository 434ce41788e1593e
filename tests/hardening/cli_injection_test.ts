// Issue 25 (low): terminal injection through names the CLI prints. A key name, stream title or other text
// with tabs, newlines or escape sequences must not forge rows of `livegate key list` / `stream list` or reach
// the operator's terminal as control codes: the store refuses such text on input (CLI and API), and the CLI
// escapes every user-supplied string it prints (records written before the rule, or by another writer).
// The real CLI (main.ts in a subprocess) on a temp data dir; the API in-process.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, run } from "../e2e/harness.ts";
import { openStore } from "../../src/store/kv.ts";
import { createStream } from "../../src/store/streams.ts";
import { createKey, type StreamKey } from "../../src/store/keys.ts";
import { PASSWORD, testApp } from "../http/helpers.ts";
import { api, loggedIn } from "./api.ts";

const EVIL = "obs\tFAKEID\tother-path\tcreated 2020-01-01T00:00:00.000Z\tlast used never\n" +
  "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\u009b31m\u202eevil\r";
/** Control characters a terminal acts on (tab and newline are the listing's own separators). */
// deno-lint-ignore no-control-regex
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

async function cli(dataDir: string, ...args: string[]) {
  return await run(Deno.execPath(), [
    "run",
    "-A",
    "--config",
    join(ROOT, "deno.json"),
    join(ROOT, "main.ts"),
    ...args,
  ], {
    env: { LIVEGATE_DATA_DIR: dataDir },
    cwd: dataDir,
  });
}

Deno.test("hardening: the CLI refuses control characters in names and escapes what it prints", async () => {
  const dir = await Deno.makeTempDir({ prefix: "livegate-cli-inject-" });
  try {
    // On input: refused with a clear message, nothing written.
    const made = await cli(dir, "key", "create", "live", "--name", "obs\tFAKEID\n\x1b[2J");
    assert.equal(made.code, 1, made.stdout);
    assert.match(made.stderr, /key name must not contain control characters/);
    const title = await cli(dir, "stream", "add", "show", "--title", "a\x1b[2Jb");
    assert.equal(title.code, 1);
    assert.match(title.stderr, /title must not contain control characters/);

    // Records from before the rule (or another writer): written straight into KV.
    const store = await openStore(dir);
    try {
      await createStream(store, "live", {});
      const { meta } = await createKey(store, "live", "legit");
      const forged: StreamKey = { ...meta, id: "k2", name: EVIL, hash: "0".repeat(64) };
      await store.kv.set(["keys", "live", "k2"], forged);
      const s = (await store.kv.get<Record<string, unknown>>(["streams", "live"])).value!;
      await store.kv.set(["streams", "live"], { ...s, title: EVIL });
    } finally {
      store.kv.close();
    }
    for (const [args, rows, fields] of [[["key", "list"], 2, 5], [["stream", "list"], 1, 5]] as const) {
      const out = await cli(dir, ...args);
      assert.equal(out.code, 0, out.stderr);
      assert.doesNotMatch(
        out.stdout,
        TERMINAL_CONTROL,
        `${args.join(" ")}: no control codes reach the terminal`,
      );
      const lines = out.stdout.trimEnd().split("\n");
      assert.equal(
        lines.length,
        rows,
        `${args.join(" ")}: one line per record, no forged rows:\n${out.stdout}`,
      );
      for (const l of lines) assert.equal(l.split("\t").length, fields, `fields of: ${l}`);
      if (args[0] === "key") {
        const row = lines.find((l) => l.startsWith("k2\t"))!;
        assert.ok(row.includes("obs\\tFAKEID\\tother-path"), row);
        assert.ok(row.includes("\\x1b]0;pwned\\x07\\x1b[2J"), row);
        assert.ok(row.includes("\\x9b31m\\u202eevil\\r"), row);
      }
    }
    // Error messages quoting typed-in text are escaped too.
    const unknown = await cli(dir, "key", "\x1b[31mred");
    assert.equal(unknown.code, 1);
    assert.doesNotMatch(unknown.stderr, TERMINAL_CONTROL);
    assert.match(unknown.stderr, /unknown 'key \\x1b\[31mred'/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hardening: the API refuses control characters in key names, titles and share labels", async () => {
  const t = await testApp();
  try {
    await createStream(t.kv, "show", { visibility: "unlisted" });
    const admin = await loggedIn(t, "admin", PASSWORD, "192.0.2.1");
    const cases: [string, string, unknown, RegExp][] = [
      ["POST", "/api/streams/show/keys", { name: "obs\tFAKE" }, /key name must not contain control/],
      ["POST", "/api/streams/show/keys", { name: "obs\x1b[2J" }, /key name must not contain control/],
      ["PATCH", "/api/streams/show", { title: "a\nb" }, /title must not contain control/],
      ["PATCH", "/api/streams/show", { title: "a\u202eb" }, /title must not contain control/],
      ["POST", "/api/streams", { path: "new", title: "x\x07" }, /title must not contain control/],
      ["POST", "/api/streams/show/shares", { hours: 1, label: "x\u009by" }, /label must not contain control/],
    ];
    for (const [method, path, body, want] of cases) {
      const r = await api(admin, method, path, body);
      assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error, want);
    }
    // Ordinary text (letters of any script, emoji, punctuation) still works.
    assert.equal(
      (await api(admin, "POST", "/api/streams/show/keys", { name: "OBS – Küche 🎥" })).status,
      201,
    );
    assert.equal((await api(admin, "PATCH", "/api/streams/show", { title: "Été: «live» #1" })).status, 200);
  } finally {
    t.close();
  }
});
