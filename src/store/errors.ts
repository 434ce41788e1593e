// Storage failures (the KV SQLite file on a full or read-only disk, or unreadable) as a clear answer:
// 503 with the cause and Retry-After instead of a generic 500. Reads keep working; writes fail whole
// (KV commits are atomic), so nothing is half-written.
const PATTERNS: [RegExp, string][] = [
  [/disk is full|no space left/i, "the disk holding livegate's database is full"],
  [/read-?only/i, "livegate's database is on a read-only disk"],
  [/disk i\/o error|database is locked|unable to open database/i, "livegate's database cannot be written"],
];

/** A short, user-facing description when `e` is a storage failure, else null. */
export function storageProblem(e: unknown): string | null {
  const msg = e instanceof Error ? e.message : String(e);
  for (const [re, text] of PATTERNS) if (re.test(msg)) return text;
  return null;
}
