// Whether a path is recorded and for how long, in words for the pages: the stream's own choice (dashboard),
// else LIVEGATE_RECORD_PATHS, else LIVEGATE_RECORD; kept LIVEGATE_RECORD_RETENTION.
import type { Config } from "./config.ts";

/** Whether `path` is recorded: the stream's own choice, else LIVEGATE_RECORD_PATHS, else LIVEGATE_RECORD. */
export function recordsPath(cfg: Config, path: string, stream?: { record?: boolean | null } | null): boolean {
  if (typeof stream?.record === "boolean") return stream.record;
  return cfg.recording.paths[path] ?? cfg.recording.enabled;
}

/** How long recordings are kept, in words: "1 day", "7 days", "36 h", "90 min", "ever (no automatic deletion)". */
export function retentionText(sec: number): string {
  if (sec === 0) return "ever (no automatic deletion)";
  if (sec % 86400 === 0) return `${sec / 86400} day${sec === 86400 ? "" : "s"}`;
  if (sec % 3600 === 0) return `${sec / 3600} h`;
  if (sec % 60 === 0) return `${sec / 60} min`;
  return `${sec} s`;
}

/** The badge text of a path: "recording, kept 1 day" or "not recorded". */
export function recordingBadge(
  cfg: Config,
  path: string,
  stream?: { record?: boolean | null } | null,
): string {
  return recordsPath(cfg, path, stream)
    ? (cfg.recording.retentionSeconds
      ? `recording, kept ${retentionText(cfg.recording.retentionSeconds)}`
      : "recording, kept until deleted")
    : "not recorded";
}
