// A steady clock for the recorder: timers in a page slow down when its tab is hidden (as it is
// while the screen is being recorded), a worker's do not. Posts a tick every `ms` milliseconds.
let timer = null;
self.onmessage = (event) => {
  clearInterval(timer);
  if (event.data && event.data.ms) timer = setInterval(() => self.postMessage(0), event.data.ms);
};
