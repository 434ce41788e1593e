// Client for MediaMTX's playback server (127.0.0.1, playbackAddress), authenticated with livegate's
// internal credential: the `playback` action is only ever allowed through livegate.
import { basicAuth } from "../mediamtx/secrets.ts";
import { mediamtxUrls } from "../mediamtx/env.ts";
import type { AppDeps } from "../http/context.ts";
import { formatMs, formatTime, parseTime, secondsToMs } from "./range.ts";

export interface Span {
  /** RFC 3339 start time as MediaMTX reports it. */
  start: string;
  /** Seconds. */
  duration: number;
}

export class PlaybackError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

type Deps = Pick<AppDeps, "cfg" | "secrets">;

async function upstream(deps: Deps, url: string, signal?: AbortSignal): Promise<Response> {
  try {
    return await fetch(url, {
      headers: { authorization: basicAuth(deps.secrets) },
      signal: signal ?? AbortSignal.timeout(10_000),
    });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new PlaybackError(502, `MediaMTX playback server is not reachable (${(e as Error).message})`);
  }
}

/** Recorded time spans of a path (empty when there are none). */
export async function listSpans(deps: Deps, path: string, start?: string, end?: string): Promise<Span[]> {
  const q = new URLSearchParams({ path });
  if (start) q.set("start", start);
  if (end) q.set("end", end);
  const res = await upstream(deps, `${mediamtxUrls(deps.cfg).playback}/list?${q}`);
  const text = await res.text();
  // 404: no segments; a missing directory (nothing ever recorded for the path) is reported as an error.
  if (res.status === 404 || /no such file or directory/.test(text)) return [];
  if (!res.ok) throw new PlaybackError(res.status === 400 ? 400 : 502, playbackMessage(res.status, text));
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
 * Throws PlaybackError like listSpans.
 */
export async function rangeRecorded(
  deps: Deps,
  path: string,
  start: string,
  duration: number,
): Promise<boolean> {
  const t = parseTime(start);
  if (t === null) throw new PlaybackError(400, "start must be an RFC 3339 time");
  const end = formatTime(t + BigInt(secondsToMs(duration)) * 1_000_000n);
  return (await listSpans(deps, path, start, end)).length > 0;
}

/**
 * Streams a recorded range (fMP4 for the browser, MP4 for download); the body is not buffered. MediaMTX
 * answers when it writes the first byte: for fMP4 within a second (it writes each 1 s part as it reads it),
 * for MP4 only after indexing the whole range (muxer_mp4.go). Aborting `signal` closes the connection; an
 * fMP4 body stops at MediaMTX's next write, an MP4 one after its indexing pass.
 * Throws PlaybackError (404: nothing recorded there; 400/502: MediaMTX's message) or the abort.
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
  const res = await upstream(deps, `${mediamtxUrls(deps.cfg).playback}/get?${q}`, signal);
  if (res.ok) return res;
  const text = await res.text();
  if (res.status === 404 || /no such file or directory/.test(text)) {
    throw new PlaybackError(404, "no recording in that time range");
  }
  throw new PlaybackError(res.status === 400 ? 400 : 502, playbackMessage(res.status, text));
}
