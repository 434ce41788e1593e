// Disk usage of the recordings: bytes per path (walking the recordings dir) and the free space of the
// file system they are on. A full (or nearly full) disk is reported here, on the page, in the log and in
// the metrics; MediaMTX keeps running and logs its write errors.
import { statfs } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/config.ts";

export interface DiskUsage {
  /** Bytes of recordings per path. */
  paths: Record<string, number>;
  totalBytes: number;
  /** File system of the recordings dir (null when it cannot be read). */
  fs: { sizeBytes: number; freeBytes: number } | null;
  /** Free space is below LIVEGATE_RECORD_MIN_FREE. */
  low: boolean;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  try {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) total += await dirBytes(p);
      else if (e.isFile) total += (await Deno.stat(p).catch(() => ({ size: 0 }))).size;
    }
  } catch { /* gone or unreadable: counts as empty */ }
  return total;
}

/** Free space of the file system holding `dir` (or its nearest existing parent). */
export async function fsSpace(dir: string): Promise<DiskUsage["fs"]> {
  let d = dir;
  for (let i = 0; i < 64; i++) {
    try {
      const s = await statfs(d);
      return { sizeBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
    } catch {
      const parent = join(d, "..");
      if (parent === d) break;
      d = parent;
    }
  }
  return null;
}

export async function diskUsage(cfg: Config): Promise<DiskUsage> {
  const paths: Record<string, number> = {};
  try {
    for await (const e of Deno.readDir(cfg.recording.dir)) {
      if (e.isDirectory) paths[e.name] = await dirBytes(join(cfg.recording.dir, e.name));
    }
  } catch { /* no recordings yet */ }
  const fs = await fsSpace(cfg.recording.dir);
  return {
    paths,
    totalBytes: Object.values(paths).reduce((a, b) => a + b, 0),
    fs,
    low: !!fs && fs.freeBytes < cfg.recording.minFreeBytes,
  };
}

/**
 * What one user may see of `disk`: the per-path figures of the paths in `visible` only (and their sum as
 * the total), the file system's size/free space and the "almost full" flag only for admins (`admin`). A
 * viewer learns nothing about streams they may not see, not even how much they recorded.
 */
export function diskFor(disk: DiskUsage, visible: Iterable<string>, admin: boolean): DiskUsage {
  const paths: Record<string, number> = {};
  for (const p of visible) if (Object.hasOwn(disk.paths, p)) paths[p] = disk.paths[p];
  return {
    paths,
    totalBytes: Object.values(paths).reduce((a, b) => a + b, 0),
    fs: admin ? disk.fs : null,
    low: admin ? disk.low : false,
  };
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
