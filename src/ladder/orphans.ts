// Ladder ffmpegs left behind by a livegate that was killed outright (SIGKILL, a crash, power cut): stop()
// ends them on every normal stop, but a process killed at once cannot. They would keep reading MediaMTX and
// publishing rungs until their input ends, so when the ladder starts it ends every ffmpeg that carries a
// ladder credential for this livegate's MediaMTX (its RTMP port) and is not a child of this process. Linux
// only (/proc); elsewhere it finds nothing.
import { LADDER_USER } from "../mediamtx/secrets.ts";
import type { Log } from "../core/log.ts";

/** Whether a process's argv (NUL-separated /proc/<pid>/cmdline) is a ladder ffmpeg for RTMP port `port`. */
export function isLadderCommand(argv: string[], port: number): boolean {
  if (!/(^|\/)ffmpeg$/.test(argv[0] ?? "")) return false;
  const prefix = `rtmp://127.0.0.1:${port}/`;
  return argv.some((a) => a.includes(prefix) && a.includes(`user=${LADDER_USER}&`));
}

/** The parent pid from /proc/<pid>/stat (field 4, after the parenthesised command name). */
function ppidOf(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/**
 * Ends (SIGKILL) every ladder ffmpeg of RTMP port `port` that is not a child of this process; returns their
 * pids. Never throws (unreadable /proc entries are skipped).
 */
export function reapOrphans(port: number, log: Log): number[] {
  const killed: number[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync("/proc")];
  } catch {
    return killed;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e.name)) continue;
    const pid = Number(e.name);
    try {
      const argv = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
      if (!isLadderCommand(argv, port)) continue;
      if (ppidOf(Deno.readTextFileSync(`/proc/${pid}/stat`)) === Deno.pid) continue;
      Deno.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch { /* gone, or not ours to read */ }
  }
  if (killed.length) {
    log(`[ladder] ended ${killed.length} ladder ffmpeg(s) left by a previous livegate: ${killed.join(", ")}`);
  }
  return killed;
}
