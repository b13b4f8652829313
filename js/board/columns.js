/**
 * A column of the board: a room (or Unassigned) with its title, head count, pencil
 * (rename) and delete (after a confirmation). The rename form and the confirmation are
 * built on first use, so fifty columns cost little to draw.
 */

import { clearError, errorSlot, showError } from "../lib/commands.js";
import { h, setAttr, setText, show, uniqueId } from "../lib/dom.js";

/** The Unassigned column's id (also its `data-room-id`). */
export const UNASSIGNED = "";

/**
 * @typedef {{id: string, el: HTMLElement, header: HTMLElement, titleEl: HTMLElement,
 *   count: HTMLElement, list: HTMLElement, error: HTMLElement,
 *   renameBtn: HTMLElement|null, deleteBtn: HTMLElement|null,
 *   rename: {form: HTMLFormElement, input: HTMLInputElement, save: HTMLElement}|null,
 *   remove: {confirm: HTMLElement, ask: HTMLElement, yes: HTMLElement}|null}} Column
 */

function iconButton(testid, action, text) {
  return h("button", { type: "button", class: "bw-icon-btn", testid, "data-action": action, text });
}

/**
 * Build a column.
 * @param {string} id a room id, or UNASSIGNED
 * @param {string} title
 * @returns {Column}
 */
export function createColumn(id, title) {
  const titleEl = h("h3", { class: "bw-column-title", id: uniqueId("bw-col") });
  const count = h("span", { class: "bw-count", testid: "bw-count", text: "0" });
  const header = h("div", { class: "bw-column-header" }, titleEl, count);
  const list = h("div", { class: "bw-cards" });
  const error = errorSlot("bw-column-error");
  // A group, not a <section>: fifty named regions would swamp a screen reader's landmarks.
  const el = h(
    "div",
    { class: "bw-column", testid: "bw-column", "data-room-id": id, role: "group", "aria-labelledby": titleEl.id },
    header,
    error,
    list,
  );
  /** @type {Column} */
  const col = { id, el, header, titleEl, count, list, error, renameBtn: null, deleteBtn: null, rename: null, remove: null };
  if (id !== UNASSIGNED) {
    col.renameBtn = iconButton("bw-rename", "rename", "✎");
    col.deleteBtn = iconButton("bw-delete", "delete", "×");
    header.append(col.renameBtn, col.deleteBtn);
  }
  labelColumn(col, title);
  return col;
}

/**
 * Set a column's title (and the labels of its buttons).
 * @param {Column} col
 * @param {string} title
 */
export function labelColumn(col, title) {
  setText(col.titleEl, title);
  if (col.renameBtn) {
    setAttr(col.renameBtn, "aria-label", `Rename ${title}`);
    setAttr(col.renameBtn, "title", `Rename ${title}`);
    setAttr(col.deleteBtn, "aria-label", `Delete ${title}`);
    setAttr(col.deleteBtn, "title", `Delete ${title}`);
  }
}

/**
 * Show how many cards a column holds.
 * @param {Column|undefined} col
 */
export function updateCount(col) {
  if (!col) return;
  const n = col.list.childElementCount;
  setText(col.count, n);
  setAttr(col.count, "aria-label", n === 1 ? "1 person" : `${n} people`);
}

/**
 * The rename and delete behaviour of every column; the roster delegates clicks (buttons
 * with `data-action`) and form submits to it.
 * @param {{commands: ReturnType<import("../lib/commands.js").createCommands>}} deps
 */
export function createColumnActions({ commands }) {
  function renameForm(col) {
    if (!col.rename) {
      const input = /** @type {HTMLInputElement} */ (
        h("input", { type: "text", class: "bw-input", testid: "bw-rename-input", maxlength: "100", "aria-label": "Room name" })
      );
      const save = h("button", { type: "submit", class: "bw-btn bw-primary", testid: "bw-rename-save", text: "Save" });
      const cancel = h("button", { type: "button", class: "bw-btn", "data-action": "rename-cancel", text: "Cancel" });
      const form = /** @type {HTMLFormElement} */ (h("form", { class: "bw-rename-form", hidden: true }, input, save, cancel));
      col.header.after(form);
      col.rename = { form, input, save };
    }
    return col.rename;
  }

  function confirmStrip(col) {
    if (!col.remove) {
      const yes = h("button", { type: "button", class: "bw-btn bw-danger", testid: "bw-delete-confirm", "data-action": "delete-yes", text: "Delete" });
      const no = h("button", { type: "button", class: "bw-btn", "data-action": "delete-no", text: "Keep" });
      const ask = h("span", { class: "bw-confirm-text" });
      const confirm = h("div", { class: "bw-confirm", hidden: true }, ask, yes, no);
      col.header.after(confirm);
      col.remove = { confirm, ask, yes };
    }
    return col.remove;
  }

  function startRename(col) {
    cancelDelete(col);
    const { form, input } = renameForm(col);
    input.value = col.titleEl.textContent;
    show(form, true);
    show(col.titleEl, false);
    input.focus();
    input.select();
  }

  /** Close the rename form. @param {Column} col */
  function endRename(col) {
    if (!col.rename) return;
    show(col.rename.form, false);
    show(col.titleEl, true);
    clearError(col.error);
    col.renameBtn.focus();
  }

  function submitRename(col) {
    const { input, save } = renameForm(col);
    const title = input.value.trim();
    if (!title) return showError(col.error, "Give the room a name.");
    if (title === col.titleEl.textContent) return endRename(col);
    commands.run("rename_room", { room: col.id, title }, { busy: [input, save], error: col.error }).then((reply) => {
      if (reply && reply.ok) endRename(col);
    });
  }

  function askDelete(col) {
    const { confirm, ask, yes } = confirmStrip(col);
    const n = col.list.childElementCount;
    const who = n === 0 ? "" : n === 1 ? " Its 1 person becomes unassigned." : ` Its ${n} people become unassigned.`;
    setText(ask, `Delete ${col.titleEl.textContent}?${who}`);
    show(confirm, true);
    yes.focus();
  }

  function cancelDelete(col) {
    if (col.remove) show(col.remove.confirm, false);
  }

  return {
    endRename,
    /**
     * Handle a click on a column's `data-action` button.
     * @param {Column} col
     * @param {string} action
     * @param {HTMLElement} button
     */
    click(col, action, button) {
      if (action === "rename") startRename(col);
      else if (action === "rename-cancel") endRename(col);
      else if (action === "delete") askDelete(col);
      else if (action === "delete-no") {
        cancelDelete(col);
        col.deleteBtn.focus();
      } else if (action === "delete-yes") {
        commands.run("delete_room", { room: col.id }, { busy: [button], error: col.error }).then((reply) => {
          if (reply && !reply.ok) cancelDelete(col);
        });
      }
    },
    /** Handle the rename form's submit. @param {Column} col */
    submit(col) {
      if (col.id !== UNASSIGNED) submitRename(col);
    },
  };
}
