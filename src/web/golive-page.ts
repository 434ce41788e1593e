// The streamer page: go live from the browser (camera + mic, or screen) over WHIP through livegate.
import { html } from "hono/html";
import { layout } from "./pages.ts";

export function goLivePage(opts: { path: string; user: string; csrf: string; recording: string }) {
  return layout(
    `Go live: ${opts.path}`,
    html`
      <section class="player golive">
        <div class="stage">
          <video id="preview" playsinline autoplay muted></video>
          <div id="overlay" class="overlay">Pick a source to go live.</div>
        </div>
        <div class="bar">
          <h1>Go live: ${opts.path}</h1>
          <span id="status" class="badge">idle</span>
          <label class="picker">Camera <select id="camera-select"></select></label>
          <label class="picker">Microphone <select id="mic-select"></select></label>
          <button id="camera">Camera + mic</button>
          <button id="screen">Screen</button>
          <button id="stop" class="hidden">Stop</button>
          <a href="/watch/${opts.path}">Watch</a>
          <span class="badge mode" title="what happens to what you stream">${opts.recording}</span>
        </div>
        <p id="error" class="error hidden" role="alert"></p>
        <p
          class="note">Publishes over WebRTC (WHIP) with Opus audio, so viewers get sub-second WebRTC with sound.</p>
      </section>
      <script type="module" src="/static/golive.js"></script>
    `,
    {
      user: opts.user,
      csrf: opts.csrf,
      bodyData: `data-path="${opts.path}" data-csrf="${opts.csrf}"`,
    },
  );
}
