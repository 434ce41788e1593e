// Per-path recording, applied through MediaMTX's config API after every (re)start and when a stream's
// setting changes: the exceptions of LIVEGATE_RECORD_PATHS, then each stream's own choice from the
// dashboard (Stream.record, which wins). Each such path gets its own path configuration with `record` set,
// inheriting the rest from pathDefaults.
import type { Config } from "../config/config.ts";
import type { MtxClient } from "../mediamtx/client.ts";
import type { Stream } from "../store/streams.ts";
import { recordsPath } from "../config/recording-policy.ts";

/**
 * Sets `record` for every path of LIVEGATE_RECORD_PATHS and every stream with its own choice. Throws an
 * Error naming the path MediaMTX refused.
 */
export async function applyRecordPaths(
  cfg: Config,
  mtx: Pick<MtxClient, "setPathConfig">,
  streams: Stream[] = [],
): Promise<void> {
  const want = new Map(Object.entries(cfg.recording.paths));
  for (const s of streams) if (typeof s.record === "boolean") want.set(s.path, s.record);
  for (const [name, record] of want) {
    try {
      await mtx.setPathConfig(name, { record });
    } catch (e) {
      throw new Error(`cannot set recording for path '${name}': ${(e as Error).message}`);
    }
  }
}

/**
 * After a stream was created or changed: its effective `record` to MediaMTX (also back to the server's
 * setting when its own choice was cleared). Paths with neither an own choice nor an exception are left to
 * pathDefaults. Throws MtxError when MediaMTX refuses or cannot be reached.
 */
export async function applyStreamRecording(
  cfg: Config,
  mtx: Pick<MtxClient, "setPathConfig">,
  stream: Stream,
  hadOwnChoice: boolean,
): Promise<void> {
  if (typeof stream.record !== "boolean" && !hadOwnChoice && !(stream.path in cfg.recording.paths)) return;
  await mtx.setPathConfig(stream.path, { record: recordsPath(cfg, stream.path, stream) });
}
