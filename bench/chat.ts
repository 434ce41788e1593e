// Chat under load (issue 16): 1,000 chat clients on the benchmark's stream while writers post 20
// messages/s (bench/chat_load.ts, its own process): delivery latency from send to every receiver, messages
// lost, livegate's CPU and RSS; and the part-fetch p95 of N LL-HLS viewers (viewers.ts) of the same stream
// without and then with that chat load, in the same run.
import { dirname, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { Rig } from "./rig.ts";
import { makeSessions } from "./scale.ts";
import { runViewers, type ViewerStats } from "./viewers.ts";
import { cpuTicks, sampler } from "./procstat.ts";
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
  duplicates: number;
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
  /** The chat load on its own (no viewers). */
  alone: ChatLoad;
  /** The chat load beside the viewers. */
  chat: ChatLoad;
  /** livegate during the chat alone. */
  livegateAlone: { cpuAvg: number; cpuMax: number; rssMax: number; rssEnd: number };
  /** livegate while the chat ran beside the viewers. */
  livegate: { cpuAvg: number; cpuMax: number; rssMax: number; rssEnd: number };
  /** livegate with the viewers only. */
  livegateQuiet: { cpuAvg: number; cpuMax: number; rssMax: number; rssEnd: number };
  /** livegate's CPU per delivered message during the chat alone, µs. */
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

/** Runs bench/chat_load.ts with the clients in `file`; its JSON result. */
async function chatLoad(rig: Rig, file: string, opts: { rate: number; seconds: number; ramp: number }) {
  const out = await new Deno.Command(Deno.execPath(), {
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
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "{}") as ChatLoad;
}

/**
 * Three phases of `seconds` (+ramp) each: `viewers` LL-HLS viewers without chat; `clients` chat clients
 * reading while `rate` messages/s are posted, without viewers (livegate's CPU per delivery); both at once.
 */
export async function chatScenario(
  rig: Rig,
  opts: { clients: number; rate: number; viewers: number; seconds: number; ramp: number },
): Promise<ChatRow> {
  const cookies = await makeSessions(rig, opts.viewers);
  const readers = await makeSessions(rig, opts.clients);
  // Each writer posts 1 message every 3 s (the limit is 5 in 5 s; a starved generator sends in bursts).
  const writers = await writerSessions(rig, Math.ceil(opts.rate * 3));
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify({ readers, writers }));
  const pid = rig.lg.proc.pid;
  try {
    const url = `${rig.lg.url}/hls/live`;
    let s = sampler({ livegate: pid });
    const quiet = await runViewers(url, cookies, opts.seconds, opts.ramp);
    const livegateQuiet = s.stop().livegate;
    s = sampler({ livegate: pid });
    const c0 = cpuTicks(pid);
    const alone = await chatLoad(rig, file, opts);
    const cpuMs = (cpuTicks(pid) - c0) * 10;
    const livegateAlone = s.stop().livegate;
    // The chat clients join during the viewers' ramp and post during their measured seconds.
    s = sampler({ livegate: pid });
    const [withChat, chat] = await Promise.all([
      runViewers(url, cookies, opts.seconds, opts.ramp),
      chatLoad(rig, file, opts),
    ]);
    const livegate = s.stop().livegate;
    const cpuPerDeliveryUs = alone.received > 0 ? (cpuMs * 1000) / alone.received : NaN;
    return { quiet, withChat, alone, chat, livegateAlone, livegate, livegateQuiet, cpuPerDeliveryUs };
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}
