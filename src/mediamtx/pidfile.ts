// A pid file in the data dir for the MediaMTX livegate runs. If livegate itself was killed hard
// (SIGKILL, OOM), its MediaMTX child lives on holding the ports; the next start finds it here and ends it.
import { join } from "node:path";

export const PID_FILE = "mediamtx.pid";

export function pidFilePath(dataDir: string): string {
  return join(dataDir, PID_FILE);
}

export function writePidFile(path: string, pid: number): void {
  try {
    Deno.writeTextFileSync(path, `${pid}\n`);
  } catch { /* best effort: a missing pid file only loses the stale-process cleanup */ }
}

export function removePidFile(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* already gone */ }
}

function isMediamtx(pid: number): boolean {
  try {
    const cmd = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0")[0];
    return /(^|\/)mediamtx$/.test(cmd);
  } catch {
    return false;
  }
}

/** True when the process's parent is gone (re-parented) or is not a livegate. */
function orphaned(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid <= 1) return true;
    const parent = Deno.readTextFileSync(`/proc/${ppid}/cmdline`);
    return !/livegate|deno/.test(parent);
  } catch {
    return true;
  }
}

/** Ends a MediaMTX left running by a previous livegate with the same data dir. Returns its pid if any. */
export async function reapStaleMediamtx(path: string, log: (s: string) => void): Promise<number | null> {
  let pid: number;
  try {
    pid = Number(Deno.readTextFileSync(path).trim());
  } catch {
    return null;
  }
  removePidFile(path);
  if (!Number.isInteger(pid) || pid <= 1 || !isMediamtx(pid) || !orphaned(pid)) return null;
  log(`[livegate] ending MediaMTX pid ${pid} left running by a previous livegate`);
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return null;
  }
  for (let i = 0; i < 50 && isMediamtx(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (isMediamtx(pid)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
    for (let i = 0; i < 20 && isMediamtx(pid); i++) await new Promise((r) => setTimeout(r, 100));
  }
  return pid;
}
