// Static assets (the esbuild output in static/dist) loaded into memory at start. Paths come from this
// module's URL, so they work from any working directory and inside a `deno compile` binary.
import { join } from "node:path";
import { APP_ROOT } from "../config/config.ts";

export interface Asset {
  body: Uint8Array;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  map: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
};

export const DIST_DIR = join(APP_ROOT, "static", "dist");

export async function loadAssets(dir = DIST_DIR): Promise<Map<string, Asset>> {
  const out = new Map<string, Asset>();
  let entries: Deno.DirEntry[];
  try {
    entries = Array.from(Deno.readDirSync(dir));
  } catch {
    throw new Error(`static assets not found in ${dir}: run 'deno task build' first`);
  }
  for (const e of entries) {
    if (!e.isFile) continue;
    const body = await Deno.readFile(join(dir, e.name));
    const ext = e.name.split(".").pop() ?? "";
    const d = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
    const etag = `"${Array.from(d.slice(0, 8), (x) => x.toString(16).padStart(2, "0")).join("")}"`;
    out.set(e.name, { body, type: TYPES[ext] ?? "application/octet-stream", etag });
  }
  if (!out.has("player.js")) {
    throw new Error(`static/dist/player.js missing in ${dir}: run 'deno task build'`);
  }
  return out;
}
