// The recording player of a brief (recordings/_player.html): seeking from pinned comments and
// transcript lines (any element with data-seek="12.5"), the comment marks on the timeline, a
// "pin to current moment" helper for the comment form's moment field, and watch progress
// reported to the API every few seconds.

const REPORT_EVERY_MS = 5000;
const TIMELINE_WIDTH = 1000;
const PIN_WIDTH = 8;

function timecode(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

function setup(player) {
  const media = player.querySelector(".player-media");
  if (!media) return;
  const knownDuration = parseFloat(player.dataset.duration);
  const duration = () =>
    Number.isFinite(media.duration) && media.duration > 0 ? media.duration : knownDuration;

  // --- Seeking: a click on any [data-seek] on the page moves the player there. ----------------
  function seek(seconds) {
    if (!Number.isFinite(seconds)) return;
    const go = () => {
      media.currentTime = seconds;
      media.play().catch(() => {});
    };
    if (media.readyState >= 1) go();
    else media.addEventListener("loadedmetadata", go, { once: true });
    player.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-seek]");
    if (!link) return;
    event.preventDefault();
    seek(parseFloat(link.dataset.seek));
  });
  const asked = parseFloat(new URLSearchParams(window.location.search).get("t"));
  if (Number.isFinite(asked)) seek(asked);

  // --- Timeline: marks where people commented, and how far the player is. -----------------
  const played = player.querySelector("[data-played]");
  function placeMarks() {
    const total = duration();
    if (!Number.isFinite(total) || total <= 0) return;
    for (const link of player.querySelectorAll(".timeline-pin")) {
      const x = Math.min(1, parseFloat(link.dataset.seek) / total) * TIMELINE_WIDTH;
      link.querySelector("rect").setAttribute("x", String(Math.max(0, x - PIN_WIDTH / 2)));
    }
  }
  media.addEventListener("loadedmetadata", placeMarks);
  media.addEventListener("durationchange", placeMarks);
  placeMarks();
  media.addEventListener("timeupdate", () => {
    const total = duration();
    if (played && Number.isFinite(total) && total > 0) {
      played.setAttribute("width", String(Math.min(1, media.currentTime / total) * TIMELINE_WIDTH));
    }
  });

  // --- Pin a comment to the current moment: fills the comment form's at_seconds. -----------
  const pinRow = player.querySelector("[data-pin-row]");
  // The comment form's moment field: `at_seconds` (seconds) or the page form's `at` (m:ss).
  // Looked up at each click: htmx replaces the comment thread (and its form) after a comment.
  const momentField = () => document.querySelector("input[name='at_seconds'], input[name='at']");
  if (pinRow && momentField()) {
    pinRow.hidden = false;
    const status = pinRow.querySelector("[data-pin-status]");
    pinRow.querySelector("[data-pin-moment]").addEventListener("click", () => {
      const field = momentField();
      if (!field) {
        status.textContent = "There is no comment form on this page to pin a moment to.";
        return;
      }
      const at = Math.max(0, media.currentTime);
      const tenths = (Math.round(at * 10) / 10).toFixed(1);
      field.value =
        field.type === "number" || field.name === "at_seconds"
          ? tenths
          : `${timecode(at)}${tenths.slice(tenths.indexOf("."))}`;
      field.dispatchEvent(new Event("input", { bubbles: true }));
      status.textContent = `The comment will be pinned at ${timecode(at)}.`;
      const body = field.form && field.form.querySelector("textarea");
      (body || field).focus();
    });
  }

  // --- Watch progress: the ranges actually played, sent every few seconds. ---------------
  const url = player.dataset.progressUrl;
  const workspace = player.dataset.workspace;
  let start = null;
  let last = 0;
  let pending = [];
  let sending = false;

  function close() {
    if (start !== null && last > start) pending.push([start, last]);
    start = null;
  }
  media.addEventListener("playing", () => {
    start = media.currentTime;
    last = start;
  });
  media.addEventListener("timeupdate", () => {
    if (media.paused || media.seeking) return;
    const now = media.currentTime;
    if (start === null || now < last || now - last > 3) {
      close();
      start = now;
    }
    last = now;
  });
  media.addEventListener("seeking", close);
  media.addEventListener("pause", () => { close(); report(); });
  media.addEventListener("ended", () => { last = media.currentTime; close(); report(); });

  async function report(keepalive = false) {
    if (!url || sending) return;
    if (start !== null && !media.paused) {
      close();
      start = media.currentTime;
      last = start;
    }
    if (!pending.length) return;
    const ranges = pending;
    pending = [];
    sending = true;
    const total = duration();
    try {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        keepalive,
        headers: {
          "Content-Type": "application/json",
          "X-CSRFToken": csrfToken(),
          "X-Meridian-Workspace": workspace,
        },
        body: JSON.stringify({
          ranges,
          position: media.currentTime,
          duration: Number.isFinite(total) && total > 0 ? total : null,
        }),
      });
      if (!response.ok && response.status >= 500) pending = ranges.concat(pending);
      if (response.ok) {
        const body = await response.json();
        player.dispatchEvent(new CustomEvent("meridian:progress", { detail: body, bubbles: true }));
      }
    } catch {
      pending = ranges.concat(pending); // offline for a moment: send them with the next report
    } finally {
      sending = false;
    }
  }
  setInterval(() => { if (!media.paused) report(); }, REPORT_EVERY_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") report(true);
  });
}

for (const player of document.querySelectorAll("[data-player]")) setup(player);
