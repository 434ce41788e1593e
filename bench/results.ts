// What the `deno task bench` scripts share for their output: the machine's load average (noted at the start
// and end of each run), and the results table printed and, with --write, put between the script's
// `<!-- NAME:results:start -->` and `<!-- NAME:results:end -->` markers in BENCHMARKS.md.
import { join } from "node:path";
import { ROOT } from "../tests/e2e/harness.ts";

/** The 1, 5 and 15 min load averages as /proc/loadavg gives them ("0.52 1.10 2.03"). */
export function loadAverage(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
}

/**
 * Prints `rows` (Benchmark, Variant, Figures, Ratio, Target) as a Markdown table under a line naming the
 * run (its start, --quick, cores, load at start `load0` and now); with `block` writes both into that block of
 * BENCHMARKS.md. Throws an Error when BENCHMARKS.md lacks the block's markers.
 */
export async function reportResults(
  rows: string[][],
  opts: { started: Date; quick: boolean; load0: string; block?: string; log: (s: string) => void },
): Promise<void> {
  const header = ["Benchmark", "Variant", "Figures (same run)", "Ratio", "Target"];
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const table = [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
  const meta = `Run ${opts.started.toISOString().slice(0, 16)}Z${opts.quick ? " (--quick)" : ""}, ` +
    `${navigator.hardwareConcurrency} cores, load average ${opts.load0} at start, ${loadAverage()} at end ` +
    `(other developers' tests share the machine).`;
  console.log(`\n${meta}\n\n${table}\n`);
  if (!opts.block) return;
  const path = join(ROOT, "BENCHMARKS.md");
  const md = await Deno.readTextFile(path);
  const start = `<!-- ${opts.block}:results:start -->`;
  const end = `<!-- ${opts.block}:results:end -->`;
  const i = md.indexOf(start);
  const j = md.indexOf(end);
  if (i < 0 || j < i) throw new Error(`BENCHMARKS.md has no ${start} … ${end} block`);
  await Deno.writeTextFile(path, `${md.slice(0, i + start.length)}\n\n${meta}\n\n${table}\n\n${md.slice(j)}`);
  opts.log(`results written to ${path}`);
}
