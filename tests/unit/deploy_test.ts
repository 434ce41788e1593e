// deploy/: the systemd units pass `systemd-analyze verify` without a warning and carry the settings the
// README relies on; the env file example is valid livegate configuration; the Caddyfile adapts and
// points at the port the env file sets.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { ENV, loadConfig, MTX_PORT_ENV } from "../../src/config/config.ts";
import { needTool, run } from "../e2e/harness.ts";

const DEPLOY = resolve(new URL("../../deploy", import.meta.url).pathname);
/** The Caddyfile sits at the repository's top level, next to mediamtx.yml. */
const CADDYFILE = resolve(new URL("../../Caddyfile", import.meta.url).pathname);
const unit = (name: string) => Deno.readTextFileSync(join(DEPLOY, name));

function directives(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (line.startsWith("#") || i < 0) continue;
    const k = line.slice(0, i);
    m.set(k, [...(m.get(k) ?? []), line.slice(i + 1)]);
  }
  return m;
}

for (const name of ["livegate.service", "mediamtx.service"]) {
  Deno.test(`deploy/${name}: systemd-analyze verify finds nothing to complain about`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      // The binaries are not installed here: point ExecStart at an existing program for the check.
      const text = unit(name).replace(/^ExecStart=\S+/m, "ExecStart=/bin/true");
      await Deno.writeTextFile(join(dir, name), text);
      const r = await run(needTool("systemd-analyze"), ["verify", join(dir, name)]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr.trim(), "", `warnings:\n${r.stderr}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("deploy/livegate.service: dedicated user, state dir, env file, hardening, JIT allowed", () => {
  const d = directives(unit("livegate.service"));
  assert.deepEqual(d.get("User"), ["livegate"]);
  assert.deepEqual(d.get("ExecStart"), ["/opt/livegate/livegate serve"]);
  assert.deepEqual(d.get("StateDirectory"), ["livegate"]);
  assert.ok(d.get("Environment")!.includes("LIVEGATE_DATA_DIR=/var/lib/livegate"));
  assert.deepEqual(d.get("EnvironmentFile"), ["/etc/livegate/livegate.env"]);
  for (const k of ["NoNewPrivileges", "ProtectHome", "PrivateTmp", "RestrictSUIDSGID"]) {
    assert.deepEqual(d.get(k), ["yes"], k);
  }
  assert.deepEqual(d.get("ProtectSystem"), ["strict"]);
  assert.deepEqual(d.get("CapabilityBoundingSet"), [""], "no capabilities (all ports are above 1024)");
  assert.equal(d.get("MemoryDenyWriteExecute"), undefined, "V8 needs writable+executable memory");
  assert.deepEqual(d.get("KillMode"), ["mixed"], "SIGTERM to livegate, which stops MediaMTX");
});

Deno.test("deploy/mediamtx.service: reads the files `livegate mediamtx config/env` write", () => {
  const d = directives(unit("mediamtx.service"));
  assert.deepEqual(d.get("User"), ["livegate"]);
  assert.deepEqual(d.get("ExecStart"), ["/opt/livegate/mediamtx /etc/livegate/mediamtx.yml"]);
  assert.deepEqual(d.get("EnvironmentFile"), ["/etc/livegate/mediamtx.env"]);
  assert.deepEqual(d.get("Before"), ["livegate.service"]);
});

Deno.test("deploy/livegate.env.example: known settings only, no secret set, loads as config", () => {
  const known = new Set<string>([...Object.values(ENV), ...Object.values(MTX_PORT_ENV).map(([e]) => e)]);
  known.add("LIVEGATE_MTX_SECRET");
  const env: Record<string, string> = {};
  const mentioned: string[] = [];
  for (const raw of unit("livegate.env.example").split("\n")) {
    const m = /^#?([A-Z][A-Z0-9_]+)=(.*)$/.exec(raw);
    if (!m) continue;
    mentioned.push(m[1]);
    if (!raw.startsWith("#")) env[m[1]] = m[2];
  }
  for (const k of mentioned) assert.ok(known.has(k) || k.startsWith("LIVEGATE_"), `unknown setting ${k}`);
  for (const k of Object.keys(env)) assert.ok(known.has(k), `unknown setting ${k}`);
  assert.equal(env.LIVEGATE_ADMIN_PASSWORD, undefined, "no default password");
  assert.equal(env.LIVEGATE_MTX_SECRET, undefined, "no default secret");
  const cfg = loadConfig({ ...env, LIVEGATE_DATA_DIR: "/var/lib/livegate" });
  assert.equal(cfg.host, "127.0.0.1", "only reachable through the proxy");
  assert.equal(cfg.trustProxy, true);
  assert.ok(cfg.publicUrl.startsWith("https://"));
});

Deno.test("Caddyfile adapts: unbuffered proxy to the env file's livegate port, no compression, share tokens kept out of the access log", async () => {
  const port = /^LIVEGATE_PORT=(\d+)$/m.exec(unit("livegate.env.example"))![1];
  const r = await run(needTool("caddy"), [
    "adapt",
    "--config",
    CADDYFILE,
    "--adapter",
    "caddyfile",
  ], {
    env: { LIVEGATE_DOMAIN: "stream.example.com" },
  });
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  const text = JSON.stringify(json);
  assert.match(text, /"handler":"reverse_proxy"/);
  assert.match(text, /"flush_interval":-1/);
  assert.match(text, new RegExp(`"dial":"127\\.0\\.0\\.1:${port}"`));
  assert.doesNotMatch(text, /"handler":"encode"/, "compression would buffer the stream");
  assert.match(text, /"host":\["stream\.example\.com"\]/);
  assert.deepEqual(json.apps.http.servers.srv0.listen, [":443"]);
  // The access log filters share-link tokens (issue 25; the real log is checked in
  // tests/hardening/caddy_log_test.ts): the URI's share= and token= values are replaced, Referer and Location left out.
  const access = Object.values(json.logging.logs as Record<string, { encoder?: { fields?: object } }>)
    .find((l) => l.encoder?.fields);
  assert.ok(access, `an access log with filtered fields: ${JSON.stringify(json.logging)}`);
  const fields = access.encoder!.fields as Record<
    string,
    { filter: string; regexp?: string; value?: string }
  >;
  assert.equal(fields["request>uri"].filter, "regexp");
  assert.ok(new RegExp(fields["request>uri"].regexp!.replace("(?i)", ""), "i").test("/w?share=abc"));
  assert.ok(new RegExp(fields["request>uri"].regexp!.replace("(?i)", ""), "i").test("/v?token=lg_x"));
  assert.equal(fields["request>uri"].value, "${1}=REDACTED");
  assert.equal(fields["request>headers>Referer"].filter, "delete");
  assert.equal(fields["resp_headers>Location"].filter, "delete");
});
