// The load generator of bench/edge.ts, run as its own process so it can be pinned to one core
// (`taskset -c 1 deno run -A bench/edge_load.ts JOB.json`): N simulated LL-HLS viewers (viewers.ts) spread
// round-robin over the base URLs in the job file, each with its cookie (or none). Prints the merged
// ViewerStats as one JSON line on stdout.
import { runViewers, type ViewerStats } from "./viewers.ts";

interface Job {
  bases: string[];
  cookies: string[];
  seconds: number;
  ramp: number;
}

const job = JSON.parse(await Deno.readTextFile(Deno.args[0])) as Job;
const groups = job.bases.map(() => [] as string[]);
job.cookies.forEach((c, i) => groups[i % groups.length].push(c));
const results = await Promise.all(
  job.bases.map((b, i) => groups[i].length ? runViewers(b, groups[i], job.seconds, job.ramp) : null),
);
const out: ViewerStats = {
  viewers: 0,
  requests: 0,
  errors: 0,
  errorKinds: {},
  stalls: 0,
  stalledTracks: 0,
  parts: 0,
  bytes: 0,
  partFetch: null,
};
for (const r of results) {
  if (!r) continue;
  out.viewers += r.viewers;
  out.requests += r.requests;
  out.errors += r.errors;
  out.stalls += r.stalls;
  out.stalledTracks += r.stalledTracks;
  out.parts += r.parts;
  out.bytes += r.bytes;
  for (const [k, v] of Object.entries(r.errorKinds)) out.errorKinds[k] = (out.errorKinds[k] ?? 0) + v;
  if (r.partFetch && (!out.partFetch || r.partFetch.p95 > out.partFetch.p95)) out.partFetch = r.partFetch;
}
console.log(JSON.stringify(out));
