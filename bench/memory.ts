// Where livegate's memory is during a run, sampled every second: RSS split by /proc/<pid>/smaps into glibc's
// main heap ("[heap]": native allocations such as the HTTP server's buffers), other anonymous memory (V8's
// heap pages, other malloc arenas, large allocations) and file-backed pages (the deno binary), next to V8's
// own figures from livegate's /metrics (heap committed and used, external memory: ArrayBuffer contents).
// Reported at the sample with the highest RSS.
export interface MemorySample {
  rss: number;
  mallocHeap: number;
  anon: number;
  file: number;
  v8Total: number;
  v8Used: number;
  external: number;
}

const MB = 1024 * 1024;

function smaps(pid: number): Pick<MemorySample, "rss" | "mallocHeap" | "anon" | "file"> {
  const out = { rss: 0, mallocHeap: 0, anon: 0, file: 0 };
  let kind: "mallocHeap" | "anon" | "file" = "anon";
  for (const line of Deno.readTextFileSync(`/proc/${pid}/smaps`).split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[1];
      kind = name === "[heap]" ? "mallocHeap" : !name || name.startsWith("[") ? "anon" : "file";
    } else if (line.startsWith("Rss:")) {
      const kb = Number(line.split(/\s+/)[1]) * 1024;
      out[kind] += kb / MB;
      out.rss += kb / MB;
    }
  }
  return out;
}

async function v8Figures(metricsUrl: string, token: string) {
  const r = await fetch(metricsUrl, { headers: { authorization: `Bearer ${token}` } });
  const text = await r.text();
  const get = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1]) / MB;
  return {
    v8Total: get("livegate_nodejs_heap_size_total_bytes"),
    v8Used: get("livegate_nodejs_heap_size_used_bytes"),
    external: get("livegate_nodejs_external_memory_bytes"),
  };
}

/** Samples until stopped; stop() gives the sample with the highest RSS (NaN figures when unreadable). */
export function memorySampler(pid: number, metricsUrl: string, token: string, ms = 1000) {
  let peak: MemorySample | null = null;
  let busy = false;
  const id = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const m = smaps(pid);
      const v = await v8Figures(metricsUrl, token).catch(() => ({
        v8Total: NaN,
        v8Used: NaN,
        external: NaN,
      }));
      if (!peak || m.rss > peak.rss) peak = { ...m, ...v };
    } catch {
      /* exited */
    } finally {
      busy = false;
    }
  }, ms);
  return {
    stop(): MemorySample | null {
      clearInterval(id);
      return peak;
    },
  };
}
