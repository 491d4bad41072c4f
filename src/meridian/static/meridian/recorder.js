// The recorder page (recordings/record.html): record screen, camera or both with the microphone
// (MediaRecorder), preview, record again, and upload in chunks through the API's resumable
// upload protocol with a progress bar — or pick an existing file and upload it the same way.
// Without this script the page's plain file form still works.

const RETRY_LIMIT_MS = 30000;
const RETRY_FIRST_MS = 1000;
// Failed tries in a row (about two and a half minutes of waiting between them) before the
// upload stops and says so. What was sent stays on the server: uploading again goes on there.
const RETRY_TRIES = 10;
// A chunk of 8 MiB on a slow line takes a while; a request silent for this long is retried.
const REQUEST_TIMEOUT_MS = 120000;
const FRAME_MS = 1000 / 30;

const root = document.querySelector("[data-recorder]");
const fileForm = document.querySelector("[data-file-form]");
const state = document.querySelector("[data-upload-state]");

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

function sizeLabel(bytes) {
  const units = ["bytes", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit ? `${value.toFixed(1)} ${units[unit]}` : `${bytes} bytes`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- Upload: the API's chunked, resumable protocol ------------------------------------------

// Why an upload ended; ``resumable`` when the bytes sent so far are kept and uploading the
// same file or recording again goes on from there.
class UploadFailed extends Error {
  constructor(message, { resumable = false, status = 0 } = {}) {
    super(message);
    this.resumable = resumable;
    this.status = status; // the HTTP status that ended it, 0 when none
  }
}

// Shows why an upload ended, as an alert, and how to go on (the button to press again).
function uploadFailed(error, button) {
  const problem = state.querySelector("[data-problem]");
  let text = error instanceof UploadFailed ? error.message : `Upload failed: ${error}`;
  if (error instanceof UploadFailed && error.resumable) {
    text += ` Press “${button}” to go on from there.`;
  }
  state.hidden = false;
  state.querySelector("[data-status]").textContent = "The upload stopped.";
  problem.textContent = text;
  problem.hidden = false;
}

function uploader(config) {
  const progress = state.querySelector("[data-progress]");
  const status = state.querySelector("[data-status]");
  const headers = () => ({
    "X-CSRFToken": csrfToken(),
    "X-Meridian-Workspace": config.workspace,
  });

  function show(sent, total, text) {
    state.hidden = false;
    const percent = total ? Math.floor((sent / total) * 100) : 0;
    progress.value = percent;
    progress.textContent = `${percent} %`;
    status.textContent = text || `Uploading: ${percent} % (${sizeLabel(sent)} of ${sizeLabel(total)})`;
  }

  async function problem(response) {
    try {
      return (await response.json()).detail || `The server answered ${response.status}.`;
    } catch {
      return `The server answered ${response.status}.`;
    }
  }

  // Where a blob's upload is kept to resume it: a picked file by name, size and date (so a
  // reload can pick it up again); a recorded blob, which has no date and does not survive a
  // reload, by the blob itself for as long as the page lives.
  const recorded = new WeakMap();

  function remembered(blob, key) {
    return blob.lastModified ? localStorage.getItem(key) : recorded.get(blob) || null;
  }

  function remember(blob, key, url) {
    if (blob.lastModified) localStorage.setItem(key, url);
    else recorded.set(blob, url);
  }

  function forget(blob, key) {
    if (blob.lastModified) localStorage.removeItem(key);
    else recorded.delete(blob);
  }

  const transient = (status) => status === 408 || status === 429 || status >= 500;

  // One JSON request: ``{ answer }``, or ``{ why }`` after a network error, a timeout or a
  // passing server error (a 502 from a proxy, a restart); any other refusal throws.
  async function ask(url, options = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    let response;
    try {
      response = await fetch(url, {
        credentials: "same-origin",
        cache: "no-store",
        ...options,
        headers: { ...headers(), ...options.headers },
        signal: controller.signal,
      });
      if (response.ok) return { answer: await response.json() };
    } catch {
      return { why: "The connection dropped." };
    } finally {
      clearTimeout(timer);
    }
    // A 409 with Retry-After: the same Idempotency-Key is still being answered; ask again.
    if (transient(response.status) || response.headers.has("Retry-After")) {
      return { why: `The server answered ${response.status}.` };
    }
    throw new UploadFailed(await problem(response), { status: response.status });
  }

  // One chunk with XMLHttpRequest, whose upload events drive the progress bar within a chunk.
  function send(url, blob, offset, chunk) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PATCH", url);
      xhr.timeout = REQUEST_TIMEOUT_MS;
      for (const [name, value] of Object.entries(headers())) xhr.setRequestHeader(name, value);
      xhr.setRequestHeader("Upload-Offset", String(offset));
      xhr.setRequestHeader("Content-Type", "application/offset+octet-stream");
      xhr.upload.onprogress = (event) => show(offset + event.loaded, blob.size);
      xhr.onload = () => resolve(xhr);
      xhr.onerror = () => reject(new Error("The connection dropped."));
      xhr.ontimeout = () => reject(new Error("The server did not answer in time."));
      xhr.send(blob.slice(offset, offset + chunk));
    });
  }

  function detailOf(xhr) {
    try {
      return JSON.parse(xhr.responseText).detail || `The server answered ${xhr.status}.`;
    } catch {
      return `The server answered ${xhr.status}.`;
    }
  }

  return async function upload(blob, filename) {
    state.querySelector("[data-problem]").hidden = true;
    if (blob.size > config.maxBytes) {
      throw new UploadFailed(
        `The file is ${sizeLabel(blob.size)}, larger than the limit of ${sizeLabel(config.maxBytes)}.`,
      );
    }
    show(0, blob.size, "Starting the upload…");
    const key = `meridian-upload:${config.brief}:${filename}:${blob.size}:${blob.lastModified || ""}`;
    // The same file or recording partly sent before (say, before the page was reloaded) is
    // resumed: ask the server where it stands before sending anything.
    let url = remembered(blob, key);
    let stale = url !== null;
    let upload = null; // the upload as the server last described it
    let offset = 0;
    let wait = RETRY_FIRST_MS;
    let tries = 0;
    // One key for every try at creating this upload: a POST whose answer was lost and is sent
    // again gets the same upload back instead of leaving a second, orphaned one on the server.
    // (getRandomValues, not randomUUID: the latter needs HTTPS, and plain-HTTP installs exist.)
    const creationKey = Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) =>
      byte.toString(16).padStart(2, "0"),
    ).join("");

    const pause = async (text) => {
      show(offset, blob.size, text.replace("{s}", String(Math.round(wait / 1000))));
      await sleep(wait);
      wait = Math.min(wait * 2, RETRY_LIMIT_MS);
    };
    // A failed try: wait a little longer each time, and stop after RETRY_TRIES in a row.
    const retry = async (text, why) => {
      tries += 1;
      if (tries >= RETRY_TRIES) {
        const kept = offset
          ? ` The ${sizeLabel(offset)} of ${sizeLabel(blob.size)} sent so far are kept on the server.`
          : "";
        throw new UploadFailed(
          `The upload stopped after ${tries} failed tries in a row. ${why}${kept}`,
          { resumable: true },
        );
      }
      await pause(text);
    };
    // The server's word on the upload; bytes it gained are progress, so the tries start over.
    const heard = (answer) => {
      if (answer.offset > offset) {
        tries = 0;
        wait = RETRY_FIRST_MS;
      }
      upload = answer;
      offset = answer.offset;
      stale = false;
    };

    for (;;) {
      if (url === null) {
        const created = await ask(config.uploadsUrl, {
          method: "POST",
          headers: { "Content-Type": "application/json", "Idempotency-Key": creationKey },
          body: JSON.stringify({ brief_id: Number(config.brief), filename, size: blob.size }),
        });
        if (created.answer) {
          url = created.answer.url;
          remember(blob, key, url);
          heard(created.answer);
        } else {
          await retry("Connection lost; trying again in {s} s…", created.why);
        }
        continue;
      }
      if (stale) {
        // After a failure, or before resuming: where does the server stand?
        let found;
        try {
          found = await ask(url);
        } catch (error) {
          if (upload) throw error; // cancelled or removed while this page was sending it
          // Only an upload the server no longer has is forgotten; any other refusal (signed
          // out, no longer a member) is shown, and the upload stays remembered for later.
          if (![404, 410].includes(error.status)) throw error;
          found = { answer: { status: "gone" } };
        }
        const goesOn = ["receiving", "finishing", "complete"];
        if (found.answer && !upload && !goesOn.includes(found.answer.status)) {
          // The earlier upload of this file is gone or was refused: start a new one.
          forget(blob, key);
          url = null;
        } else if (found.answer) {
          heard(found.answer);
        } else {
          await retry("Connection lost; trying again in {s} s…", found.why);
        }
        continue;
      }
      if (upload.status !== "receiving" && upload.status !== "finishing") break;
      if (upload.status === "finishing") {
        // The last byte is in; the server is storing the file, which is no failure. Wait and
        // send the empty last chunk: it finishes the file should the first attempt have failed.
        await pause("Storing the recording… ({s} s)");
      }
      // The page's chunk size when it sets one, else the server's; never more than it takes.
      const chunk = Math.min(
        config.chunkBytes || upload.chunk_size,
        upload.max_chunk_size || Infinity,
      );
      let xhr;
      try {
        xhr = await send(url, blob, offset, chunk);
      } catch (error) {
        // The connection dropped: the chunk may have arrived in part or whole. Wait, ask the
        // server what it kept, and go on from there.
        stale = true;
        await retry("Connection lost; trying again in {s} s…", error.message);
        continue;
      }
      if (xhr.status === 200) {
        heard(JSON.parse(xhr.responseText));
        show(offset, blob.size);
      } else if (
        ((xhr.status === 409 || xhr.status === 400) &&
          xhr.getResponseHeader("Upload-Offset") !== null) ||
        transient(xhr.status)
      ) {
        // Out of step with the server (a chunk whose answer was lost), busy finishing, a cut
        // chunk, or a passing server error: wait, then resume from what the server has.
        stale = true;
        if (xhr.getResponseHeader("Upload-Status") === "finishing") {
          await pause("Storing the recording… ({s} s)");
        } else {
          await retry("Resuming in {s} s…", detailOf(xhr));
        }
      } else {
        // A refusal (a 409 without an offset: the brief was closed, say): say why and stop;
        // the upload is kept for a later attempt only when it may still go on.
        if (xhr.status !== 409) forget(blob, key);
        throw new UploadFailed(detailOf(xhr));
      }
    }
    forget(blob, key);
    if (upload.status !== "complete") throw new UploadFailed(upload.problem || "The upload failed.");
    show(blob.size, blob.size, "Uploaded: 100 %. Opening the recording…");
    await sleep(600); // long enough to see the bar full before the page changes
    return upload.recording_id;
  };
}

// --- Recording -----------------------------------------------------------------------------

function pickType() {
  const types = [
    "video/webm;codecs=vp9,opus",
    "video/webm;codecs=vp8,opus",
    "video/webm",
    "video/mp4",
  ];
  return types.find((type) => MediaRecorder.isTypeSupported(type)) || "";
}

// Screen with the camera in the lower right corner, drawn on a canvas on a worker's clock.
function composite(screen, camera, tickUrl) {
  const screenVideo = document.createElement("video");
  const cameraVideo = document.createElement("video");
  for (const [video, stream] of [[screenVideo, screen], [cameraVideo, camera]]) {
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    video.play().catch(() => {});
  }
  const settings = screen.getVideoTracks()[0].getSettings();
  const canvas = document.createElement("canvas");
  canvas.width = settings.width || 1280;
  canvas.height = settings.height || 720;
  const context = canvas.getContext("2d");
  const draw = () => {
    context.drawImage(screenVideo, 0, 0, canvas.width, canvas.height);
    const w = Math.round(canvas.width / 4);
    const h = Math.round((w * (cameraVideo.videoHeight || 9)) / (cameraVideo.videoWidth || 16));
    const margin = Math.round(canvas.width / 60);
    context.drawImage(cameraVideo, canvas.width - w - margin, canvas.height - h - margin, w, h);
  };
  const worker = new Worker(tickUrl);
  worker.onmessage = draw;
  worker.postMessage({ ms: FRAME_MS });
  const stream = canvas.captureStream(30);
  return { stream, stop: () => worker.terminate() };
}

function setupRecorder(config, upload) {
  const preview = root.querySelector("[data-preview]");
  const clock = root.querySelector("[data-clock]");
  const elapsed = root.querySelector("[data-elapsed]");
  const setup = root.querySelector("[data-setup]");
  const buttons = Object.fromEntries(
    [...root.querySelectorAll("[data-action]")].map((b) => [b.dataset.action, b]),
  );
  const status = state.querySelector("[data-status]");
  let sources = [];
  let stopCompositing = null;
  let recorder = null;
  let recording = null;
  let recordingName = "";
  let timer = null;

  function only(...names) {
    for (const [name, button] of Object.entries(buttons)) button.hidden = !names.includes(name);
  }

  function release() {
    for (const stream of sources) for (const track of stream.getTracks()) track.stop();
    sources = [];
    if (stopCompositing) stopCompositing();
    stopCompositing = null;
    clearInterval(timer);
  }

  async function capture(source, mic) {
    const tracks = [];
    if (source === "screen" || source === "both") {
      const screen = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      sources.push(screen);
      screen.getVideoTracks()[0].addEventListener("ended", () => stop());
      if (source === "both") {
        const camera = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
        sources.push(camera);
        const mixed = composite(screen, camera, config.tickWorker);
        stopCompositing = mixed.stop;
        tracks.push(...mixed.stream.getVideoTracks());
      } else {
        tracks.push(...screen.getVideoTracks());
      }
    } else {
      const camera = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
      sources.push(camera);
      tracks.push(...camera.getVideoTracks());
    }
    if (mic) {
      const voice = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      sources.push(voice);
      tracks.push(...voice.getAudioTracks());
    }
    return new MediaStream(tracks);
  }

  async function start() {
    const source = root.querySelector("input[name='source']:checked").value;
    const mic = root.querySelector("input[name='mic']").checked;
    let stream;
    try {
      stream = await capture(source, mic);
    } catch (error) {
      release();
      state.hidden = false;
      status.textContent = `Recording could not start: ${error.message || error.name}. Allow access to the camera, screen or microphone, or upload a file instead.`;
      return;
    }
    const type = pickType();
    const chunks = [];
    recorder = new MediaRecorder(stream, type ? { mimeType: type, videoBitsPerSecond: 2500000 } : {});
    recorder.ondataavailable = (event) => {
      if (event.data.size) chunks.push(event.data);
    };
    recorder.onstop = () => {
      release();
      recording = new Blob(chunks, { type: recorder.mimeType || type || "video/webm" });
      // Named once, so clicking Upload again after a failure resumes the same upload.
      const ext = recording.type.includes("mp4") ? "mp4" : "webm";
      const stamp = new Date().toISOString().slice(0, 16).replace("T", "-").replace(":", "");
      recordingName = `recording-${stamp}.${ext}`;
      preview.srcObject = null;
      preview.src = URL.createObjectURL(recording);
      preview.muted = false;
      preview.controls = true;
      clock.hidden = true;
      setup.disabled = false;
      only("upload", "rerecord");
      state.hidden = false;
      status.textContent = `Recorded ${elapsed.textContent} (${sizeLabel(recording.size)}). Watch the preview, then upload it or record again.`;
    };
    recorder.start(1000);
    preview.hidden = false;
    preview.controls = false;
    preview.muted = true;
    preview.srcObject = stream;
    preview.play().catch(() => {});
    setup.disabled = true;
    clock.hidden = false;
    const began = Date.now();
    elapsed.textContent = "0:00";
    timer = setInterval(() => {
      const s = Math.floor((Date.now() - began) / 1000);
      elapsed.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    }, 500);
    only("stop");
  }

  function stop() {
    if (recorder && recorder.state !== "inactive") recorder.stop();
  }

  function rerecord() {
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.removeAttribute("src");
    preview.hidden = true;
    recording = null;
    state.hidden = true;
    only("start");
  }

  async function send() {
    if (!recording) return;
    only();
    try {
      const id = await upload(recording, recordingName);
      window.location.assign(config.doneUrl.replace(/\/0\/$/, `/${id}/`));
    } catch (error) {
      uploadFailed(error, buttons.upload.textContent.trim());
      only("upload", "rerecord");
    }
  }

  buttons.start.addEventListener("click", start);
  buttons.stop.addEventListener("click", stop);
  buttons.rerecord.addEventListener("click", rerecord);
  buttons.upload.addEventListener("click", send);
  root.hidden = false;
}

if (root && state) {
  const config = {
    brief: root.dataset.brief,
    workspace: root.dataset.workspace,
    uploadsUrl: root.dataset.uploadsUrl,
    maxBytes: Number(root.dataset.maxBytes),
    chunkBytes: Number(root.dataset.chunkBytes) || 0,
    doneUrl: root.dataset.doneUrl,
    tickWorker: root.dataset.tickWorker,
  };
  const upload = uploader(config);
  if (window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    setupRecorder(config, upload);
  }
  if (fileForm) {
    fileForm.addEventListener("submit", async (event) => {
      const input = fileForm.querySelector("input[type='file']");
      const file = input.files && input.files[0];
      if (!file) return;
      event.preventDefault();
      const button = fileForm.querySelector("button[type='submit']");
      button.disabled = true;
      try {
        const id = await upload(file, file.name);
        window.location.assign(config.doneUrl.replace(/\/0\/$/, `/${id}/`));
      } catch (error) {
        uploadFailed(error, button.textContent.trim());
        button.disabled = false;
      }
    });
  }
}
