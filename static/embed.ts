// The embeddable player's own behaviour (src/web/embed-page.ts), next to static/player.js: the picture
// starts muted (browsers allow muted autoplay only), so the Unmute button shows while it is muted and goes
// away once sound is on (M toggles the sound: static/controls.ts).
const video = document.getElementById("video") as HTMLVideoElement | null;
const unmute = document.getElementById("unmute");

if (video && unmute) {
  video.muted = true;
  const sync = () => unmute.classList.toggle("hidden", !video.muted);
  video.addEventListener("volumechange", sync);
  unmute.addEventListener("click", () => {
    video.muted = false;
    sync();
  });
  sync();
}
