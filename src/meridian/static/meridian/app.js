// Small progressive enhancements; every page works without them.
// Select the whole secret when a shown-once field (token, invitation link) gets focus.
document.addEventListener("focusin", (event) => {
  const target = event.target;
  if (target instanceof HTMLInputElement && target.classList.contains("secret")) {
    target.select();
  }
});
