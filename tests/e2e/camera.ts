// A stand-in for an IP camera: a second, separate MediaMTX serving RTSP on a free port (reads need the
// user "cam" and a password, as on a real camera), fed by ffmpeg publishing a test pattern over RTSP. Its
// API (on another free port) tells how many readers pull from it.
import { join } from "node:path";
import { forEachLine } from "../../src/mediamtx/lines.ts";
import { findMediamtx } from "../../src/mediamtx/binary.ts";
import { freePort, publish, stopProc, waitFor } from "./harness.ts";

export const CAMERA_USER = "cam";

export interface Camera {
  rtspPort: number;
  apiPort: number;
  password: string;
  /** rtsp://cam:PASSWORD@127.0.0.1:PORT/stream1 */
  url: string;
  /** Readers of the camera's stream right now (null: the camera is down). */
  readers(): Promise<number | null>;
  /** Starts MediaMTX and the publisher (again, on the same ports); resolves when the stream is ready. */
  start(): Promise<void>;
  /** Stops both (the camera "goes away"). */
  stop(): Promise<void>;
  logs: string[];
}

export async function startCamera(): Promise<Camera> {
  const bin = findMediamtx(Deno.env.get("MEDIAMTX_BIN") ?? "");
  const dir = await Deno.makeTempDir({ prefix: "livegate-camera-" });
  const rtspPort = freePort();
  const apiPort = freePort();
  const password = `camPw${crypto.randomUUID().slice(0, 8)}`;
  const conf = join(dir, "camera.yml");
  await Deno.writeTextFile(
    conf,
    [
      "logLevel: info",
      "api: true",
      `apiAddress: 127.0.0.1:${apiPort}`,
      "metrics: false",
      "pprof: false",
      "playback: false",
      "rtsp: true",
      "rtspTransports: [tcp]",
      `rtspAddress: 127.0.0.1:${rtspPort}`,
      "rtmp: false",
      "hls: false",
      "webrtc: false",
      "srt: false",
      "moq: false",
      "authInternalUsers:",
      "  - user: any",
      "    ips: ['127.0.0.1']",
      "    permissions: [{action: publish}, {action: api}]",
      `  - user: ${CAMERA_USER}`,
      `    pass: ${password}`,
      "    permissions: [{action: read}]",
      "paths:",
      "  all_others:",
    ].join("\n") + "\n",
  );
  let mtx: Deno.ChildProcess | undefined;
  let pub: Deno.ChildProcess | undefined;
  const logs: string[] = [];
  // The camera's own environment only: no MTX_* of the test's livegate leaks into it.
  const env: Record<string, string> = { PATH: Deno.env.get("PATH") ?? "" };
  const cam: Camera = {
    rtspPort,
    apiPort,
    password,
    url: `rtsp://${CAMERA_USER}:${password}@127.0.0.1:${rtspPort}/stream1`,
    logs,
    async readers() {
      try {
        const r = await fetch(`http://127.0.0.1:${apiPort}/v3/paths/get/stream1`);
        if (!r.ok) {
          await r.body?.cancel();
          return r.status === 404 ? 0 : null;
        }
        return ((await r.json()).readers ?? []).length;
      } catch {
        return null;
      }
    },
    async start() {
      mtx = new Deno.Command(bin, { args: [conf], env, clearEnv: true, stdout: "piped", stderr: "piped" })
        .spawn();
      forEachLine(mtx.stdout, (l) => logs.push(l)).catch(() => {});
      forEachLine(mtx.stderr, (l) => logs.push(l)).catch(() => {});
      await waitFor("camera MediaMTX up", async () => {
        const r = await fetch(`http://127.0.0.1:${apiPort}/v3/paths/list`).catch(() => null);
        await r?.body?.cancel();
        return r?.ok ? true : undefined;
      });
      pub = publish(`rtsp://127.0.0.1:${rtspPort}/stream1`, 600, {
        format: "rtsp",
        audio: "none",
        size: "320x180",
      });
      await waitFor("camera stream ready", async () => {
        const r = await fetch(`http://127.0.0.1:${apiPort}/v3/paths/get/stream1`).catch(() => null);
        if (!r?.ok) return void await r?.body?.cancel();
        return (await r.json()).ready ? true : undefined;
      });
    },
    async stop() {
      if (pub) await stopProc(pub);
      pub = undefined;
      if (mtx) {
        try {
          mtx.kill("SIGKILL");
        } catch { /* gone */ }
        await mtx.status;
      }
      mtx = undefined;
    },
  };
  await cam.start();
  dirs.set(cam, dir);
  return cam;
}

const dirs = new WeakMap<Camera, string>();

/** Stops the camera and removes its temp dir. */
export async function disposeCamera(cam: Camera): Promise<void> {
  await cam.stop();
  const dir = dirs.get(cam);
  if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
}
