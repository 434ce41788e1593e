// Client for MediaMTX's playback server (127.0.0.1, playbackAddress), authenticated with livegate's
// internal credential: the `playback` action is only ever allowed through livegate.
import { HttpError, MtxError } from "../core/errors.ts";
import type { MtxClient } from "../mediamtx/client.ts";
import { formatMs, formatTime, parseTime, secondsToMs, type Span } from "./range.ts";

export type { Span } from "./range.ts";

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

/**
 * Whether anything is recorded in [start, start + duration s] (MediaMTX's /list with that window: it reads
 * the segment headers only, so it answers in well under a second where /get in MP4 may take minutes).
 * Throws HttpError 400 (bad start) or what listSpans throws.
 */
export async function rangeRecorded(
  deps: Deps,
  path: string,
  start: string,
  duration: number,
): Promise<boolean> {
  const t = parseTime(start);
  if (t === null) throw new HttpError(400, "start must be an RFC 3339 time");
  const end = formatTime(t + BigInt(secondsToMs(duration)) * 1_000_000n);
  return (await listSpans(deps, path, start, end)).length > 0;
}

/**
 * Streams a recorded range (fMP4 for the browser, MP4 for download); the body is not buffered. MediaMTX
 * answers when it writes the first byte: for fMP4 within a second (it writes each 1 s part as it reads it),
 * for MP4 only after indexing the whole range (muxer_mp4.go). Aborting `signal` closes the connection; an
 * fMP4 body stops at MediaMTX's next write, an MP4 one after its indexing pass.
 * Throws HttpError 404 (nothing recorded there) or 400, MtxError (MediaMTX failed), or the abort.
 */
export async function getRange(
  deps: Deps,
  path: string,
  start: string,
  duration: number,
  format: "fmp4" | "mp4",
  signal: AbortSignal,
): Promise<Response> {
  const q = new URLSearchParams({ path, start, duration: formatMs(secondsToMs(duration)), format });
  const res = await upstream(deps, `/get?${q}`, signal);
  if (res.ok) return res;
  const text = await res.text();
  if (res.status === 404 || /no such file or directory/.test(text)) {
    throw new HttpError(404, "no recording in that time range");
  }
  throw playbackError(res.status, text);
}
