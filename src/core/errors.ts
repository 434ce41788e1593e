// livegate's error types. Lower layers throw typed errors and never pick an HTTP status; the HTTP status of
// an answer is decided in one place, app.onError (src/app/errors.ts), from these types:
//   StoreError   a store operation refused or failed, by kind (see StoreErrorKind);
//   HttpError    a request-level refusal with its status (bad body, wrong content type, not allowed...);
//   MtxError     MediaMTX answered with an error or could not be reached (src/mediamtx/client.ts).
// (MediaMTX's internal/ keeps the same split: typed errors below, statuses where the answer is written.)

/**
 * Why a store operation failed:
 *   invalid      the input breaks a rule (bad name, bad value)          -> 400
 *   not_found    the record does not exist                              -> 404
 *   conflict     it exists already or changed meanwhile (versionstamp)  -> 409
 *   unavailable  the database cannot be written (full/read-only disk)   -> 503 with Retry-After
 */
export type StoreErrorKind = "invalid" | "not_found" | "conflict" | "unavailable";

export class StoreError extends Error {
  override name = "StoreError";
  constructor(readonly kind: StoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A refusal of the request itself, with the HTTP status to answer (4xx, or 502/503 for upstreams). */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 502 | 503,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * MediaMTX could not do what was asked:
 *   unreachable  no answer (down, restarting, timeout)      -> 503 while restarting, else 502
 *   refused      it answered with an error status           -> 502 (or the mapped status, see `status`)
 *   bad_request  it refused the request as invalid (400)    -> 400
 *   not_found    no such path / session / recording (404)   -> 404
 */
export type MtxErrorKind = "unreachable" | "refused" | "bad_request" | "not_found";

export class MtxError extends Error {
  override name = "MtxError";
  constructor(readonly kind: MtxErrorKind, message: string, readonly status?: number) {
    super(message);
  }
}

// Deno KV reports a failing SQLite file only through the error's message (no code): this is the one place
// that knows those messages. Reads keep working on a full disk; writes fail whole (commits are atomic).
const STORAGE_PATTERNS: [RegExp, string][] = [
  [/disk is full|no space left/i, "the disk holding livegate's database is full"],
  [/read-?only/i, "livegate's database is on a read-only disk"],
  [/disk i\/o error|database is locked|unable to open database/i, "livegate's database cannot be written"],
];

/**
 * `e` as a StoreError of kind "unavailable" when it is a failure of the KV database file (full, read-only,
 * unreadable disk), else null. The message says what is wrong for an operator.
 */
export function storageFailure(e: unknown): StoreError | null {
  if (e instanceof StoreError) return e.kind === "unavailable" ? e : null;
  const msg = e instanceof Error ? e.message : String(e);
  for (const [re, text] of STORAGE_PATTERNS) {
    if (re.test(msg)) {
      return new StoreError("unavailable", `${text}; changes cannot be saved right now (${msg})`);
    }
  }
  return null;
}
