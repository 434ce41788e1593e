// The layer table of docs/architecture.md, enforced: reads the table, then livegate's module
// graph (`deno info --json`, code and type imports), and fails on an import from a folder to one in a
// higher layer (or another folder of the same layer), on a src/ folder the table does not name, and on an
// import cycle between modules.
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const SRC = join(ROOT, "src");

/** folder -> layer number, from the "### Layers" table of docs/architecture.md. */
export function layerTable(readme: string): Map<string, number> {
  const start = readme.indexOf("### Layers");
  assert.ok(start >= 0, "docs/architecture.md has a ### Layers section");
  const out = new Map<string, number>();
  for (const line of readme.slice(start).split("\n").slice(1)) {
    if (line.startsWith("#")) break;
    const m = /^\|\s*(\d+)\s*\|([^|]*)\|/.exec(line);
    if (!m) continue;
    for (const f of m[2].matchAll(/`([a-z0-9-]+)`/g)) out.set(f[1], Number(m[1]));
  }
  return out;
}

interface Mod {
  specifier: string;
  dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
}

async function graph(entries: string[]): Promise<Map<string, string[]>> {
  const edges = new Map<string, string[]>();
  for (const entry of entries) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const j = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: Mod[] };
    for (const m of j.modules) {
      if (!m.specifier.startsWith("file://")) continue;
      const from = relative(SRC, fromFileUrl(m.specifier));
      if (from.startsWith("..")) continue;
      const to = new Set<string>();
      for (const d of m.dependencies ?? []) {
        for (const s of [d.code?.specifier, d.type?.specifier]) {
          if (!s?.startsWith("file://")) continue;
          const t = relative(SRC, fromFileUrl(s));
          if (!t.startsWith("..")) to.add(t);
        }
      }
      edges.set(from, [...to]);
    }
  }
  return edges;
}

async function srcFiles(dir = SRC): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await srcFiles(p));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

const folderOf = (mod: string) => mod.includes("/") ? mod.split("/")[0] : "(top)";

/** Imports that break the table: [from, to, why]. */
export function violations(edges: Map<string, string[]>, layers: Map<string, number>): string[] {
  const bad: string[] = [];
  for (const [from, tos] of edges) {
    const a = folderOf(from);
    for (const to of tos) {
      const b = folderOf(to);
      if (a === b) continue;
      const la = layers.get(a), lb = layers.get(b);
      if (la === undefined || lb === undefined) {
        bad.push(`${from} -> ${to}: folder '${la === undefined ? a : b}' is not in the layer table`);
      } else if (lb >= la) bad.push(`${from} (layer ${la}) -> ${to} (layer ${lb})`);
    }
  }
  return bad;
}

/** Module cycles (each as a list of modules), by Tarjan's strongly connected components. */
export function cycles(edges: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), on = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (edges.get(v) ?? []).includes(v)) out.push(comp);
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return out;
}

Deno.test("layers: the checker finds an upward import, an unknown folder and a cycle", () => {
  const layers = new Map([["core", 0], ["store", 3], ["auth", 5]]);
  const edges = new Map([
    ["store/keys.ts", ["auth/cache.ts", "core/x.ts", "weird/y.ts"]],
    ["auth/cache.ts", ["store/keys.ts"]],
  ]);
  const v = violations(edges, layers);
  assert.equal(v.length, 2, v.join("\n"));
  assert.match(v[0], /layer 3\) -> auth\/cache.ts \(layer 5\)/);
  assert.match(v[1], /'weird' is not in the layer table/);
  assert.deepEqual(cycles(edges).map((c) => c.sort()), [["auth/cache.ts", "store/keys.ts"]]);
});

Deno.test("layers: every import in src/ follows the layer table of docs/architecture.md, and there are no import cycles", async () => {
  const layers = layerTable(await Deno.readTextFile(join(ROOT, "docs", "architecture.md")));
  assert.ok(layers.size >= 10, `layer table read: ${[...layers.keys()]}`);
  // Every module of src/, reached from main.ts or not (each unreached file is an entry of its own).
  const edges = await graph(["main.ts"]);
  const rest = (await srcFiles()).filter((f) => !edges.has(relative(SRC, f)));
  if (rest.length) { for (const [k, v] of await graph(rest)) edges.set(k, v); }
  assert.ok(edges.size >= 90, `modules read: ${edges.size}`);
  for (const folder of new Set([...edges.keys()].map(folderOf))) {
    assert.ok(layers.has(folder), `src/${folder}/ is missing from the layer table of docs/architecture.md`);
  }
  assert.deepEqual(violations(edges, layers), []);
  assert.deepEqual(cycles(edges), []);
});
