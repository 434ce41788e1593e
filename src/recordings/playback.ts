// Client for MediaMTX's playback server (127.0.0.1, playbackAddress), authenticated with livegate's
// internal credential: the `playback` action is only ever allowed through livegate.
import { HttpError, MtxError } from "../core/errors.ts";
import type { MtxClient } from "../mediamtx/client.ts";

export interface Span {
  /** RFC 3339 start time as MediaMTX reports it. */
  start: string;
  /** Seconds. */
  duration: number;
}

/** Errors: HttpError 400 (MediaMTX refused the range as invalid) or 404 (nothing recorded there), MtxError. */
type Deps = { mtx: Pick<MtxClient, "playback"> };

async function upstream(deps: Deps, pathAndQuery: string, signal?: AbortSignal): Promise<Response> {
  try {
    return await deps.mtx.playback(pathAndQuery, signal);
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new MtxError("unreachable", `MediaMTX playback server is not reachable (${(e as Error).message})`);
  }
}

/** MediaMTX's playback error as livegate's: 400 stays a bad request, the rest is MediaMTX's failure. */
function playbackError(status: number, text: string): Error {
  const msg = playbackMessage(status, text);
  return status === 400 ? new HttpError(400, msg) : new MtxError("refused", msg, status);
}

/** Recorded time spans of a path (empty when there are none). */
export async function listSpans(deps: Deps, path: string, start?: string, end?: string): Promise<Span[]> {
  const q = new URLSearchParams({ path });
  if (start) q.set("start", start);
  if (end) q.set("end", end);
  const res = await upstream(deps, `/list?${q}`);
  const text = await res.text();
  // 404: no segments; a missing directory (nothing ever recorded for the path) is reported as an error.
  if (res.status === 404 || /no such file or directory/.test(text)) return [];
  if (!res.ok) throw playbackError(res.status, text);
  const items = JSON.parse(text) as { start: string; duration: number }[];
  return items.map((i) => ({ start: i.start, duration: i.duration }));
}

function playbackMessage(status: number, text: string): string {
  let msg = text;
  try {
    msg = JSON.parse(text).error ?? text;
  } catch { /* not JSON */ }
  return `MediaMTX playback answered ${status}: ${msg}`.slice(0, 300);
}

/** Streams a recorded range (fMP4 for the browser, MP4 for download); the body is not buffered. */
export async function getRange(
  deps: Deps,
  path: string,
  start: string,
  duration: number,
  format: "fmp4" | "mp4",
  signal: AbortSignal,
): Promise<Response> {
  const q = new URLSearchParams({ path, start, duration: String(duration), format });
  const res = await upstream(deps, `/get?${q}`, signal);
  if (res.ok) return res;
  const text = await res.text();
  if (res.status === 404 || /no such file or directory/.test(text)) {
    throw new HttpError(404, "no recording in that time range");
  }
  throw playbackError(res.status, text);
}
