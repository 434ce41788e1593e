// Notices when the picture stops: counts the video frames the page presents (requestVideoFrameCallback)
// and takes other proof of progress the player feeds in (WebRTC frames decoded, audio packets, LL-HLS media
// time). The video clock of a WebRTC stream keeps advancing while no frame arrives, so `currentTime` proves
// nothing there; new frames do. Also the wait between retries after failures.

/** Wait (ms) before retry number `failures` + 1 after failed sessions: 0.5, 1, 2, 4, 8, 15, 15 … s. */
export const retryDelay = (failures: number): number => Math.min(500 * 2 ** Math.max(0, failures), 15_000);

/** Frame-progress bookkeeping for one playback session (reset when the player starts a new one). */
export class FrameWatch {
  /** Frames presented by the video element since the page loaded (requestVideoFrameCallback). */
  presented = 0;
  /** performance.now() (ms) of the session's start and of its last progress; 0 = none yet. */
  startedAt = 0;
  lastProgressAt = 0;
  /** Progress events in this session (presented frames or fed-in counters going up). */
  progressCount = 0;
  /** performance.now() (ms) of the first progress in this session; 0 = none yet. */
  firstProgressAt = 0;
  #marks = new Map<string, number>();
  #presentedAtStart = 0;

  #video: HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
  /** Bumped at each (re)arm: a callback of an older chain neither counts nor asks again. */
  #chain = 0;

  constructor(video: HTMLVideoElement) {
    this.#video = video;
    this.#arm();
  }

  /** Asks for frame callbacks (again: a new source may drop pending ones). */
  #arm(): void {
    const v = this.#video;
    if (typeof v.requestVideoFrameCallback !== "function") return;
    const chain = ++this.#chain;
    const onFrame = () => {
      if (chain !== this.#chain) return;
      this.presented++;
      this.progress();
      v.requestVideoFrameCallback!(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
  }

  /** Frames presented since the session started (0 until its first picture is on screen). */
  get presentedInSession(): number {
    return this.presented - this.#presentedAtStart;
  }

  /** Starts a new session: no progress yet. */
  reset(): void {
    this.startedAt = performance.now();
    this.lastProgressAt = 0;
    this.firstProgressAt = 0;
    this.progressCount = 0;
    this.#presentedAtStart = this.presented;
    this.#marks.clear();
    this.#arm();
  }

  /** Records progress now. */
  progress(): void {
    if (!this.startedAt) return;
    const now = performance.now();
    if (!this.firstProgressAt) this.firstProgressAt = now;
    this.lastProgressAt = now;
    this.progressCount++;
  }

  /** Feeds a counter that only grows while media arrives (e.g. framesDecoded); progress when it grew. */
  counter(name: string, value: number): void {
    const before = this.#marks.get(name);
    this.#marks.set(name, value);
    if (before !== undefined && value > before) this.progress();
  }

  /** Milliseconds since the last progress (or since the session started, when none yet). */
  idleMs(now = performance.now()): number {
    return now - (this.lastProgressAt || this.startedAt);
  }

  /**
   * How long without progress counts as "the picture stopped" (ms): 4 average frame intervals, at least 1 s
   * (2.5 s in a hidden tab, where timers run once a second and no frames are presented), at most 8 s
   * (a camera sending 1 frame every 2 s still counts as playing).
   */
  stallMs(now = performance.now()): number {
    const floor = globalThis.document?.hidden ? 2500 : 1000;
    const frames = this.presented - this.#presentedAtStart;
    const count = frames >= 3 ? frames : this.progressCount;
    if (!this.firstProgressAt || count < 3) return Math.max(floor, 2000);
    const interval = (now - this.firstProgressAt) / count;
    return Math.min(8000, Math.max(floor, 4 * interval));
  }

  /** Milliseconds the session has shown progress for (0 before the first). */
  playingMs(now = performance.now()): number {
    return this.firstProgressAt ? now - this.firstProgressAt : 0;
  }
}
