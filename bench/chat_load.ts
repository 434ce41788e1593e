// The chat side of bench/chat.ts, in its own process so its CPU does not disturb the viewers' timing:
// READERS WebSocket clients join /chat/PATH (joining over RAMP s), then the writers post RATE messages/s
// in total for SECONDS (each writer is its own user, below the per-user limit of 5 messages in 5 s).
// Every message carries its sequence number and send time; each reader records the delay from send to
// receipt (same process, same clock). Prints one JSON line: delivery distribution (ms), messages accepted
// (seen by anyone) and refused, deliveries expected (accepted x readers) and received (lost = expected -
// received, duplicates counted apart), connection failures.
// Usage: deno run -A bench/chat_load.ts BASE PATH SECONDS RATE RAMP COOKIES_JSON_FILE
//   COOKIES_JSON_FILE: {"readers": ["lg_session=…", …], "writers": ["lg_session=…", …]}
import { dist } from "./stats.ts";
import { cpuTicks } from "./procstat.ts";

const [base, path, secondsS, rateS, rampS, file] = Deno.args;
const seconds = Number(secondsS), rate = Number(rateS), ramp = Number(rampS);
const { readers, writers } = JSON.parse(await Deno.readTextFile(file)) as {
  readers: string[];
  writers: string[];
};
const url = `${base.replace(/^http/, "ws")}/chat/${path}`;

const delays = new Float64Array(Math.ceil(rate * seconds * readers.length * 1.1) + 1000);
let nDelays = 0;
let received = 0;
let duplicates = 0;
let connectFailures = 0;
let closedEarly = 0;
const sent = new Map<number, number>(); // seq -> send time
const accepted = new Set<number>();
let refused = 0;
const refusedReasons: Record<string, number> = {};

function open(cookie: string, onFrame: (f: Record<string, unknown>) => void): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    // deno-lint-ignore no-explicit-any
    const ws: WebSocket = new (WebSocket as any)(url, { headers: { cookie, origin: base } });
    let joined = false;
    ws.onmessage = (e) => {
      const f0 = JSON.parse(e.data as string);
      for (const f of f0.type === "batch" ? f0.frames : [f0]) {
        if (f.type === "history" && !joined) {
          joined = true;
          resolve(ws);
        }
        onFrame(f);
      }
    };
    ws.onerror = () => {
      if (!joined) {
        connectFailures++;
        resolve(null);
      }
    };
    ws.onclose = () => {
      if (joined && !done) closedEarly++;
    };
  });
}

let done = false;
const total = Math.round(rate * seconds);
const firstFifth: number[] = [], lastFifth: number[] = [];
const t0 = performance.now();
const ticks0 = cpuTicks(Deno.pid);
const readerSockets: WebSocket[] = [];
await Promise.all(readers.map(async (cookie, i) => {
  await new Promise((r) => setTimeout(r, (ramp * 1000 * i) / readers.length));
  const got = new Uint8Array(total); // which messages this reader has seen
  const ws = await open(cookie, (f) => {
    if (f.type !== "message") return;
    const m = /^b(\d+) /.exec(String(f.text));
    if (!m) return;
    const k0 = Number(m[1]);
    accepted.add(k0); // whoever sees it: the server accepted it
    if (got[k0]) {
      duplicates++;
      return;
    }
    got[k0] = 1;
    const at = sent.get(Number(m[1]));
    if (at !== undefined && nDelays < delays.length) {
      const ms = performance.now() - at;
      delays[nDelays++] = ms;
      const k = Number(m[1]);
      if (k < total / 5) firstFifth.push(ms);
      else if (k >= (total * 4) / 5) lastFifth.push(ms);
    }
    received++;
  });
  if (ws) readerSockets.push(ws);
}));
const writerSockets = await Promise.all(writers.map((cookie) =>
  open(cookie, (f) => {
    if (f.type === "message") {
      const m = /^b(\d+) /.exec(String(f.text));
      if (m) accepted.add(Number(m[1]));
    }
    if (f.type === "error") {
      refused++;
      const r = String(f.reason).replace(/\d+/g, "N");
      refusedReasons[r] = (refusedReasons[r] ?? 0) + 1;
    }
  })
));
const joinSeconds = (performance.now() - t0) / 1000;

// Post: message k at t_start + k / rate, from writer k mod W (each writer at rate / W per second).
const start = performance.now();
for (let k = 0; k < total; k++) {
  const wait = start + (k * 1000) / rate - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const ws = writerSockets[k % writerSockets.length];
  if (!ws || ws.readyState !== 1) continue;
  sent.set(k, performance.now());
  ws.send(JSON.stringify({ type: "send", text: `b${k} ${"lorem ipsum dolor sit amet ".repeat(2)}` }));
}
// The last deliveries: until every posted message was refused or reached every reader, or 20 s without
// progress.
{
  let last = -1, since = performance.now();
  const settled = () =>
    accepted.size + refused >= sent.size && received >= accepted.size * readerSockets.length;
  while (!settled() && performance.now() - since < 20_000) {
    if (received !== last) [last, since] = [received, performance.now()];
    await new Promise((r) => setTimeout(r, 200));
  }
}
const drainSeconds = (performance.now() - start) / 1000 - seconds;
done = true;
const d = dist(Array.from(delays.subarray(0, nDelays)));
for (const ws of [...readerSockets, ...writerSockets]) {
  try {
    ws?.close();
  } catch { /* closed */ }
}
console.log(JSON.stringify({
  readers: readers.length,
  readersJoined: readerSockets.length,
  writers: writers.length,
  joinSeconds,
  posted: sent.size,
  accepted: accepted.size,
  refused,
  refusedReasons,
  expected: accepted.size * readerSockets.length,
  received,
  lost: accepted.size * readerSockets.length - received,
  duplicates,
  connectFailures,
  closedEarly,
  delivery: d,
  /** Delivery p50 in the first and the last fifth of the posting (a growing backlog shows here). */
  firstFifthP50: dist(firstFifth)?.p50 ?? null,
  lastFifthP50: dist(lastFifth)?.p50 ?? null,
  drainSeconds,
  /** This generator's CPU, % of one core over its run. */
  generatorCpu: (cpuTicks(Deno.pid) - ticks0) / 100 / ((performance.now() - t0) / 1000) * 100,
}));
Deno.exit(0);
