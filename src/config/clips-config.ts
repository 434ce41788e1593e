// Settings for clips and thumbnails (issue #22; parsed here, merged into Config by config.ts).
import { join } from "node:path";
import { bytes } from "./ops-config.ts";
import { parseBool } from "./parse.ts";

export interface ClipsConfig {
  /** Where clip MP4s go (DATA_DIR/clips). */
  dir: string;
  /** Where stills go (DATA_DIR/thumbs). */
  thumbsDir: string;
  /** Total size of all clips in bytes; a cut that would pass it is refused (507). */
  maxBytes: number;
  /** Take a still of every live stream (every THUMB_INTERVAL_MS). */
  thumbnails: boolean;
}

export const CLIPS_ENV = {
  clipsMaxBytes: "LIVEGATE_CLIPS_MAX_BYTES",
  thumbnails: "LIVEGATE_THUMBNAILS",
} as const;

type Get = (envName: string, key: string) => { value: unknown; name: string };

export function loadClipsConfig(get: Get, dataDir: string): ClipsConfig {
  const mb = get(CLIPS_ENV.clipsMaxBytes, "clips.maxBytes");
  const th = get(CLIPS_ENV.thumbnails, "clips.thumbnails");
  return {
    dir: join(dataDir, "clips"),
    thumbsDir: join(dataDir, "thumbs"),
    maxBytes: bytes(mb.name, mb.value, 2 * 1024 ** 3),
    thumbnails: parseBool(th.name, th.value, true),
  };
}
