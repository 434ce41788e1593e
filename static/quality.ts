// The player's quality menu for laddered streams (src/ladder/): "Auto" (hls.js picks the rung by the
// measured bandwidth, its ABR) plus one entry per rung of the multivariant playlist, showing the rung
// playing now ("Auto (180p)"). Picking a rung switches at the next
// fragment without flushing what is buffered (hls.js loadLevel), so playback goes on without a gap. Shown only when the
// stream has more than one rung; removed when hls.js is destroyed. The element carries the state for
// tests and scripts: data-current (height of the rung playing), data-auto ("1" on Auto) and
// data-bandwidth (hls.js's bandwidth estimate, bit/s).
import Hls from "hls.js";

/** The label of a rung: its height and bitrate ("180p · 250 kbit/s"). */
export function rungLabel(level: { height: number; bitrate: number }): string {
  const kbps = Math.round(level.bitrate / 1000);
  return `${level.height ? `${level.height}p` : "audio"} · ${kbps} kbit/s`;
}

/**
 * Adds the quality menu for `hls` after `anchor` (the player's bar). Returns the <label> element (also
 * when hidden: one rung only).
 */
export function attachQualityMenu(hls: Hls, anchor: Element): HTMLLabelElement {
  const box = document.createElement("label");
  box.className = "quality hidden";
  box.id = "quality";
  box.title = "Quality";
  const select = document.createElement("select");
  select.setAttribute("aria-label", "Quality");
  box.append(select);
  anchor.append(box);

  const levelName = (i: number) => {
    const l = hls.levels[i];
    return l ? `${l.height}p` : "?";
  };
  const render = () => {
    const auto = hls.autoLevelEnabled;
    const cur = hls.currentLevel;
    box.dataset.auto = auto ? "1" : "0";
    box.dataset.bandwidth = String(Math.round(hls.bandwidthEstimate || 0));
    box.dataset.current = cur >= 0 && hls.levels[cur] ? String(hls.levels[cur].height) : "";
    const autoOpt = select.options[0];
    if (autoOpt) autoOpt.textContent = auto && cur >= 0 ? `Auto (${levelName(cur)})` : "Auto";
    select.value = auto ? "-1" : String(hls.manualLevel >= 0 ? hls.manualLevel : cur);
  };
  const build = () => {
    select.replaceChildren();
    const auto = document.createElement("option");
    auto.value = "-1";
    auto.textContent = "Auto";
    select.append(auto);
    // Highest first, as viewers expect; values are hls.js's level indexes.
    const order = hls.levels.map((l, i) => ({ l, i })).sort((a, b) => b.l.height - a.l.height);
    for (const { l, i } of order) {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = rungLabel(l);
      select.append(o);
    }
    box.classList.toggle("hidden", hls.levels.length < 2);
    render();
  };
  select.addEventListener("change", () => {
    const i = Number(select.value);
    // -1: back to Auto (ABR). Otherwise the chosen rung from the next fragment hls.js loads on; what is
    // buffered is kept (loadLevel; nextLevel and currentLevel flush the buffer, which at LL-HLS's half
    // second behind the live edge leaves nothing to play while the new rung's playlist and init load).
    hls.loadLevel = i;
    render();
  });
  hls.on(Hls.Events.MANIFEST_PARSED, build);
  hls.on(Hls.Events.LEVEL_SWITCHED, render);
  hls.on(Hls.Events.FRAG_BUFFERED, render);
  hls.on(Hls.Events.DESTROYING, () => box.remove());
  if (hls.levels.length) build();
  return box;
}
