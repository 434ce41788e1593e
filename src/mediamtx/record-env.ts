// The MTX_* variables that switch MediaMTX's recorder on: fMP4 segments under the recordings dir, deleted
// after the retention time. Per-path exceptions are applied through the API (see path-config.ts).
import type { Config } from "../config/config.ts";

export const RECORD_NAME = "%Y-%m-%d_%H-%M-%S-%f";

export function recordingEnv(cfg: Config): Record<string, string> {
  const r = cfg.recording;
  return {
    MTX_PATHDEFAULTS_RECORD: r.enabled ? "yes" : "no",
    MTX_PATHDEFAULTS_RECORDPATH: `${r.dir}/%path/${RECORD_NAME}`,
    MTX_PATHDEFAULTS_RECORDFORMAT: "fmp4",
    MTX_PATHDEFAULTS_RECORDSEGMENTDURATION: `${r.segmentSeconds}s`,
    MTX_PATHDEFAULTS_RECORDDELETEAFTER: `${r.retentionSeconds}s`,
  };
}
