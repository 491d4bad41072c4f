// The recording player of a brief (recordings/_player.html): seeking from pinned comments and
// transcript lines (any element with data-seek="12.5"), the comment marks on the timeline, a
// "pin to current moment" helper for the comment form's moment field, speed (remembered per
// member), resuming where the member stopped, captions on by default, keyboard shortcuts, and
// watch progress (the media time actually played, whatever the speed) reported every few s.

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

  // --- Speed (remembered per member), resume, captions on, keyboard shortcuts. -------------
  const controls = player.querySelector("[data-controls]");
  const rates = [1, 1.25, 1.5, 1.75, 2];
  const choice = player.querySelector("[data-rate-choice]");
  let rate = parseFloat(player.dataset.rate);
  if (!rates.includes(rate)) rate = 1;
  const applyRate = () => { media.playbackRate = rate; media.defaultPlaybackRate = rate; };
  applyRate();
  media.addEventListener("loadedmetadata", applyRate);
  function setRate(next, save = true) {
    rate = Math.min(2, Math.max(1, next));
    applyRate();
    if (choice) choice.value = String(rate);
    if (save && player.dataset.rateUrl) {
      fetch(player.dataset.rateUrl, {
        method: "PUT",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRFToken": csrfToken(),
          "X-Meridian-Workspace": player.dataset.workspace,
        },
        body: JSON.stringify({ rate }),
      }).catch(() => {});
    }
  }
  if (choice) choice.addEventListener("change", () => setRate(parseFloat(choice.value)));
  if (controls) controls.hidden = false;

  const resumeAt = parseFloat(player.dataset.resume);
  const restart = player.querySelector("[data-restart]");
  const resumeStatus = player.querySelector("[data-resume-status]");
  const total0 = duration();
  if (!Number.isFinite(asked) && resumeAt > 5 && !(total0 && resumeAt > total0 - 5)) {
    const go = () => { media.currentTime = resumeAt; };
    if (media.readyState >= 1) go();
    else media.addEventListener("loadedmetadata", go, { once: true });
    if (resumeStatus) resumeStatus.textContent = `Resumes where you stopped, at ${timecode(resumeAt)}.`;
    if (restart) {
      restart.hidden = false;
      restart.addEventListener("click", () => {
        media.currentTime = 0;
        restart.hidden = true;
        if (resumeStatus) resumeStatus.textContent = "From the start.";
      });
    }
  }

  // Captions on by default when the recording has a track (the first one).
  const showCaptions = () => {
    const tracks = media.textTracks;
    if (tracks && tracks.length && ![...tracks].some((t) => t.mode === "showing")) {
      tracks[0].mode = "showing";
    }
  };
  showCaptions();
  media.addEventListener("loadedmetadata", showCaptions);

  // --- Reactions: an emoji at the current moment, marked on the timeline at once. ---------
  const marks = player.querySelector("[data-reaction-marks]");
  const reactStatus = player.querySelector("[data-react-status]");
  function placeReactions() {
    const total = duration();
    if (!marks || !Number.isFinite(total) || total <= 0) return;
    for (const mark of marks.querySelectorAll("[data-at]")) {
      mark.setAttribute("x", `${(Math.min(1, parseFloat(mark.dataset.at) / total) * 100).toFixed(2)}%`);
    }
  }
  media.addEventListener("loadedmetadata", placeReactions);
  media.addEventListener("durationchange", placeReactions);
  for (const button of player.querySelectorAll("[data-react]")) {
    button.addEventListener("click", async () => {
      const at = Math.max(0, media.currentTime);
      try {
        const response = await fetch(player.dataset.reactionsUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            "X-CSRFToken": csrfToken(),
            "X-Meridian-Workspace": player.dataset.workspace,
          },
          body: JSON.stringify({ seconds: at, emoji: button.dataset.react }),
        });
        if (!response.ok) throw new Error(String(response.status));
        const made = await response.json();
        if (marks && !marks.querySelector(`[data-id="${made.id}"]`)) {
          const mark = document.createElementNS("http://www.w3.org/2000/svg", "text");
          mark.setAttribute("class", "timeline-reaction");
          mark.setAttribute("y", "13");
          mark.dataset.at = String(made.seconds);
          mark.dataset.id = String(made.id);
          mark.textContent = made.emoji;
          marks.append(mark);
          placeReactions();
        }
        if (reactStatus) reactStatus.textContent = `${made.emoji} at ${timecode(made.seconds)}.`;
      } catch {
        if (reactStatus) reactStatus.textContent = "The reaction could not be saved; try again.";
      }
    });
  }

  player.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, button, a, summary")) {
      if (event.key !== "k" && event.key !== "j" && event.key !== "l") return;
      if (event.target.closest("input, textarea, select")) return;
    }
    const total = duration();
    const clamp = (t) => Math.max(0, Number.isFinite(total) ? Math.min(total, t) : t);
    const keys = {
      k: () => (media.paused ? media.play().catch(() => {}) : media.pause()),
      " ": () => (media.paused ? media.play().catch(() => {}) : media.pause()),
      j: () => { media.currentTime = clamp(media.currentTime - 10); },
      l: () => { media.currentTime = clamp(media.currentTime + 10); },
      ArrowLeft: () => { media.currentTime = clamp(media.currentTime - 5); },
      ArrowRight: () => { media.currentTime = clamp(media.currentTime + 5); },
      "<": () => setRate(rates[Math.max(0, rates.indexOf(rate) - 1)]),
      ">": () => setRate(rates[Math.min(rates.length - 1, rates.indexOf(rate) + 1)]),
      c: () => {
        const tracks = [...(media.textTracks || [])];
        if (!tracks.length) return;
        const on = tracks.some((t) => t.mode === "showing");
        tracks.forEach((t, i) => { t.mode = !on && i === 0 ? "showing" : "hidden"; });
      },
    };
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

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
    // timeupdate fires every ~250 ms of wall time: at 2× that is 0.5 s of media, so what
    // counts as a jump (a seek the browser did not announce) grows with the speed.
    if (start === null || now < last || now - last > 3 * Math.max(1, media.playbackRate)) {
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
