// Backup and restore of the KV database (a SQLite file). A backup is SQLite's `VACUUM INTO` snapshot: one
// read transaction, so it is consistent even while livegate runs and writes. Restore checks the file,
// keeps a snapshot of the database it replaces, and swaps the file in; livegate must be stopped for it.
import { DatabaseSync } from "node:sqlite";
import { basename, dirname, join, resolve } from "node:path";
import { KV_FILE } from "./kv.ts";

import { StoreError } from "../core/errors.ts";

const SQLITE_MAGIC = "SQLite format 3\0";

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.lstat(p);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Writes a consistent snapshot of the SQLite database `src` to `dest` (mode 0600). */
export async function snapshot(src: string, dest: string): Promise<void> {
  const tmp = join(dirname(dest), `.${basename(dest)}.tmp-${crypto.randomUUID()}`);
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(src, { readOnly: true, timeout: 10_000 });
    db.prepare("VACUUM INTO ?").run(tmp);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new StoreError("invalid", `cannot read the database ${src}: ${(e as Error).message}`);
  } finally {
    db?.close();
  }
  await Deno.chmod(tmp, 0o600);
  await Deno.rename(tmp, dest);
}

/** `livegate backup FILE`: snapshot of dataDir/livegate.kv. Refuses to overwrite unless `force`. */
export async function backupKv(dataDir: string, file: string, force = false): Promise<{ bytes: number }> {
  const src = join(dataDir, KV_FILE);
  if (!(await exists(src))) {
    throw new StoreError("invalid", `no database at ${src} (check LIVEGATE_DATA_DIR)`);
  }
  const dest = resolve(file);
  if (!force && (await exists(dest))) {
    throw new StoreError("invalid", `${dest} already exists; pick a new name or pass --force`);
  }
  try {
    if ((await Deno.stat(dirname(dest))).isDirectory === false) throw new Error();
  } catch {
    throw new StoreError("invalid", `directory ${dirname(dest)} does not exist`);
  }
  await snapshot(src, dest);
  return { bytes: (await Deno.stat(dest)).size };
}

export interface BackupInfo {
  users: number;
  keys: number;
}

/** Checks that `file` is a livegate KV database and counts what it holds. */
export async function inspectBackup(file: string): Promise<BackupInfo> {
  let head: Uint8Array;
  try {
    const f = await Deno.open(file);
    try {
      head = new Uint8Array(16);
      const n = await f.read(head);
      if (n !== 16) head = new Uint8Array(0);
    } finally {
      f.close();
    }
  } catch (e) {
    throw new StoreError("invalid", `cannot read ${file}: ${(e as Error).message}`);
  }
  if (new TextDecoder().decode(head) !== SQLITE_MAGIC) {
    throw new StoreError("invalid", `${file} is not a livegate backup (not a SQLite database)`);
  }
  // Open a private copy: opening may migrate or add WAL files, the backup stays untouched.
  const dir = await Deno.makeTempDir({ prefix: "livegate-restore-check-" });
  try {
    const copy = join(dir, KV_FILE);
    await Deno.copyFile(file, copy);
    let kv: Deno.Kv;
    try {
      kv = await Deno.openKv(copy);
    } catch (e) {
      throw new StoreError("invalid", `${file} is not a livegate backup: ${(e as Error).message}`);
    }
    try {
      let users = 0, keys = 0;
      for await (const _ of kv.list({ prefix: ["users"] })) users++;
      for await (const _ of kv.list({ prefix: ["keys"] })) keys++;
      if (users === 0) {
        throw new StoreError("invalid", `${file} is not a livegate backup (it holds no users)`);
      }
      return { users, keys };
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError("invalid", `${file} is not a livegate backup: ${(e as Error).message}`);
    } finally {
      kv.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

export interface RestoreResult extends BackupInfo {
  /** Snapshot of the database that was replaced, if there was one. */
  previous?: string;
}

/**
 * `livegate restore FILE`: puts the backup in place as dataDir/livegate.kv. An existing database is only
 * replaced with `force`, and then kept as livegate.kv.before-restore-<time>. Call only while stopped.
 */
export async function restoreKv(dataDir: string, file: string, force = false): Promise<RestoreResult> {
  const info = await inspectBackup(file);
  await Deno.mkdir(dataDir, { recursive: true });
  const target = join(dataDir, KV_FILE);
  let previous: string | undefined;
  if (await exists(target)) {
    if (!force) {
      throw new StoreError(
        "invalid",
        `${target} already exists; pass --force to replace it (it is kept as ${KV_FILE}.before-restore-<time>)`,
      );
    }
    previous = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    await snapshot(target, previous);
  }
  const tmp = join(dataDir, `.${KV_FILE}.restore-${crypto.randomUUID()}`);
  await Deno.copyFile(file, tmp);
  await Deno.chmod(tmp, 0o600);
  // The old database's WAL and shared-memory files belong to it, not to the restored file.
  for (const suffix of ["-wal", "-shm"]) await Deno.remove(target + suffix).catch(() => {});
  await Deno.rename(tmp, target);
  return { ...info, previous };
}
