// Viewer tracking with several isolates (LIVEGATE_WORKERS > 1): the workers answer viewers' HLS requests
// and so see them first; the main isolate answers the viewer counts, the viewers list, the metrics gauges,
// analytics and webhooks from its own tracker. Each worker reports the viewers it saw since its last report
// every REPORT_MS, and the main isolate merges them in, so counts there lag by at most REPORT_MS (the
// tracker's window is WINDOW_MS = 15 s, src/auth/viewers.ts).
import { type Viewer, ViewerTracker } from "../auth/viewers.ts";

/** How often a worker reports its viewers, ms. */
export const REPORT_MS = 1000;

/** One report: per stream path, the viewers seen since the previous report. */
export type ViewerReport = [path: string, viewers: Viewer[]][];

/** A worker's tracker: remembers which paths were seen so report() can list their recent viewers. */
export class ReportingViewerTracker extends ViewerTracker {
  #paths = new Set<string>();
  #last = 0;

  override seen(path: string, v: Omit<Viewer, "since" | "lastSeen">, now = Date.now()): void {
    this.#paths.add(path);
    super.seen(path, v, now);
  }

  /** The viewers seen since the previous report (and the paths that had none are forgotten). */
  report(now = Date.now()): ViewerReport {
    const since = this.#last;
    this.#last = now;
    const out: ViewerReport = [];
    for (const path of this.#paths) {
      const vs = this.viewers(path, now);
      if (vs.length === 0) this.#paths.delete(path);
      const fresh = vs.filter((v) => v.lastSeen > since);
      if (fresh.length) out.push([path, fresh]);
    }
    return out;
  }
}

/** Merges a worker's report into the main isolate's tracker (each viewer as last seen by the worker). */
export function mergeViewers(into: ViewerTracker, report: ViewerReport): void {
  for (const [path, viewers] of report) {
    for (const v of viewers) {
      into.seen(path, { id: v.id, kind: v.kind, user: v.user, ip: v.ip, userAgent: v.userAgent }, v.lastSeen);
    }
  }
}
