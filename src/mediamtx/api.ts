// A small client for MediaMTX's control API on 127.0.0.1, authenticated with livegate's internal credential.
import { basicAuth } from "./secrets.ts";
import { mediamtxUrls } from "./env.ts";
import type { AppDeps } from "../http/context.ts";

export interface PathInfo {
  name: string;
  ready: boolean;
  readers: number;
}

export async function mtxApi(deps: Pick<AppDeps, "cfg" | "secrets">, path: string, timeoutMs = 3000) {
  const res = await fetch(`${mediamtxUrls(deps.cfg).api}${path}`, {
    headers: { authorization: basicAuth(deps.secrets) },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`MediaMTX API ${path} answered ${res.status}`);
  }
  return await res.json();
}

export async function listPaths(deps: Pick<AppDeps, "cfg" | "secrets">): Promise<PathInfo[]> {
  const body = await mtxApi(deps, "/v3/paths/list?itemsPerPage=1000");
  return (body.items ?? []).map((p: { name: string; ready: boolean; readers?: unknown[] }) => ({
    name: p.name,
    ready: !!p.ready,
    readers: p.readers?.length ?? 0,
  }));
}
