// Chat under load (issue 16): 1,000 chat clients on the benchmark's stream while writers post 20
// messages/s (bench/chat_load.ts, its own process): delivery latency from send to every receiver, messages
// lost, livegate's CPU and RSS; and the part-fetch p95 of N LL-HLS viewers (viewers.ts) of the same stream
// without and then with that chat load, in the same run.
import { dirname, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { Rig } from "./rig.ts";
import { makeSessions } from "./scale.ts";
import { runViewers, type ViewerStats } from "./viewers.ts";
import { sampler } from "./procstat.ts";
import { loadConfig } from "../src/config/config.ts";
import { openStore } from "../src/store/kv.ts";
import { createSession } from "../src/store/sessions.ts";
import { addUser, getUser } from "../src/store/users.ts";
import type { Dist } from "./stats.ts";

export interface ChatLoad {
  readers: number;
  readersJoined: number;
  writers: number;
  joinSeconds: number;
  posted: number;
  accepted: number;
  refused: number;
  refusedReasons: Record<string, number>;
  expected: number;
  received: number;
  lost: number;
  connectFailures: number;
  closedEarly: number;
  delivery: Dist | null;
  generatorCpu: number;
  firstFifthP50: number | null;
  lastFifthP50: number | null;
  drainSeconds: number;
}

export interface ChatRow {
  quiet: ViewerStats;
  withChat: ViewerStats;
  chat: ChatLoad;
  /** livegate while the chat ran (with the viewers). */
  livegate: { cpuAvg: number; cpuMax: number; rssMax: number; rssEnd: number };
  /** livegate with the viewers only. */
  livegateQuiet: { cpuAvg: number; cpuMax: number; rssMax: number; rssEnd: number };
  /** livegate's CPU for the chat (with minus without, over the run) per delivered message, µs. */
  cpuPerDeliveryUs: number;
}

/** `n` sessions of `n` writer users (created once; below the per-user limit each). */
async function writerSessions(rig: Rig, n: number): Promise<string[]> {
  const ttl = loadConfig(rig.lg.env).sessionTtlSeconds;
  const kv = await openStore(rig.lg.dataDir);
  try {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = `chatbench${i}`;
      if (!await getUser(kv, name)) await addUser(kv, name, `chat-bench-password-${i}`, "viewer");
      out.push(`lg_session=${await createSession(kv, name, ttl)}`);
    }
    return out;
  } finally {
    kv.kv.close();
  }
}

/**
 * `viewers` LL-HLS viewers for `seconds` (+ramp) without chat, then again while `clients` chat clients
 * read and `rate` messages/s are posted on the same stream.
 */
export async function chatScenario(
  rig: Rig,
  opts: { clients: number; rate: number; viewers: number; seconds: number; ramp: number },
): Promise<ChatRow> {
  const cookies = await makeSessions(rig, opts.viewers);
  const readers = await makeSessions(rig, opts.clients);
  // Each writer posts 1 message every 1.5 s (the limit is 5 in 5 s; timers jitter).
  const writers = await writerSessions(rig, Math.ceil(opts.rate * 1.5));
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify({ readers, writers }));
  try {
    const url = `${rig.lg.url}/hls/live`;
    const q = sampler({ livegate: rig.lg.proc.pid });
    const quiet = await runViewers(url, cookies, opts.seconds, opts.ramp);
    const livegateQuiet = q.stop().livegate;
    // The chat clients join during the viewers' ramp and post during their measured seconds.
    const proc = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(dirname(fromFileUrl(import.meta.url)), "chat_load.ts"),
        rig.lg.url,
        "live",
        String(opts.seconds),
        String(opts.rate),
        String(opts.ramp),
        file,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const s = sampler({ livegate: rig.lg.proc.pid });
    const t0 = performance.now();
    const [withChat, out] = await Promise.all([
      runViewers(url, cookies, opts.seconds, opts.ramp),
      proc.output(),
    ]);
    const proc2 = s.stop();
    const secs = (performance.now() - t0) / 1000;
    const chat = JSON.parse(
      new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "{}",
    ) as ChatLoad;
    const chatCpuMs = (proc2.livegate.cpuAvg - livegateQuiet.cpuAvg) / 100 * secs * 1000;
    const cpuPerDeliveryUs = chat.received > 0 ? (chatCpuMs * 1000) / chat.received : NaN;
    return { quiet, withChat, chat, livegate: proc2.livegate, livegateQuiet, cpuPerDeliveryUs };
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}
