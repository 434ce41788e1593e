// CPU and memory of a process from /proc (Linux): CPU as % of one core over an interval, RSS in MB.
const CLK_TCK = 100;

export function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Samples CPU% and RSS of some processes every `ms` until stopped. */
export function sampler(pids: Record<string, number>, ms = 1000) {
  const last: Record<string, number> = {};
  let lastT = performance.now();
  for (const [k, p] of Object.entries(pids)) last[k] = cpuTicks(p);
  const cpu: Record<string, number[]> = {};
  const rss: Record<string, number[]> = {};
  const start: Record<string, number> = { ...last };
  const t0 = lastT;
  const id = setInterval(() => {
    const now = performance.now();
    for (const [k, p] of Object.entries(pids)) {
      try {
        const t = cpuTicks(p);
        (cpu[k] ??= []).push(((t - last[k]) / CLK_TCK) / ((now - lastT) / 1000) * 100);
        last[k] = t;
        (rss[k] ??= []).push(rssMb(p));
      } catch { /* exited */ }
    }
    lastT = now;
  }, ms);
  return {
    stop() {
      clearInterval(id);
      const secs = (performance.now() - t0) / 1000;
      const out: Record<string, { cpuAvg: number; cpuMax: number; rssMax: number; rssEnd: number }> = {};
      for (const [k, p] of Object.entries(pids)) {
        let total = NaN;
        try {
          total = (cpuTicks(p) - start[k]) / CLK_TCK / secs * 100;
        } catch { /* exited */ }
        const r = rss[k] ?? [];
        out[k] = {
          cpuAvg: total,
          cpuMax: Math.max(...(cpu[k] ?? [NaN])),
          rssMax: Math.max(...r),
          rssEnd: r[r.length - 1] ?? NaN,
        };
      }
      return out;
    },
  };
}
