/**
 * The board's controls: shuffle, add room, recreate, start (after "Yes, start"), and while
 * the rooms run, the broadcast box and "Close rooms". Durations are typed in minutes
 * (countdown in seconds) and sent in seconds.
 */

import { clearError, errorSlot, showError } from "../lib/commands.js";
import { h, show, uniqueId } from "../lib/dom.js";

/**
 * Read an optional positive number of `unit` seconds from an input.
 * @param {HTMLInputElement} input
 * @param {number} unit 60 for minutes, 1 for seconds
 * @returns {{ok: true, value: number|null} | {ok: false}}
 */
export function readSeconds(input, unit) {
  const raw = input.value.trim().replace(",", ".");
  if (raw === "") return { ok: true, value: null };
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) return { ok: false };
  return { ok: true, value: Math.round(n * unit) };
}

function field(label, input) {
  const id = uniqueId("bw-field");
  input.id = id;
  return h("span", { class: "bw-field" }, h("label", { for: id, text: label }), input);
}

function numberInput(testid, placeholder) {
  return h("input", {
    type: "number",
    class: "bw-input bw-number",
    testid,
    min: "0",
    step: "any",
    inputmode: "decimal",
    placeholder,
  });
}

/**
 * Build the controls.
 * @param {{commands: ReturnType<import("../lib/commands.js").createCommands>}} deps
 */
export function createControls({ commands }) {
  // -- arranging rooms ---------------------------------------------------------------------
  const seed = h("input", {
    type: "text",
    class: "bw-input bw-seed",
    testid: "bw-seed",
    placeholder: "seed (optional)",
    "aria-label": "Shuffle seed (optional; the same seed gives the same rooms)",
    size: "10",
  });
  const shuffle = h("button", { type: "button", class: "bw-btn", testid: "bw-shuffle", text: "Shuffle" });
  const roomName = h("input", {
    type: "text",
    class: "bw-input",
    testid: "bw-room-name",
    placeholder: "room name (optional)",
    "aria-label": "New room name (optional)",
    maxlength: "100",
    size: "14",
  });
  const addRoom = h("button", { type: "button", class: "bw-btn", testid: "bw-add-room", text: "Add room" });
  const recreate = h("button", {
    type: "button",
    class: "bw-btn",
    testid: "bw-recreate",
    text: "Recreate last rooms",
    hidden: true,
  });
  const start = h("button", {
    type: "button",
    class: "bw-btn bw-primary",
    testid: "bw-start",
    "aria-expanded": "false",
    text: "Start breakout…",
  });
  const toolbarError = errorSlot("bw-toolbar-error");
  const toolbar = h(
    "div",
    { class: "bw-toolbar", role: "group", "aria-label": "Arrange rooms" },
    h("span", { class: "bw-tool" }, seed, shuffle),
    h("span", { class: "bw-tool" }, roomName, addRoom),
    recreate,
    start,
  );

  // -- "Yes, start" ----------------------------------------------------------------------------
  const duration = numberInput("bw-duration", "no limit");
  const warning = numberInput("bw-warning", "none");
  const confirm = h("button", { type: "submit", class: "bw-btn bw-primary", testid: "bw-start-confirm", text: "Yes, start" });
  const cancel = h("button", { type: "button", class: "bw-btn", testid: "bw-start-cancel", text: "Cancel" });
  const startError = errorSlot("bw-start-error");
  const startPanel = h(
    "form",
    { class: "bw-panel bw-start-panel", testid: "bw-start-panel", hidden: true, "aria-label": "Start the breakout" },
    h("p", { class: "bw-panel-text", text: "Start the breakout? Everyone goes to their room." }),
    field("Duration (min)", duration),
    field("Warning (min before the end)", warning),
    confirm,
    cancel,
    startError,
  );

  // -- while running -----------------------------------------------------------------------
  const message = h("input", {
    type: "text",
    class: "bw-input bw-broadcast-input",
    testid: "bw-broadcast-input",
    placeholder: "Message to every room",
    "aria-label": "Broadcast a message to every room",
    maxlength: "4000",
  });
  const send = h("button", { type: "submit", class: "bw-btn", testid: "bw-broadcast-send", text: "Broadcast" });
  const broadcastError = errorSlot("bw-broadcast-error");
  const broadcastForm = h("form", { class: "bw-broadcast" }, message, send, broadcastError);
  const countdown = numberInput("bw-countdown", "now");
  const close = h("button", { type: "submit", class: "bw-btn bw-danger", testid: "bw-close", text: "Close rooms" });
  const closeError = errorSlot("bw-close-error");
  const closeForm = h("form", { class: "bw-close" }, field("Countdown (s)", countdown), close, closeError);
  const runningPanel = h(
    "div",
    { class: "bw-panel bw-running", testid: "bw-running", hidden: true },
    broadcastForm,
    closeForm,
  );

  const el = h("div", { class: "bw-controls" }, toolbar, toolbarError, startPanel, runningPanel);

  // -- behaviour -----------------------------------------------------------------------------
  function openStart(open) {
    show(startPanel, open);
    start.setAttribute("aria-expanded", String(open));
    clearError(startError);
    if (open) duration.focus();
  }

  shuffle.addEventListener("click", () => {
    commands.run("shuffle", { seed: seed.value.trim() }, { busy: [shuffle], error: toolbarError });
  });
  addRoom.addEventListener("click", () => {
    commands
      .run("add_room", { title: roomName.value.trim() }, { busy: [addRoom, roomName], error: toolbarError })
      .then((reply) => {
        if (reply && reply.ok) roomName.value = "";
      });
  });
  roomName.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      addRoom.click();
    }
  });
  recreate.addEventListener("click", () => {
    commands.run("recreate", {}, { busy: [recreate], error: toolbarError });
  });
  start.addEventListener("click", () => openStart(startPanel.hidden));
  cancel.addEventListener("click", () => {
    openStart(false);
    start.focus();
  });
  startPanel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      openStart(false);
      start.focus();
    }
  });
  startPanel.addEventListener("submit", (event) => {
    event.preventDefault();
    const d = readSeconds(duration, 60);
    const w = readSeconds(warning, 60);
    if (!d.ok) return showError(startError, "The duration is a number of minutes, or empty for no limit.");
    if (!w.ok) return showError(startError, "The warning is a number of minutes, or empty for none.");
    if (w.value !== null && d.value === null) return showError(startError, "A warning needs a duration.");
    if (w.value !== null && w.value >= d.value) {
      return showError(startError, "The warning must come before the end: make it shorter than the duration.");
    }
    commands
      .run("start", { duration: d.value, warning: w.value }, { busy: [confirm], error: startError })
      .then((reply) => {
        if (reply && reply.ok) openStart(false);
      });
  });
  broadcastForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = message.value.trim();
    if (!text) return showError(broadcastError, "Write a message first.");
    commands.run("broadcast", { text }, { busy: [message, send], error: broadcastError }).then((reply) => {
      if (reply && reply.ok && message.value.trim() === text) message.value = "";
    });
  });
  closeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const c = readSeconds(countdown, 1);
    if (!c.ok) return showError(closeError, "The countdown is a number of seconds, or empty to close now.");
    commands.run("close", { countdown: c.value }, { busy: [close], error: closeError }).then((reply) => {
      if (reply && reply.ok) countdown.value = "";
    });
  });

  return {
    el,
    /**
     * Show the controls that fit the breakout's status.
     * @param {{status?: string, can_recreate?: boolean}} breakout
     * @param {number} roomCount
     */
    sync(breakout, roomCount) {
      const status = breakout.status || "none";
      const running = status === "running";
      shuffle.disabled = roomCount === 0;
      shuffle.title = roomCount === 0 ? "Add rooms first" : "Split everyone evenly over the rooms";
      show(recreate, !!breakout.can_recreate && !running);
      show(start, !running);
      const startable = status === "draft" && roomCount > 0;
      start.disabled = !startable;
      start.title = startable ? "" : "Add rooms first";
      if (!startable && !startPanel.hidden) openStart(false);
      show(runningPanel, running);
    },
  };
}
