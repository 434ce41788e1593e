// `deno task compile`: builds dist/livegate, one executable with the player bundle (static/dist) and the
// default mediamtx.yml embedded. `deno compile` needs Deno's runtime binary "denort" of the same version
// as this deno; it normally downloads it, which offline machines cannot do. Give it with DENORT_BIN.
//
//   DENORT_BIN=/path/to/denort deno task compile [--output FILE]
//
// `--bundle` puts the code into one module at the root of the embedded tree, next to static/dist and
// mediamtx.yml (tests/e2e/compiled_test.ts runs the same esbuild bundle from a temp dir).
// With MEDIAMTX_BIN set, the MediaMTX executable is copied next to the binary (livegate looks there first).
import { dirname, join, resolve } from "node:path";
import { V8_FLAGS_ARG } from "../src/runtime/v8-flags.ts";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");

export class CompileError extends Error {}

/** Checks DENORT_BIN; the message says what to do when it is missing or wrong. */
export function checkDenort(denort: string | undefined, denoVersion = Deno.version.deno): string {
  const how = `Download denort-x86_64-unknown-linux-gnu.zip of Deno ${denoVersion} (the same version as ` +
    `this deno) on a machine with internet access (GitHub release page of denoland/deno), unzip it and run ` +
    `DENORT_BIN=/path/to/denort deno task compile.`;
  if (!denort) {
    throw new CompileError(
      `DENORT_BIN is not set. 'deno compile' needs Deno's runtime binary (denort) and would download it, ` +
        `which this machine cannot do. ${how}`,
    );
  }
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(denort);
  } catch {
    throw new CompileError(`DENORT_BIN=${denort} does not exist. ${how}`);
  }
  if (!st.isFile || ((st.mode ?? 0o111) & 0o111) === 0) {
    throw new CompileError(`DENORT_BIN=${denort} is not an executable file. ${how}`);
  }
  return resolve(denort);
}

/** Arguments for `deno compile`. */
export function compileArgs(output: string, root = ROOT): string[] {
  return [
    "compile",
    "--allow-all",
    V8_FLAGS_ARG,
    // One esbuild bundle instead of the whole node_modules tree: a few hundred KiB instead of tens of
    // MiB, and Deno 2.9.6 overflows its stack embedding some npm trees (prom-client's) unbundled.
    "--bundle",
    "--config",
    join(root, "deno.json"),
    "--include",
    join(root, "static", "dist"),
    "--include",
    join(root, "mediamtx.yml"),
    // The HTTP isolates' module (LIVEGATE_WORKERS > 1): started with `new Worker`, not imported.
    "--include",
    join(root, "src", "app", "worker.ts"),
    "--output",
    output,
    join(root, "main.ts"),
  ];
}

async function main(args: string[]): Promise<number> {
  let output = join(ROOT, "dist", "livegate");
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--output" && args[i + 1]) output = resolve(args[++i]);
    else if (args[i].startsWith("--output=")) output = resolve(args[i].slice(9));
    else {
      console.error(
        `compile: unknown argument '${args[i]}' (usage: deno task compile [--output FILE])`,
      );
      return 2;
    }
  }
  let denort: string;
  try {
    denort = checkDenort(Deno.env.get("DENORT_BIN"));
    Deno.statSync(join(ROOT, "static", "dist", "player.js"));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      console.error("compile: static/dist/player.js is missing: run 'deno task build' first");
    } else console.error(`compile: ${(e as Error).message}`);
    return 1;
  }
  await Deno.mkdir(dirname(output), { recursive: true });
  const built = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(output),
    cwd: ROOT,
    env: { DENORT_BIN: denort },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (built.code !== 0) {
    console.error(`compile: deno compile failed (exit ${built.code})`);
    return 1;
  }
  // The result must run livegate, not Deno's own CLI (a full deno binary given as DENORT_BIN does that).
  const smoke = await new Deno.Command(output, { args: ["--help"], stdin: "null", stdout: "piped" })
    .output();
  const text = new TextDecoder().decode(smoke.stdout);
  if (smoke.code !== 0 || !text.includes("livegate")) {
    await Deno.remove(output).catch(() => {});
    console.error(
      `compile: the built binary does not run livegate: DENORT_BIN=${denort} is not Deno's runtime for ` +
        `compiled programs (denort ${Deno.version.deno}). It is removed.`,
    );
    return 1;
  }
  const mtx = Deno.env.get("MEDIAMTX_BIN");
  if (mtx) {
    const dest = join(dirname(output), "mediamtx");
    if (resolve(mtx) !== dest) await Deno.copyFile(mtx, dest);
    await Deno.chmod(dest, 0o755);
    console.log(`copied MediaMTX to ${dest}`);
  }
  const size = (await Deno.stat(output)).size;
  console.log(`built ${output} (${(size / 1048576).toFixed(0)} MiB)`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
