// Runs MediaMTX as a child process: its output goes to livegate's log with a "[mediamtx]" prefix, it is
// restarted with exponential backoff when it dies, and stop() ends it (SIGTERM, then SIGKILL).
import { forEachLine } from "./lines.ts";
import { removePidFile, writePidFile } from "./pidfile.ts";

export type MtxState = "starting" | "running" | "restarting" | "stopped";

export interface SupervisorOptions {
  bin: string;
  configFile: string;
  env: Record<string, string>;
  log?: (line: string) => void;
  /** Resolves once a freshly spawned MediaMTX serves (its API answers). */
  ready: () => Promise<void>;
  /** Where to record the child's pid (see pidfile.ts). */
  pidFile?: string;
}

export class Supervisor {
  state: MtxState = "stopped";
  restarts = 0;
  #child?: Deno.ChildProcess;
  #stopping = false;
  #loop?: Promise<void>;
  #wake?: () => void;
  #log: (line: string) => void;
  /** Readiness of the latest spawn; rejects when it never became ready. */
  ready: Promise<void> = Promise.resolve();

  constructor(private opts: SupervisorOptions) {
    this.#log = opts.log ?? ((l) => console.log(l));
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Spawns MediaMTX (throws if it cannot be); await `ready` for it to serve. */
  start(): void {
    this.#stopping = false;
    this.#spawn();
    this.#loop = this.#run();
  }

  #spawn(): void {
    this.state = "starting";
    const cmd = new Deno.Command(this.opts.bin, {
      args: [this.opts.configFile],
      env: this.opts.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    });
    this.#child = cmd.spawn();
    this.#pipe(this.#child.stdout);
    this.#pipe(this.#child.stderr);
    const child = this.#child;
    if (this.opts.pidFile) writePidFile(this.opts.pidFile, child.pid);
    this.#log(`[livegate] MediaMTX started (pid ${child.pid})`);
    this.ready = this.opts.ready().then(() => {
      if (this.#child === child && this.state === "starting") this.state = "running";
    });
    this.ready.catch((e) => this.#log(`[livegate] ${e.message}`));
  }

  async #pipe(stream: ReadableStream<Uint8Array>) {
    try {
      await forEachLine(stream, (line) => this.#log(`[mediamtx] ${line}`));
    } catch { /* process gone */ }
  }

  async #run(): Promise<void> {
    let backoff = 500;
    for (;;) {
      const started = Date.now();
      const status = await this.#child!.status;
      if (this.#stopping) break;
      this.state = "restarting";
      if (Date.now() - started > 30_000) backoff = 500;
      this.#log(
        `[livegate] MediaMTX exited (code ${status.code}${status.signal ? `, ${status.signal}` : ""}); ` +
          `restarting in ${backoff} ms`,
      );
      await new Promise<void>((r) => {
        const t = setTimeout(r, backoff);
        this.#wake = () => {
          clearTimeout(t);
          r();
        };
      });
      if (this.#stopping) break;
      backoff = Math.min(backoff * 2, 30_000);
      try {
        this.#spawn();
        this.restarts++;
      } catch (e) {
        this.#log(`[livegate] cannot restart MediaMTX: ${(e as Error).message}`);
      }
    }
    this.state = "stopped";
  }

  async stop(timeoutMs = 5000): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    const child = this.#child;
    if (child) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const t = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, timeoutMs);
      await child.status;
      clearTimeout(t);
    }
    await this.#loop;
    if (this.opts.pidFile) removePidFile(this.opts.pidFile);
    this.state = "stopped";
  }
}
