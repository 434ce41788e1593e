// `livegate backup FILE [--force]` (safe while livegate runs) and `livegate restore FILE [--force]`
// (only while it is stopped: a running livegate would keep writing to the replaced file).
import type { Config } from "../config/config.ts";
import { livegateLoopbackHost } from "../mediamtx/env.ts";
import { backupKv, restoreKv } from "../store/backup.ts";
import { esc } from "./print.ts";
import { StoreError } from "../core/errors.ts";

export const BACKUP_USAGE =
  `  livegate backup FILE [--force]          consistent snapshot of the database (also while running)
  livegate restore FILE [--force]         put a backup in place (stop livegate first)`;

/** True when something answers livegate's health check on the configured port. */
export async function livegateRunning(cfg: Config): Promise<boolean> {
  const host = livegateLoopbackHost(cfg);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${cfg.port}/health`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1500) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

export async function backupCmd(
  cmd: "backup" | "restore",
  cfg: Config,
  file: string | undefined,
  flags: Record<string, string | true>,
  out: (s: string) => void = console.log,
): Promise<number> {
  const force = flags.force === true;
  try {
    if (!file) {
      throw new StoreError("invalid", `${cmd} needs a FILE (e.g. livegate ${cmd} /var/backups/livegate.kv)`);
    }
    if (cmd === "backup") {
      const { bytes } = await backupKv(cfg.dataDir, file, force);
      out(`backup written to ${esc(file)} (${bytes} bytes; holds password and key hashes: keep it private)`);
      return 0;
    }
    if (await livegateRunning(cfg)) {
      throw new StoreError(
        "invalid",
        `livegate is running on port ${cfg.port}; stop it first (e.g. systemctl stop livegate), then restore`,
      );
    }
    const r = await restoreKv(cfg.dataDir, file, force);
    out(`restored ${esc(file)} into ${esc(cfg.dataDir)}: ${r.users} users, ${r.keys} stream keys`);
    if (r.previous) out(`the database it replaced is kept as ${esc(r.previous)}`);
    return 0;
  } catch (e) {
    if (e instanceof StoreError) {
      console.error(`livegate: ${esc(e.message)}`);
      return 1;
    }
    throw e;
  }
}
