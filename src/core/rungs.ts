// Names of the hidden paths that carry a quality ladder's rungs (renditions) in MediaMTX: `<parent>/<H>p`,
// e.g. `live/360p` for the 360-line rung of stream `live`. MediaMTX v1.20.1 allows letters, digits, '_',
// '.', '-' and '/' in path names (no '~'); livegate's own stream paths never contain '/' (NAME_RE), so no
// user can create a stream with a rung's name. The HLS URL of a rung is /hls/<parent>/<H>p/<file>.
import { NAME_RE } from "./names.ts";

/** The last segment of a rung path as a route pattern (`:rung{...}` in Hono): a height and "p". */
export const RUNG_SEGMENT = "[1-9][0-9]{1,3}p";

/** `<parent>/<height>p` with a stream path as parent and a height of 2-4 digits (no leading zero). */
export const RUNG_RE = /^([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})\/([1-9][0-9]{1,3})p$/;

/** The hidden path of the rung of `parent` with `height` lines (e.g. rungPath("live", 360) = "live/360p"). */
export function rungPath(parent: string, height: number): string {
  return `${parent}/${height}p`;
}

/** The parent stream path of a rung path, or null when `path` is not a rung path. */
export function rungParent(path: string): string | null {
  const m = RUNG_RE.exec(path);
  return m && NAME_RE.test(m[1]) ? m[1] : null;
}

/** The height (lines) of a rung path, or null when `path` is not a rung path. */
export function rungHeight(path: string): number | null {
  const m = RUNG_RE.exec(path);
  return m ? Number(m[2]) : null;
}

/** Whether `path` is a hidden rung path (never listed, published by livegate only). */
export const isRungPath = (path: string): boolean => rungParent(path) !== null;
