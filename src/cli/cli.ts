// Parses the command line and runs one command. Returns the process exit code.
import { type Config, ConfigError } from "../config/config.ts";
import { serve } from "../app/serve.ts";
import { openStore, type Store } from "../store/kv.ts";
import { addUser, deleteUser, listUsers, type Role, setPassword } from "../store/users.ts";
import { StoreError } from "../core/errors.ts";
import { createKey, listKeys, revokeKey, validateKeyName, validatePath } from "../store/keys.ts";
import { randomToken } from "../core/crypto.ts";
import { BACKUP_USAGE, backupCmd } from "./backup-cmd.ts";
import { MEDIAMTX_USAGE, mediamtxCmd } from "./mediamtx-cmd.ts";
import { EDGE_FLAGS, EDGE_USAGE, edgeCmd } from "./edge-cmd.ts";
import { STREAM_FLAGS, STREAM_USAGE, streamCmd, userAdminCmd } from "./stream-cmd.ts";
import { ensureStream } from "../store/streams.ts";
import { esc, row } from "./print.ts";
import { TOKEN_FLAGS, TOKEN_USAGE, tokenCmd } from "./token-cmd.ts";
import { JWT_USAGE, jwtCmd } from "./jwt-cmd.ts";

export const USAGE = `livegate — live streaming in front of MediaMTX

Usage:
  livegate [serve]                         run the server (and MediaMTX)
  livegate user add NAME [--role admin|streamer|viewer] [--password-stdin]
  livegate user passwd NAME [--password-stdin]
  livegate user del NAME
  livegate user list
  livegate key create PATH [--name LABEL]  new stream key for PATH (printed once)
  livegate key list [PATH]
  livegate key revoke ID
${STREAM_USAGE}
${TOKEN_USAGE}
${JWT_USAGE}
${BACKUP_USAGE}
${MEDIAMTX_USAGE}
${EDGE_USAGE}

Options:
  --config FILE     JSON config file (or LIVEGATE_CONFIG); environment variables override it
  --data-dir DIR    data directory holding the KV database (or LIVEGATE_DATA_DIR)
  -h, --help        this text
`;

interface Parsed {
  words: string[];
  flags: Record<string, string | true>;
}

export function parseArgs(args: string[]): Parsed {
  const words: string[] = [];
  const flags: Record<string, string | true> = {};
  const withValue = new Set([
    "config",
    "data-dir",
    "role",
    "name",
    ...STREAM_FLAGS,
    ...EDGE_FLAGS,
    ...TOKEN_FLAGS,
  ]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h") flags.help = true;
    else if (a.startsWith("--")) {
      const [k, v] = a.slice(2).split("=", 2);
      if (v !== undefined) flags[k] = v;
      else if (withValue.has(k)) {
        if (i + 1 >= args.length) throw new Error(`--${k} needs a value`);
        flags[k] = args[++i];
      } else flags[k] = true;
    } else words.push(a);
  }
  return { words, flags };
}

async function readPassword(flags: Parsed["flags"]): Promise<{ password: string; generated: boolean }> {
  if (flags["password-stdin"]) {
    const text = await new Response(Deno.stdin.readable).text();
    return { password: text.replace(/\r?\n$/, ""), generated: false };
  }
  return { password: randomToken(12), generated: true };
}

export async function runCli(
  args: string[],
  load: (env?: Record<string, string | undefined>, file?: string) => Config,
): Promise<number> {
  let p: Parsed;
  try {
    p = parseArgs(args);
  } catch (e) {
    console.error(`${esc((e as Error).message)}\n\n${USAGE}`);
    return 2;
  }
  if (p.flags.help) {
    console.log(USAGE);
    return 0;
  }
  const env = Deno.env.toObject();
  if (typeof p.flags["data-dir"] === "string") env.LIVEGATE_DATA_DIR = p.flags["data-dir"];
  let cfg: Config;
  try {
    cfg = load(env, typeof p.flags.config === "string" ? p.flags.config : undefined);
  } catch (e) {
    console.error(`livegate: ${esc((e as Error).message)}`);
    return 2;
  }
  const [cmd = "serve", sub, arg] = p.words;
  try {
    if (cmd === "serve") return await runServe(cfg);
    if (cmd === "backup" || cmd === "restore") return await backupCmd(cmd, cfg, sub, p.flags);
    if (cmd === "mediamtx") return await mediamtxCmd(cfg, sub, env);
    if (cmd === "edge") return await edgeCmd(cfg, sub, p.flags);
    if (cmd === "stream" || (cmd === "user" && ["role", "disable", "enable"].includes(sub ?? ""))) {
      await Deno.mkdir(cfg.dataDir, { recursive: true });
      const kv = await openStore(cfg.dataDir);
      try {
        if (cmd === "stream") return await streamCmd(kv, sub, arg, p.flags);
        if (!arg) throw new StoreError("invalid", `user ${sub} needs a NAME`);
        return await userAdminCmd(kv, sub as "role" | "disable" | "enable", arg, p.words[3]);
      } finally {
        kv.kv.close();
      }
    }
    if (cmd === "token" || cmd === "jwt") {
      await Deno.mkdir(cfg.dataDir, { recursive: true });
      const kv = await openStore(cfg.dataDir);
      try {
        return cmd === "jwt" ? await jwtCmd(kv, cfg, sub) : await tokenCmd(kv, sub, arg, p.flags);
      } finally {
        kv.kv.close();
      }
    }
    if (cmd === "user" || cmd === "key") {
      await Deno.mkdir(cfg.dataDir, { recursive: true });
      const kv = await openStore(cfg.dataDir);
      try {
        return cmd === "user"
          ? await userCmd(kv, sub, arg, p.flags)
          : await keyCmd(kv, cfg, sub, arg, p.flags);
      } finally {
        kv.kv.close();
      }
    }
    console.error(`unknown command '${esc(cmd)}'\n\n${USAGE}`);
    return 2;
  } catch (e) {
    if (
      e instanceof StoreError || e instanceof ConfigError
    ) {
      console.error(`livegate: ${esc(e.message)}`);
      return 1;
    }
    console.error(`livegate: ${esc((e as Error).message)}`);
    return 1;
  }
}

async function runServe(cfg: Config): Promise<number> {
  // Listen for Ctrl-C / SIGTERM before starting, so a signal during start-up also stops cleanly.
  let stopRequested = false;
  const started: { running?: Awaited<ReturnType<typeof serve>> } = {};
  const stop = () => {
    stopRequested = true;
    console.log("\nlivegate: stopping…");
    started.running?.stop();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const running = started.running = await serve(cfg);
  if (stopRequested) running.stop();
  await running.finished;
  await running.stop();
  console.log("livegate: stopped");
  return 0;
}

async function userCmd(
  kv: Store,
  sub: string | undefined,
  name: string | undefined,
  flags: Parsed["flags"],
) {
  if (sub === "list") {
    for (const u of await listUsers(kv)) {
      const created = `created ${new Date(u.created).toISOString()}`;
      console.log(u.disabled ? row(u.name, u.role, "disabled", created) : row(u.name, u.role, created));
    }
    return 0;
  }
  if (!name) throw new StoreError("invalid", `user ${sub ?? ""} needs a NAME`);
  if (sub === "add") {
    const role = (typeof flags.role === "string" ? flags.role : "viewer") as Role;
    const { password, generated } = await readPassword(flags);
    await addUser(kv, name, password, role);
    console.log(`created user '${esc(name)}' (${esc(role)})`);
    if (generated) console.log(`password: ${password}`);
    return 0;
  }
  if (sub === "passwd") {
    const { password, generated } = await readPassword(flags);
    await setPassword(kv, name, password);
    console.log(`password of '${esc(name)}' changed; their sessions and known devices were ended`);
    if (generated) console.log(`password: ${password}`);
    return 0;
  }
  if (sub === "del") {
    await deleteUser(kv, name);
    console.log(`deleted user '${esc(name)}' and ended their sessions`);
    return 0;
  }
  throw new StoreError("invalid", `unknown 'user ${sub ?? ""}'; see livegate --help`);
}

async function keyCmd(
  kv: Store,
  cfg: Config,
  sub: string | undefined,
  arg: string | undefined,
  flags: Parsed["flags"],
) {
  if (sub === "create") {
    if (!arg) throw new StoreError("invalid", "key create needs a PATH (e.g. live)");
    validatePath(arg);
    // The name is checked before the stream is registered: a refused key leaves nothing behind.
    const name = validateKeyName(typeof flags.name === "string" ? flags.name : "default");
    await ensureStream(kv, arg, { actor: "cli", action: "stream.create", target: arg });
    const { key, meta } = await createKey(kv, arg, name);
    const rtmp = `rtmp://${cfg.publishHost}:${cfg.mediamtx.ports.rtmp}/${arg}`;
    console.log(`key ${esc(meta.id)} for '${esc(arg)}' (shown once, store it now):`);
    console.log(key);
    console.log(`publish: ${rtmp}?token=${key}`);
    console.log(`OBS: Server ${rtmp}?token=${key}  Stream Key: (leave empty)`);
    return 0;
  }
  if (sub === "list") {
    for (const k of await listKeys(kv, arg)) {
      const used = k.lastUsed ? new Date(k.lastUsed).toISOString() : "never";
      console.log(
        row(k.id, k.path, k.name, `created ${new Date(k.created).toISOString()}`, `last used ${used}`),
      );
    }
    return 0;
  }
  if (sub === "revoke") {
    if (!arg) throw new StoreError("invalid", "key revoke needs an ID (see key list)");
    const k = await revokeKey(kv, arg);
    console.log(`revoked key ${esc(k.id)} of '${esc(k.path)}'`);
    return 0;
  }
  throw new StoreError("invalid", `unknown 'key ${sub ?? ""}'; see livegate --help`);
}
