// Small progressive enhancements; every page works without them. Buttons that only make sense
// with JavaScript are rendered `hidden` and revealed here.

// Select the whole secret when a shown-once field (token, invitation link) gets focus.
document.addEventListener("focusin", (event) => {
  const target = event.target;
  if (target instanceof HTMLInputElement && target.classList.contains("secret")) {
    target.select();
  }
});

function reveal(selector, setup) {
  for (const element of document.querySelectorAll(selector)) {
    if (setup(element) !== false) element.hidden = false;
  }
}

// Copy a shown-once secret to the clipboard: <button data-copy="input-id">.
reveal("[data-copy]", (button) => {
  const input = document.getElementById(button.dataset.copy);
  if (!input || !navigator.clipboard) return false;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = "Copied";
    } catch {
      input.focus();
      button.textContent = "Press Ctrl+C";
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
  return true;
});

// Fill the time zone from this device's settings: <button data-detect-zone="input-id">.
reveal("[data-detect-zone]", (button) => {
  const input = document.getElementById(button.dataset.detectZone);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!input || !zone || input.value === zone) return false;
  button.textContent = `Use this device's time zone (${zone.replaceAll("_", " ")})`;
  button.addEventListener("click", () => {
    input.value = zone;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
  });
  return true;
});

// Copy Monday's working hours and focus time to Tuesday to Friday in the week editor.
reveal("[data-copy-monday]", (button) => {
  const form = button.closest("form");
  if (!form || !form.elements.namedItem("hours_0")) return false;
  button.addEventListener("click", () => {
    for (const prefix of ["hours", "focus"]) {
      const monday = form.elements.namedItem(`${prefix}_0`).value;
      for (let day = 1; day <= 4; day++) form.elements.namedItem(`${prefix}_${day}`).value = monday;
    }
    const status = document.getElementById("copy-monday-status");
    if (status) status.textContent = "Copied Monday's hours to Tuesday to Friday. Save to keep them.";
  });
  return true;
});

// Counts in the nav (the inbox's): htmx loads each and asks again on "badge-poll", sent here every
// minute only while the tab is visible (hidden tabs never poll), and at once when the tab
// comes back. htmx's trigger filters would need eval, which the CSP forbids.
for (const count of document.querySelectorAll("[data-poll-seconds]")) {
  const poll = () => count.dispatchEvent(new Event("badge-poll"));
  setInterval(() => {
    if (document.visibilityState === "visible") poll();
  }, Number(count.dataset.pollSeconds) * 1000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") poll();
  });
}

// The main navigation's menus (<details name="main-nav">) open and close without this; it adds
// what a menu button is expected to do: Escape closes the open menu and returns to its summary,
// and a click or focus elsewhere closes it.
const navMenus = () => document.querySelectorAll('details[name="main-nav"][open]');
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of navMenus()) {
    const inside = menu.contains(document.activeElement);
    menu.open = false;
    if (inside) menu.querySelector("summary").focus();
  }
});
for (const type of ["click", "focusin"]) {
  document.addEventListener(type, (event) => {
    for (const menu of navMenus()) {
      if (!menu.contains(event.target)) menu.open = false;
    }
  });
}
// On a phone the bar's menus wait behind one "Menu" button (core/templatetags/nav.py; CSS shows
// it at phone width only), a disclosure of the whole list: opened, every menu in it is open and
// stacked, so one tap shows everything. The menus leave their one-at-a-time group (name) while
// stacked. Escape, a click or focus outside the nav, or a wider window closes it.
const navToggle = document.querySelector(".nav-toggle[aria-controls]");
const navList = navToggle && document.getElementById(navToggle.getAttribute("aria-controls"));
if (navToggle && navList) {
  const nav = navToggle.closest("nav");
  const isOpen = () => navToggle.getAttribute("aria-expanded") === "true";
  const setOpen = (open) => {
    navToggle.setAttribute("aria-expanded", String(open));
    for (const menu of navList.querySelectorAll(".nav-group details")) {
      if (open) menu.removeAttribute("name");
      menu.open = open;
      if (!open) menu.setAttribute("name", "main-nav");
    }
  };
  // A closed menu's count (the running timer's dot on "Measure") shows on the button, as it does
  // on a closed menu's summary on a desktop; kept in step as htmx reloads the counts.
  const counts = document.createElement("span");
  counts.className = "nav-toggle-counts";
  navToggle.append(counts);
  const badges = () => [...navList.querySelectorAll(".nav-group summary .nav-badge")];
  const copyCounts = () => {
    const shown = badges().filter((badge) => badge.textContent.trim());
    counts.replaceChildren(...shown.map((badge) => badge.firstElementChild?.cloneNode(true) ?? ""));
  };
  copyCounts();
  const watch = new MutationObserver(copyCounts);
  for (const badge of badges()) watch.observe(badge, { childList: true, subtree: true, characterData: true });
  navToggle.hidden = false;
  navToggle.addEventListener("click", () => setOpen(!isOpen()));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !isOpen()) return;
    const inside = nav.contains(document.activeElement);
    setOpen(false);
    if (inside) navToggle.focus();
  });
  for (const type of ["click", "focusin"]) {
    document.addEventListener(type, (event) => {
      if (isOpen() && !nav.contains(event.target)) setOpen(false);
    });
  }
  window.matchMedia("(max-width: 40rem)").addEventListener("change", () => {
    if (isOpen()) setOpen(false);
  });
}
