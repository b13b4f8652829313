/**
 * The board's columns and cards. The roster arrives whole once and then as patches, so
 * every card lives in a Map (id → entry with its element) and a patch updates or moves
 * that one element: a 500-person board never rebuilds to move one card.
 *
 * Moving someone: drag a card to a column; or, by keyboard, focus a card, press Enter to
 * select it and pick a room in "Move to…". Arrow keys walk the cards (one tab stop).
 */

import { clearError, errorSlot, isBusy } from "../lib/commands.js";
import { h, setText } from "../lib/dom.js";
import { createEntry, updateEntry, updateWhere } from "./cards.js";
import { UNASSIGNED, createColumn, createColumnActions, labelColumn, updateCount } from "./columns.js";

export { UNASSIGNED };
/** The first, disabled option of "Move to…". */
export const PLACEHOLDER = "__placeholder__";
const DRAG_TYPE = "application/x-bw-participant";
const HINT = "Select a card to move it with the keyboard, or drag it to a room.";
// From this many cards on, off-screen columns skip layout (CSS content-visibility).
const MANY = 150;

/** @typedef {import("./cards.js").Participant} Participant */
/** @typedef {import("./cards.js").Entry} Entry */
/** @typedef {import("./columns.js").Column} Column */

/**
 * Build the columns area.
 * @param {{commands: ReturnType<import("../lib/commands.js").createCommands>}} deps
 */
export function createRoster({ commands }) {
  /** @type {Map<string, Entry>} */
  const people = new Map();
  /** @type {Map<string, Column>} */
  const columns = new Map();
  /** @type {Map<string, string>} room id → title, in order */
  const roomTitles = new Map();
  const actions = createColumnActions({ commands });
  let nextOrder = 0;
  let selectedId = null;
  let activeId = null;
  let dragId = null;
  let dropColumn = null;
  let running = false;
  let lastKey = ""; // "Move to…" keyboard state, see onMoveToChange
  let lastKeyAt = -Infinity;
  let pendingTarget = null;

  const grid = h("div", { class: "bw-columns", testid: "bw-columns" });
  const selectionText = h("span", { class: "bw-selection-text", testid: "bw-selection", text: HINT });
  const moveTo = /** @type {HTMLSelectElement} */ (
    h("select", { class: "bw-select", testid: "bw-move-to", "aria-label": "Move the selected person to", disabled: true })
  );
  const moveError = errorSlot("bw-move-error");
  const el = h("div", { class: "bw-roster" }, h("div", { class: "bw-selection" }, selectionText, moveTo, moveError), grid);

  // -- placing cards ---------------------------------------------------------------------------

  function columnIdFor(p) {
    return p.room_id && columns.has(p.room_id) ? p.room_id : UNASSIGNED;
  }

  // Keep invite order inside a column, so a card lands where a reader expects it.
  function insertSorted(col, entry) {
    let before = null;
    for (const child of col.list.children) {
      const other = people.get(child.getAttribute("data-participant-id"));
      if (other && other !== entry && other.order > entry.order) {
        before = child;
        break;
      }
    }
    if (entry.el.parentNode === col.list && entry.el.nextSibling === before) return;
    const hadFocus = document.activeElement === entry.el; // moving a node drops its focus
    col.list.insertBefore(entry.el, before);
    if (hadFocus) entry.el.focus({ preventScroll: true });
  }

  function relocate(entry, target) {
    if (entry.col === target) return;
    const from = entry.col === null ? undefined : columns.get(entry.col);
    entry.col = target;
    insertSorted(columns.get(target), entry);
    updateCount(from);
    updateCount(columns.get(target));
  }

  /**
   * Show the rooms (in order) as columns after the Unassigned one, keeping every card.
   * @param {Array<{id: string, title: string}>} rooms
   */
  function setRooms(rooms) {
    let structural = false;
    roomTitles.clear();
    for (const room of rooms) {
      roomTitles.set(room.id, room.title);
      let col = columns.get(room.id);
      if (!col) {
        col = createColumn(room.id, room.title);
        columns.set(room.id, col);
        structural = true;
      } else {
        labelColumn(col, room.title);
      }
    }
    for (const [id, col] of [...columns]) {
      if (id === UNASSIGNED || roomTitles.has(id)) continue;
      // The room is gone; its people wait in Unassigned until their patch arrives.
      columns.delete(id);
      col.el.remove();
      structural = true;
      for (const entry of people.values()) if (entry.col === id) entry.col = null;
    }
    [UNASSIGNED, ...roomTitles.keys()].forEach((id, i) => {
      const col = columns.get(id);
      if (grid.children[i] !== col.el) grid.insertBefore(col.el, grid.children[i] || null);
    });
    if (structural) {
      // A card whose room arrived after it (or left) goes where it belongs now.
      for (const entry of people.values()) {
        const target = columnIdFor(entry.p);
        if (entry.col !== target) {
          entry.col = target;
          insertSorted(columns.get(target), entry);
        }
      }
      for (const col of columns.values()) updateCount(col);
    }
    if (running) for (const entry of people.values()) updateWhere(entry, running, roomTitles);
    fillMoveTo();
    syncSelection();
  }

  /**
   * Show the whole roster (invite order), reusing the cards that exist.
   * @param {Participant[]} list
   */
  function applyFull(list) {
    const focused = document.activeElement && document.activeElement.closest?.(".bw-card");
    const focusedId = focused && grid.contains(focused) ? focused.getAttribute("data-participant-id") : null;
    const fragments = new Map();
    for (const id of columns.keys()) fragments.set(id, document.createDocumentFragment());
    const seen = new Set();
    list.forEach((p, i) => {
      let entry = people.get(p.id);
      if (entry) updateEntry(entry, p);
      else people.set(p.id, (entry = createEntry(p, i)));
      entry.order = i;
      entry.col = columnIdFor(p);
      updateWhere(entry, running, roomTitles);
      fragments.get(entry.col).appendChild(entry.el);
      seen.add(p.id);
    });
    nextOrder = list.length;
    for (const [id, entry] of [...people]) {
      if (seen.has(id)) continue;
      people.delete(id);
      entry.el.remove();
    }
    for (const [id, col] of columns) {
      col.list.replaceChildren(fragments.get(id));
      updateCount(col);
    }
    if (selectedId && !people.has(selectedId)) selectedId = null;
    grid.classList.toggle("bw-many", people.size >= MANY);
    syncSelection();
    ensureActive();
    if (focusedId && people.has(focusedId)) people.get(focusedId).el.focus({ preventScroll: true });
  }

  /**
   * Apply a roster patch: only the named cards change.
   * @param {Participant[]} changed
   * @param {string[]} removed
   */
  function applyPatch(changed, removed) {
    for (const p of changed) {
      let entry = people.get(p.id);
      if (entry) updateEntry(entry, p);
      else people.set(p.id, (entry = createEntry(p, nextOrder++)));
      updateWhere(entry, running, roomTitles);
      relocate(entry, columnIdFor(p));
      if (p.id === selectedId) syncSelection();
    }
    for (const id of removed) {
      const entry = people.get(id);
      if (!entry) continue;
      people.delete(id);
      entry.el.remove();
      updateCount(columns.get(entry.col));
      if (id === selectedId) select(null);
    }
    if (grid.classList.contains("bw-many") !== people.size >= MANY) grid.classList.toggle("bw-many");
    ensureActive();
  }

  /**
   * Whether the breakout runs (cards then say where someone is, if not in their room).
   * @param {boolean} value
   */
  function setRunning(value) {
    if (running === value) return;
    running = value;
    for (const entry of people.values()) updateWhere(entry, running, roomTitles);
  }

  // -- selection, "Move to…" and the keyboard --------------------------------------------------

  function fillMoveTo() {
    const options = [
      h("option", { value: PLACEHOLDER, disabled: true, text: "Move to…" }),
      h("option", { value: UNASSIGNED, text: "Unassigned" }),
    ];
    for (const [id, title] of roomTitles) options.push(h("option", { value: id, text: title }));
    moveTo.replaceChildren(...options);
    moveTo.value = PLACEHOLDER;
  }

  function syncSelection() {
    const entry = selectedId ? people.get(selectedId) : null;
    if (entry) {
      const where = entry.col === UNASSIGNED ? "Unassigned" : roomTitles.get(entry.col);
      setText(selectionText, `Selected: ${entry.p.name} (${where}).`);
    } else {
      setText(selectionText, HINT);
    }
    if (!isBusy(moveTo)) moveTo.disabled = !entry;
    for (const option of moveTo.options) {
      if (option.value !== PLACEHOLDER) option.disabled = !!entry && option.value === entry.col;
    }
  }

  /**
   * Select a card (or none, with null) for "Move to…".
   * @param {string|null} id
   */
  function select(id) {
    if (selectedId && people.has(selectedId)) people.get(selectedId).el.setAttribute("aria-pressed", "false");
    selectedId = id && people.has(id) ? id : null;
    if (selectedId) {
      people.get(selectedId).el.setAttribute("aria-pressed", "true");
      setActive(selectedId);
    }
    pendingTarget = null;
    clearError(moveError);
    syncSelection();
  }

  // One tab stop for all cards (roving tabindex); arrows move between them.
  function setActive(id) {
    if (activeId === id) return;
    const old = activeId && people.get(activeId);
    if (old) old.el.setAttribute("tabindex", "-1");
    activeId = id;
    if (id && people.has(id)) people.get(id).el.setAttribute("tabindex", "0");
  }

  function ensureActive() {
    if (activeId && people.has(activeId)) return;
    activeId = null;
    const first = grid.querySelector(".bw-card");
    if (first) setActive(first.getAttribute("data-participant-id"));
  }

  function focusCard(card) {
    if (!card) return;
    setActive(card.getAttribute("data-participant-id"));
    card.focus();
  }

  function neighbourColumnCard(card, step) {
    const cols = [...grid.children];
    const index = [...card.parentElement.children].indexOf(card);
    for (let i = cols.indexOf(card.closest(".bw-column")) + step; i >= 0 && i < cols.length; i += step) {
      const cards = cols[i].querySelector(".bw-cards").children;
      if (cards.length) return cards[Math.min(index, cards.length - 1)];
    }
    return null;
  }

  function onKeydown(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    if (event.key === "Escape" && target.matches(".bw-rename-form input")) {
      event.preventDefault();
      actions.endRename(columnOf(target));
      return;
    }
    if (!target.matches(".bw-card")) return;
    let next = null;
    switch (event.key) {
      case "Enter":
      case " ": {
        event.preventDefault();
        const id = target.getAttribute("data-participant-id");
        select(selectedId === id ? null : id);
        if (selectedId) moveTo.focus();
        return;
      }
      case "Escape":
        select(null);
        return;
      case "ArrowDown":
        next = target.nextElementSibling;
        break;
      case "ArrowUp":
        next = target.previousElementSibling;
        break;
      case "ArrowRight":
        next = neighbourColumnCard(target, 1);
        break;
      case "ArrowLeft":
        next = neighbourColumnCard(target, -1);
        break;
      case "Home":
        next = target.parentElement.firstElementChild;
        break;
      case "End":
        next = target.parentElement.lastElementChild;
        break;
      default:
        return;
    }
    event.preventDefault();
    focusCard(next);
  }

  // A closed <select> changes its value on arrow keys in Chromium on Windows and Linux;
  // moving someone on each arrow press would be wrong. A change right after such a key
  // waits for Enter; a mouse pick, a pick in the open list or a script moves at once.
  function onMoveToKeydown(event) {
    if (event.key === "Enter" && pendingTarget !== null) {
      event.preventDefault();
      moveSelected(pendingTarget);
      return;
    }
    lastKey = event.key;
    lastKeyAt = performance.now();
  }

  function onMoveToChange() {
    const value = moveTo.value;
    if (value === PLACEHOLDER || !selectedId) return;
    if (lastKey !== "Enter" && performance.now() - lastKeyAt < 250) {
      pendingTarget = value;
      const title = value === UNASSIGNED ? "Unassigned" : roomTitles.get(value);
      setText(selectionText, `Press Enter to move ${people.get(selectedId).p.name} to ${title}.`);
      return;
    }
    moveSelected(value);
  }

  function moveSelected(value) {
    pendingTarget = null;
    moveTo.value = PLACEHOLDER;
    if (selectedId) move(selectedId, value, moveError);
  }

  // -- actions ---------------------------------------------------------------------------------

  function columnOf(node) {
    const colEl = node.closest(".bw-column");
    return colEl ? columns.get(colEl.getAttribute("data-room-id")) : undefined;
  }

  /**
   * Ask Python to move someone; the roster patch moves the card, the reply ends "busy".
   * @param {string} id
   * @param {string} roomId
   * @param {HTMLElement} errorEl
   */
  function move(id, roomId, errorEl) {
    const entry = people.get(id);
    if (!entry || entry.col === roomId) return;
    const room = roomId === UNASSIGNED ? null : roomId;
    commands.run("move", { participant: id, room }, { busy: [entry.el], error: errorEl }).then(syncSelection);
  }

  function onClick(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const button = target.closest("[data-action]");
    if (button) {
      const col = columnOf(button);
      if (col) actions.click(col, button.getAttribute("data-action"), /** @type {HTMLElement} */ (button));
      return;
    }
    const card = target.closest(".bw-card");
    if (card) {
      const id = card.getAttribute("data-participant-id");
      select(selectedId === id ? null : id);
    }
  }

  function onSubmit(event) {
    event.preventDefault();
    const col = columnOf(/** @type {HTMLElement} */ (event.target));
    if (col) actions.submit(col);
  }

  // -- drag and drop ---------------------------------------------------------------------------

  function setDropColumn(col) {
    if (dropColumn === col) return;
    if (dropColumn) dropColumn.el.classList.remove("bw-drop-target");
    dropColumn = col;
    if (col) col.el.classList.add("bw-drop-target");
  }

  function isOurDrag(event) {
    if (dragId) return true;
    const types = event.dataTransfer ? Array.from(event.dataTransfer.types || []) : [];
    return types.includes(DRAG_TYPE); // a card dragged from another view of this board
  }

  function onDragStart(event) {
    const card = /** @type {HTMLElement} */ (event.target).closest?.(".bw-card");
    if (!card || !event.dataTransfer) return;
    dragId = card.getAttribute("data-participant-id");
    event.dataTransfer.setData(DRAG_TYPE, dragId);
    event.dataTransfer.setData("text/plain", card.getAttribute("data-name"));
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("bw-dragging");
  }

  function onDragOver(event) {
    const col = columnOf(/** @type {HTMLElement} */ (event.target));
    if (!col || !isOurDrag(event)) return;
    event.preventDefault(); // this is what allows the drop
    if (event.dataTransfer) event.dataTransfer.dropEffect = "move";
    setDropColumn(col);
  }

  function onDragLeave(event) {
    if (dropColumn && !dropColumn.el.contains(/** @type {Node} */ (event.relatedTarget))) setDropColumn(null);
  }

  function endDrag() {
    if (dragId && people.has(dragId)) people.get(dragId).el.classList.remove("bw-dragging");
    dragId = null;
    setDropColumn(null);
  }

  function onDrop(event) {
    const col = columnOf(/** @type {HTMLElement} */ (event.target));
    const id = (event.dataTransfer && event.dataTransfer.getData(DRAG_TYPE)) || dragId;
    endDrag();
    if (!col || !id) return;
    event.preventDefault();
    move(id, col.id, col.error);
  }

  grid.addEventListener("click", onClick);
  grid.addEventListener("keydown", onKeydown);
  grid.addEventListener("submit", onSubmit);
  grid.addEventListener("dragstart", onDragStart);
  grid.addEventListener("dragover", onDragOver);
  grid.addEventListener("dragleave", onDragLeave);
  grid.addEventListener("drop", onDrop);
  grid.addEventListener("dragend", endDrag);
  moveTo.addEventListener("change", onMoveToChange);
  moveTo.addEventListener("keydown", onMoveToKeydown);
  moveTo.addEventListener("blur", () => {
    if (pendingTarget === null) return;
    pendingTarget = null;
    moveTo.value = PLACEHOLDER;
    syncSelection();
  });

  const unassigned = createColumn(UNASSIGNED, "Unassigned");
  columns.set(UNASSIGNED, unassigned);
  grid.appendChild(unassigned.el);
  fillMoveTo();

  return { el, setRooms, applyFull, applyPatch, setRunning, select };
}
