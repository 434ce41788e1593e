// A strict reader of the Prometheus text exposition format (0.0.4) for tests: every line must be a
// comment, HELP, TYPE or a sample; TYPE comes before its samples; a family's samples are contiguous;
// values are numbers. Returns the samples so tests can check what was counted.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE_RE = new RegExp(`^(${NAME})(\\{(.*)\\})?\\s+(\\S+)(\\s+-?\\d+)?$`);
const LABEL_RE = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\["\\n])*)"(,|$)/;
const TYPES = ["counter", "gauge", "histogram", "summary", "untyped"];

function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (["histogram", "summary"].includes(types.get(base) ?? "")) return base;
    }
  }
  return name;
}

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const done = new Set<string>();
  let current = "";
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // plain comment
      if (!new RegExp(`^${NAME}$`).test(m[2])) throw new Error(`bad metric name in ${where}`);
      if (m[1] === "TYPE") {
        if (!TYPES.includes(m[3] ?? "")) throw new Error(`bad type in ${where}`);
        if (types.has(m[2])) throw new Error(`second TYPE for ${m[2]} in ${where}`);
        types.set(m[2], m[3]);
      }
      return;
    }
    const m = SAMPLE_RE.exec(line);
    if (!m) throw new Error(`not a sample: ${where}`);
    const labels: Record<string, string> = {};
    let rest = m[3] ?? "";
    while (rest) {
      const l = LABEL_RE.exec(rest);
      if (!l) throw new Error(`bad labels in ${where}`);
      if (l[1] in labels) throw new Error(`duplicate label ${l[1]} in ${where}`);
      labels[l[1]] = l[2].replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
      rest = rest.slice(l[0].length);
    }
    const v = m[4];
    const value = v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : v === "NaN" ? NaN : Number(v);
    if (Number.isNaN(value) && v !== "NaN") throw new Error(`bad value in ${where}`);
    const fam = familyOf(m[1], types);
    if (fam !== current) {
      if (done.has(fam)) throw new Error(`samples of ${fam} are not contiguous (${where})`);
      if (current) done.add(current);
      current = fam;
    }
    samples.push({ name: m[1], labels, value });
  });
  return samples;
}

/** Sum of the samples with this name whose labels include `match`. */
export function sumOf(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}
