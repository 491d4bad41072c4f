// The project board: drag and drop with SortableJS (vendor/sortablejs, loaded before this
// module), and the same moves by keyboard on a focused card. Every move is POSTed to the card's
// own "Move to…" form address (the board works without this script through those forms); a
// refused move (someone else moved the card first: 409) puts the card back where it was and
// says why in the status region.

const board = document.querySelector("[data-board][data-movable]");
const status = document.getElementById("board-status");

function announce(message) {
  if (!status) return;
  status.textContent = "";
  // A fresh text node so screen readers announce the same message twice in a row too.
  window.requestAnimationFrame(() => { status.textContent = message; });
}

function columnOf(card) {
  return card.closest("[data-status]");
}

function neighbours(card) {
  const before = card.previousElementSibling;
  const after = card.nextElementSibling;
  return { before: before ? before.dataset.id : "", after: after ? after.dataset.id : "" };
}

function updateCounts() {
  for (const list of board.querySelectorAll("[data-status]")) {
    const count = list.closest("section").querySelector(".column-count");
    // Cards beyond the column's first ones are not on the page but still counted.
    if (count) count.textContent = String(list.children.length + Number(list.dataset.hidden || 0));
  }
}

function restore(card, origin) {
  const { list, next } = origin;
  if (next && next.parentElement === list) list.insertBefore(card, next);
  else list.appendChild(card);
  updateCounts();
}

async function move(card, origin) {
  const form = card.querySelector("form");
  const list = columnOf(card);
  if (!form || !list) return;
  const { before, after } = neighbours(card);
  const body = new FormData();
  body.set("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
  body.set("version", card.dataset.version);
  body.set("status", list.dataset.status);
  body.set("before", before);
  body.set("after", after);
  card.setAttribute("aria-busy", "true");
  let answer = null;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    answer = await response.json();
  } catch {
    answer = { ok: false, message: "The move could not be saved (no connection); the card is back in its place." };
  }
  card.removeAttribute("aria-busy");
  if (answer.version) card.dataset.version = String(answer.version);
  if (answer.ok) {
    const select = form.elements.status;
    if (select) select.value = list.dataset.status;
    form.elements.version.value = card.dataset.version;
    announce(answer.message);
    updateCounts();
    return;
  }
  form.elements.version.value = card.dataset.version;
  restore(card, origin);
  card.classList.add("refused");
  window.setTimeout(() => card.classList.remove("refused"), 4000);
  announce(answer.message || "The move was refused; the card is back in its place.");
  card.focus();
}

function originOf(card) {
  return { list: columnOf(card), next: card.nextElementSibling };
}

function setupDrag() {
  if (!window.Sortable) return;
  for (const list of board.querySelectorAll("[data-status]")) {
    window.Sortable.create(list, {
      group: "board",
      animation: 150,
      // On a touch screen a short press starts a drag, so a swipe still scrolls the columns.
      delay: 200,
      delayOnTouchOnly: true,
      filter: ".card-move, a, button, select, input, label",
      preventOnFilter: false,
      ghostClass: "card-ghost",
      chosenClass: "card-chosen",
      onStart(event) {
        // Where the card was, to put it back if the move is refused.
        event.item._origin = { list: event.from, next: event.item.nextElementSibling };
      },
      onEnd(event) {
        const card = event.item;
        if (event.from === event.to && event.oldIndex === event.newIndex) return;
        move(card, card._origin || { list: event.from, next: null });
      },
    });
  }
}

function setupKeys() {
  board.addEventListener("keydown", (event) => {
    const card = event.target;
    if (!(card instanceof HTMLElement) || !card.classList.contains("task-card")) return;
    const list = columnOf(card);
    const lists = [...board.querySelectorAll("[data-status]")];
    const index = lists.indexOf(list);
    const origin = originOf(card);
    let target = null;
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      target = lists[index + (event.key === "ArrowLeft" ? -1 : 1)];
      if (!target) return;
      event.preventDefault();
      target.insertBefore(card, target.firstElementChild);
    } else if (event.key === "ArrowUp" && card.previousElementSibling) {
      event.preventDefault();
      list.insertBefore(card, card.previousElementSibling);
    } else if (event.key === "ArrowDown" && card.nextElementSibling) {
      event.preventDefault();
      list.insertBefore(card, card.nextElementSibling.nextElementSibling);
    } else {
      return;
    }
    card.focus();
    move(card, origin);
  });
}

if (board) {
  setupDrag();
  setupKeys();
}
