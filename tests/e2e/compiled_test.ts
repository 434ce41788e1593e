// Compiled mode without a denort: `deno task compile` embeds one esbuild bundle of main.ts at the root of
// the binary's file system, next to static/dist and mediamtx.yml. This test builds the same bundle with
// `deno bundle` into a temp dir with copies of those files, runs it from another temp dir (the data dir)
// without the repo's deno.json, and checks assets, pages, login, the CLI and HLS.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ADMIN_PASSWORD, Client, publish, ROOT, run, startLivegate, stopProc } from "./harness.ts";
import { checkHlsPlays } from "./hls_check.ts";

const MARKER = "/* copy next to the bundle */";

async function buildApp(dir: string): Promise<string> {
  const bundle = join(dir, "livegate.js");
  const r = await run(Deno.execPath(), [
    "bundle",
    "--platform",
    "deno",
    "--config",
    join(ROOT, "deno.json"),
    "--output",
    bundle,
    join(ROOT, "main.ts"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const code = await Deno.readTextFile(bundle);
  assert.ok(!code.includes(ROOT), "the bundle holds no path of the repo tree");
  await Deno.mkdir(join(dir, "static", "dist"), { recursive: true });
  for (const e of Deno.readDirSync(join(ROOT, "static", "dist"))) {
    await Deno.copyFile(join(ROOT, "static", "dist", e.name), join(dir, "static", "dist", e.name));
  }
  // A marker proves the stylesheet is served from next to the bundle, not from the repo.
  await Deno.writeTextFile(join(dir, "static", "dist", "app.css"), `\n${MARKER}\n`, { append: true });
  await Deno.copyFile(join(ROOT, "mediamtx.yml"), join(dir, "mediamtx.yml"));
  // Like the binary: no deno.json, the unstable features it was compiled with.
  const wrapper = join(dir, "livegate");
  await Deno.writeTextFile(
    wrapper,
    `#!/bin/sh\nexec "${Deno.execPath()}" run -A --no-config --no-lock --unstable-kv ` +
      `--unstable-no-legacy-abort "${bundle}" "$@"\n`,
  );
  await Deno.chmod(wrapper, 0o755);
  return wrapper;
}

Deno.test({
  name: "e2e compiled mode: the bundle runs from a temp dir with its embedded assets; login, CLI, HLS",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "livegate-app-" });
    const before = Deno.env.get("LIVEGATE_E2E_BIN");
    let pub: Deno.ChildProcess | undefined;
    try {
      const bin = await buildApp(dir);
      Deno.env.set("LIVEGATE_E2E_BIN", bin);
      const lg = await startLivegate();
      if (before === undefined) Deno.env.delete("LIVEGATE_E2E_BIN");
      else Deno.env.set("LIVEGATE_E2E_BIN", before);
      try {
        await t.step("static assets come from next to the bundle", async () => {
          const css = await fetch(`${lg.url}/static/app.css`);
          assert.equal(css.status, 200);
          assert.ok((await css.text()).includes(MARKER));
          const js = await fetch(`${lg.url}/static/player.js`);
          assert.equal(js.status, 200);
          assert.match(js.headers.get("content-type") ?? "", /javascript/);
          const want = await Deno.readFile(join(dir, "static", "dist", "player.js"));
          assert.deepEqual(new Uint8Array(await js.arrayBuffer()), want);
        });

        const viewer = new Client(lg.url);
        await t.step("login and the player page", async () => {
          const res = await viewer.login("admin", ADMIN_PASSWORD, "/watch/live");
          assert.equal(res.status, 303);
          const page = await viewer.fetch("/watch/live");
          assert.equal(page.status, 200);
          // The early WebRTC start (static/whep-early.ts, inline) starts the player (player.js, preloaded):
          // both come from the bundle's own assets, and the CSP allows the inline script by its hash.
          const text = await page.text();
          assert.match(text, /<link rel="modulepreload" href="\/static\/player\.js">/);
          const early = new TextDecoder().decode(
            await Deno.readFile(join(dir, "static", "dist", "whep-early.js")),
          ).trimEnd();
          assert.ok(early.length > 500 && text.includes(`>${early}</script>`), "early start inlined");
          const hash = (await import("node:crypto")).createHash("sha256").update(early).digest("base64");
          const csp = page.headers.get("content-security-policy") ?? "";
          assert.ok(csp.includes(`script-src 'self' 'sha256-${hash}'`), csp);
        });

        await t.step("the CLI (user list, backup) works from the data dir", async () => {
          const r = await lg.cli("user", "list");
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, /^admin\tadmin/m);
          const b = await lg.cli("backup", join(dir, "backup.kv"));
          assert.equal(b.code, 0, b.stderr);
          assert.ok((await Deno.stat(join(dir, "backup.kv"))).size > 0);
        });

        await t.step("a publish with the key plays as LL-HLS", async () => {
          pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 60);
          await checkHlsPlays(viewer, "live", dir);
        });
      } finally {
        if (pub) await stopProc(pub);
        await lg.stop();
      }
    } finally {
      if (before === undefined) Deno.env.delete("LIVEGATE_E2E_BIN");
      else Deno.env.set("LIVEGATE_E2E_BIN", before);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
