// deploy/install.sh (issue 24, "Install on a server"): run in its dry-run form (--root DIR writes the files
// under DIR and prints the system commands instead of running them). Checks what it installs, that the env
// file it writes is valid configuration with the public URL of --domain, that the Caddyfile it writes
// adapts for that domain, that a second run changes nothing and keeps the operator's own settings, and that
// a wrong --domain is refused with a message.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { loadConfig } from "../../src/config/config.ts";
import { needTool, run } from "../e2e/harness.ts";

const SCRIPT = resolve(new URL("../../deploy/install.sh", import.meta.url).pathname);

async function fakeBinaries(): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const name of ["livegate", "mediamtx"]) {
    await Deno.writeTextFile(join(dir, name), `#!/bin/sh\necho ${name}\n`, { mode: 0o755 });
  }
  return dir;
}

function envOf(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z][A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

const install = (args: string[]) => run("bash", [SCRIPT, ...args]);

Deno.test("install.sh: installs binaries, unit, env file with the public URL and Caddy; idempotent; keeps the operator's settings", async () => {
  const bin = await fakeBinaries();
  const root = await Deno.makeTempDir();
  try {
    const args = ["--domain", "stream.test.example", "--root", root, "--bin-dir", bin];
    const first = await install(args);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    for (const f of ["opt/livegate/livegate", "opt/livegate/mediamtx"]) {
      const st = await Deno.stat(join(root, f));
      assert.ok((st.mode! & 0o111) !== 0, `${f} is executable`);
    }
    assert.equal(
      await Deno.readTextFile(join(root, "etc/systemd/system/livegate.service")),
      await Deno.readTextFile(resolve(SCRIPT, "../livegate.service")),
    );
    const envText = await Deno.readTextFile(join(root, "etc/livegate/livegate.env"));
    const cfg = loadConfig({ ...envOf(envText), LIVEGATE_DATA_DIR: "/var/lib/livegate" });
    assert.equal(cfg.publicUrl, "https://stream.test.example");
    assert.equal(cfg.host, "127.0.0.1", "only Caddy reaches livegate");
    assert.equal((await Deno.stat(join(root, "etc/livegate/livegate.env"))).mode! & 0o777, 0o640);
    assert.match(first.stdout, /would run: useradd --system .* livegate/);
    assert.match(first.stdout, /would run: systemctl enable livegate/);
    assert.match(first.stdout, /would run: systemctl restart livegate/);
    assert.match(first.stdout, /Never open port 3000/);

    // The Caddyfile it wrote adapts, for exactly this domain, proxying to the env file's port.
    const caddy = await run(needTool("caddy"), [
      "adapt",
      "--config",
      join(root, "etc/caddy/Caddyfile"),
      "--adapter",
      "caddyfile",
    ]);
    assert.equal(caddy.code, 0, caddy.stderr);
    assert.match(caddy.stdout, /"host":\["stream\.test\.example"\]/);
    assert.match(caddy.stdout, new RegExp(`"dial":"127\\.0\\.0\\.1:${cfg.port}"`));

    // The operator adds a setting; a second run changes nothing and keeps it.
    await Deno.writeTextFile(join(root, "etc/livegate/livegate.env"), "LIVEGATE_RECORD=false\n", {
      append: true,
    });
    const second = await install(args);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /^install: (installed|created|set) /m, second.stdout);
    assert.match(second.stdout, /unchanged \/opt\/livegate\/livegate/);
    assert.match(second.stdout, /would run: systemctl start livegate/, "nothing changed: no restart");
    assert.match(
      await Deno.readTextFile(join(root, "etc/livegate/livegate.env")),
      /^LIVEGATE_RECORD=false$/m,
    );

    // A new domain: only the public URL and the Caddyfile change.
    const third = await install(["--domain", "live.other.example", "--root", root, "--bin-dir", bin]);
    assert.equal(third.code, 0, third.stderr);
    const env3 = envOf(await Deno.readTextFile(join(root, "etc/livegate/livegate.env")));
    assert.equal(env3.LIVEGATE_PUBLIC_URL, "https://live.other.example");
    assert.equal(env3.LIVEGATE_RECORD, "false");
    assert.match(await Deno.readTextFile(join(root, "etc/caddy/Caddyfile")), /^live\.other\.example \{/m);
    assert.match(third.stdout, /would run: systemctl restart livegate/);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("install.sh: an existing Caddyfile of another site is kept aside, not lost", async () => {
  const bin = await fakeBinaries();
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(root, "etc/caddy"), { recursive: true });
    await Deno.writeTextFile(join(root, "etc/caddy/Caddyfile"), "blog.example {\n\troot * /srv\n}\n");
    const r = await install(["--domain", "stream.test.example", "--root", root, "--bin-dir", bin]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      await Deno.readTextFile(join(root, "etc/caddy/Caddyfile.before-livegate")),
      "blog.example {\n\troot * /srv\n}\n",
    );
    assert.match(r.stdout, /Caddyfile\.before-livegate/);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("install.sh: a missing or malformed --domain is refused with a message, nothing written", async () => {
  const bin = await fakeBinaries();
  const root = await Deno.makeTempDir();
  try {
    for (
      const d of [
        null,
        "https://stream.example.com",
        "stream.example.com/live",
        "a b.example",
        "localhost",
        "-x.example",
      ]
    ) {
      const args = d === null ? ["--root", root] : ["--domain", d, "--root", root];
      const r = await install([...args, "--bin-dir", bin]);
      assert.equal(r.code, 1, `${d}: ${r.stdout}`);
      assert.match(r.stderr, /--domain/, `${d}: ${r.stderr}`);
    }
    assert.deepEqual([...Deno.readDirSync(root)], [], "nothing written");
    const bad = await install(["--frobnicate"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown argument '--frobnicate'/);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(bin, { recursive: true });
  }
});
