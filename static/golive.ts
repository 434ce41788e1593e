// The go-live page: captures camera + mic (or the screen) and publishes it with WHIP through livegate.
// H.264 is preferred when the browser can send it (so LL-HLS viewers can watch too), audio is Opus.
import { negotiate, type RtcSession, waitConnected } from "./whep.ts";

const preview = document.getElementById("preview") as HTMLVideoElement;
const overlay = document.getElementById("overlay")!;
const statusEl = document.getElementById("status")!;
const errorEl = document.getElementById("error")!;
const cameraBtn = document.getElementById("camera") as HTMLButtonElement;
const screenBtn = document.getElementById("screen") as HTMLButtonElement;
const stopBtn = document.getElementById("stop") as HTMLButtonElement;
const path = document.body.dataset.path ?? "live";
const csrf = document.body.dataset.csrf ?? "";

/** Exposed for tests (window.livegateGoLive). */
const state = { status: "idle", error: "", videoCodec: "", session: "", camera: "", microphone: "" };
(globalThis as unknown as { livegateGoLive: typeof state }).livegateGoLive = state;

let session: RtcSession | null = null;
let media: MediaStream | null = null;

const cameraSel = document.getElementById("camera-select") as HTMLSelectElement | null;
const micSel = document.getElementById("mic-select") as HTMLSelectElement | null;

/**
 * Fills the camera and microphone pickers from the browser's devices (names appear once the page was
 * given access, i.e. after the first capture; before that "Camera 1", …). Keeps the current choice.
 */
async function listDevices() {
  if (!navigator.mediaDevices?.enumerateDevices) return;
  const devices = await navigator.mediaDevices.enumerateDevices().catch(() => [] as MediaDeviceInfo[]);
  const fill = (sel: HTMLSelectElement | null, kind: MediaDeviceKind, word: string) => {
    if (!sel) return;
    const keep = sel.value;
    const list = devices.filter((d) => d.kind === kind && d.deviceId);
    sel.replaceChildren(
      ...list.map((d, i) => {
        const o = document.createElement("option");
        o.value = d.deviceId;
        o.textContent = d.label || `${word} ${i + 1}`;
        return o;
      }),
    );
    if (list.some((d) => d.deviceId === keep)) sel.value = keep;
    sel.disabled = list.length === 0;
  };
  fill(cameraSel, "videoinput", "Camera");
  fill(micSel, "audioinput", "Microphone");
}

/** getUserMedia constraints for the picked camera and microphone (any, when none is picked). */
function cameraConstraints(): MediaStreamConstraints {
  const video: MediaTrackConstraints = { width: 1280, height: 720 };
  if (cameraSel?.value) video.deviceId = { exact: cameraSel.value };
  const audio: MediaTrackConstraints | boolean = micSel?.value ? { deviceId: { exact: micSel.value } } : true;
  return { video, audio };
}

function show(status: string, message = "") {
  state.status = status;
  statusEl.textContent = status === "live" ? "LIVE" : status;
  statusEl.className = `badge ${status === "live" ? "live" : ""}`;
  overlay.textContent = message;
  overlay.classList.toggle("hidden", status === "live");
  const busy = status === "live" || status === "connecting";
  cameraBtn.disabled = screenBtn.disabled = busy;
  for (const sel of [cameraSel, micSel]) if (sel) sel.disabled = busy || sel.options.length === 0;
  stopBtn.classList.toggle("hidden", !busy);
}

function fail(message: string) {
  state.error = message;
  errorEl.textContent = message;
  errorEl.classList.remove("hidden");
  stop();
  show("error", "Not live.");
}

function preferH264(t: RTCRtpTransceiver) {
  const caps = RTCRtpSender.getCapabilities?.("video")?.codecs ?? [];
  const h264 = caps.filter((c) => c.mimeType.toLowerCase() === "video/h264");
  if (!h264.length || !t.setCodecPreferences) return;
  t.setCodecPreferences([...h264, ...caps.filter((c) => c.mimeType.toLowerCase() !== "video/h264")]);
}

/** Whether someone (OBS, another browser) is live on this path now; false when it cannot be told. */
async function liveNow(): Promise<boolean> {
  try {
    const r = await fetch(`/api/streams/${encodeURIComponent(path)}/media`, { cache: "no-store" });
    return r.ok && (await r.json()).live === true;
  } catch {
    return false;
  }
}

async function start(source: "camera" | "screen") {
  errorEl.classList.add("hidden");
  state.error = "";
  // A new publish replaces the one running (MediaMTX hands the path over): ask first.
  if (
    await liveNow() &&
    !confirm(
      `'${path}' is live right now (from OBS or another browser). Going live here replaces that stream for every viewer. Go live anyway?`,
    )
  ) {
    state.status = "kept";
    return;
  }
  show("connecting", "Starting…");
  try {
    media = source === "camera"
      ? await navigator.mediaDevices.getUserMedia(cameraConstraints())
      : await navigator.mediaDevices.getDisplayMedia({ video: true, audio: true });
  } catch (e) {
    return fail(`Could not capture the ${source}: ${(e as Error).message}`);
  }
  preview.srcObject = media;
  state.camera = media.getVideoTracks()[0]?.getSettings().deviceId ?? "";
  state.microphone = media.getAudioTracks()[0]?.getSettings().deviceId ?? "";
  if (source === "camera") void listDevices(); // names are known now
  const pc = new RTCPeerConnection();
  for (const track of media.getTracks()) {
    const t = pc.addTransceiver(track, { direction: "sendonly", streams: [media] });
    if (track.kind === "video") preferH264(t);
  }
  try {
    session = await negotiate(pc, "whip", path, csrf);
    state.session = session.location;
    await waitConnected(pc, 10_000);
  } catch (e) {
    pc.close();
    return fail(`Going live failed: ${(e as Error).message}`);
  }
  const sdp = pc.remoteDescription?.sdp ?? "";
  state.videoCodec = /a=rtpmap:\d+ ([A-Za-z0-9]+)\//.exec(sdp.slice(sdp.indexOf("m=video")))?.[1] ?? "";
  pc.addEventListener("connectionstatechange", () => {
    if (pc.connectionState === "failed") fail("The connection to the server was lost.");
  });
  for (const t of media.getTracks()) t.addEventListener("ended", () => stop());
  show("live");
}

function stop() {
  session?.close();
  session = null;
  for (const t of media?.getTracks() ?? []) t.stop();
  media = null;
  preview.srcObject = null;
  if (state.status !== "error") show("idle", "Stopped. Pick a source to go live again.");
}

// Browsers give camera and microphone only to secure pages (HTTPS, or http://localhost): say so before trying.
if (!globalThis.isSecureContext || !navigator.mediaDevices) {
  state.status = "insecure";
  state.error =
    "Going live from the browser needs HTTPS (or http://localhost on this computer): browsers give " +
    "pages on plain HTTP no camera, microphone or screen. Open this page over https://, or publish with OBS.";
  errorEl.textContent = state.error;
  errorEl.classList.remove("hidden");
  cameraBtn.disabled = screenBtn.disabled = true;
  overlay.textContent = "Needs HTTPS.";
}

if (globalThis.isSecureContext && navigator.mediaDevices) {
  void listDevices();
  navigator.mediaDevices.addEventListener?.("devicechange", () => void listDevices());
}
cameraBtn.addEventListener("click", () => start("camera"));
screenBtn.addEventListener("click", () => start("screen"));
stopBtn.addEventListener("click", () => stop());
addEventListener("pagehide", () => session?.close());
