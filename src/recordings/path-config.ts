// Per-path recording exceptions (LIVEGATE_RECORD_PATHS), applied through MediaMTX's config API after
// every (re)start: each named path gets its own path configuration with `record` set, inheriting the
// rest from pathDefaults.
import type { Config } from "../config/config.ts";
import type { MtxClient } from "../mediamtx/client.ts";

/** Sets `record` for every path of LIVEGATE_RECORD_PATHS. Throws an Error naming the path MediaMTX refused. */
export async function applyRecordPaths(cfg: Config, mtx: Pick<MtxClient, "setPathConfig">): Promise<void> {
  for (const [name, record] of Object.entries(cfg.recording.paths)) {
    try {
      await mtx.setPathConfig(name, { record });
    } catch (e) {
      throw new Error(`cannot set recording for path '${name}': ${(e as Error).message}`);
    }
  }
}
