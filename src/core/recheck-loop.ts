// A loop that runs a check every interval and soon after a nudge: the recheck of running publishes
// (src/auth/publish-recheck.ts) and of readers (src/auth/reader-recheck.ts). Runs never overlap; a stream
// of nudges cannot put a due run off (a run already due sooner stays due); errors of a run are the run's
// business (the next one tries again).

export interface RecheckLoop {
  /** Asks for a run within the nudge delay (coalesced with one already due sooner). */
  nudge(): void;
  /** Stops the loop; waits for a run in progress. */
  stop(): Promise<void>;
}

/** Runs `run` every `intervalMs` (ms) and `nudgeMs` after each nudge(), until stop(). */
export function startRecheckLoop(
  run: () => Promise<unknown>,
  intervalMs: number,
  nudgeMs: number,
): RecheckLoop {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let dueAt = Infinity;
  let running: Promise<void> | undefined;
  let stopped = false;
  const schedule = (ms: number) => {
    const at = Date.now() + ms;
    if (stopped || (timer !== undefined && at >= dueAt)) return;
    clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(() => {
      timer = undefined;
      dueAt = Infinity;
      tick();
    }, ms);
  };
  const tick = () => {
    if (running) return schedule(nudgeMs);
    running = run().then(() => {}, () => {}).finally(() => {
      running = undefined;
      schedule(intervalMs);
    });
  };
  schedule(intervalMs);
  return {
    nudge: () => schedule(nudgeMs),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
