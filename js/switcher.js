/**
 * MeetingSwitcher — the main meeting and the rooms, where I am, and where I may go
 * (docs/views.md, "MeetingSwitcher").
 *
 * Traits: meetings, current, moving, breakout, clock_offset. Command: switch.
 */

import "./styles/base.css";
import "./styles/switcher.css";
import { errorSlot, isBusy } from "./lib/commands.js";
import { h, setAttr, setText, show } from "./lib/dom.js";
import { createTicker, serviceNow, timeLeft } from "./lib/time.js";
import { mountView, trait } from "./lib/view.js";

/**
 * Render the switcher into `el`.
 * @param {{model: any, el: HTMLElement}} ctx
 * @returns {() => void} cleanup
 */
export function render({ model, el }) {
  const view = mountView({ model, name: "switcher", label: "Meetings" });
  const { commands } = view;

  const left = h("span", { class: "bw-time-left", testid: "bw-time-left", role: "timer", hidden: true });
  const header = h("div", { class: "bw-header" }, h("h2", { class: "bw-title", text: "Meetings" }), left);
  const moving = h(
    "div",
    { class: "bw-moving", testid: "bw-moving", role: "status", hidden: true },
    h("span", { class: "bw-spinner", "aria-hidden": "true" }),
    "Moving…",
  );
  const list = h("ul", { class: "bw-meetings", "aria-label": "Meetings" });
  const error = errorSlot("bw-switch-error");
  view.root.append(header, view.notices, moving, list, error);

  /** @type {Map<string, {li: HTMLElement, title: HTMLElement, count: HTMLElement, here: HTMLElement, button: HTMLButtonElement}>} */
  const rows = new Map();
  let target = null; // the meeting a switch was asked for, until its reply

  function makeRow(id) {
    const title = h("span", { class: "bw-meeting-title" });
    const count = h("span", { class: "bw-meeting-count" });
    const here = h("span", { class: "bw-badge bw-here", text: "You are here", hidden: true });
    const button = /** @type {HTMLButtonElement} */ (
      h("button", { type: "button", class: "bw-btn", testid: "bw-switch", "data-meeting-id": id, text: "Go" })
    );
    const li = h(
      "li",
      { class: "bw-meeting", testid: "bw-meeting", "data-meeting-id": id },
      h("span", { class: "bw-meeting-text" }, title, count),
      here,
      button,
    );
    return { li, title, count, here, button };
  }

  function syncMeetings() {
    const meetings = trait(model, "meetings", []);
    const current = trait(model, "current", null);
    const isMoving = !!trait(model, "moving", false);
    const wanted = new Set(meetings.map((m) => m.id));
    for (const [id, row] of [...rows]) {
      if (!wanted.has(id)) {
        row.li.remove();
        rows.delete(id);
      }
    }
    meetings.forEach((m, i) => {
      let row = rows.get(m.id);
      if (!row) {
        row = makeRow(m.id);
        rows.set(m.id, row);
      }
      if (list.children[i] !== row.li) list.insertBefore(row.li, list.children[i] || null);
      const here = m.id === current;
      setText(row.title, m.title);
      const n = Number(m.count) || 0;
      setText(row.count, n === 1 ? "1 person" : `${n} people`);
      setAttr(row.li, "data-current", here ? "true" : null);
      setAttr(row.li, "aria-current", here ? "true" : null);
      setAttr(row.li, "data-kind", m.kind || null);
      show(row.here, here);
      // A switch button only where the preset allows it, and not to where I am.
      show(row.button, !!m.can_switch && !here);
      setAttr(row.button, "aria-label", `Go to ${m.title}`);
      row.button.disabled = isMoving && !isBusy(row.button);
    });
    show(moving, isMoving);
    view.root.classList.toggle("bw-is-moving", isMoving);
  }

  list.addEventListener("click", (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest("[data-testid=bw-switch]");
    if (!button || trait(model, "moving", false)) return;
    const id = button.getAttribute("data-meeting-id");
    if (target !== null) return; // one switch at a time
    target = id;
    // Every switch button is busy: a second click elsewhere must not race the first.
    const buttons = [...rows.values()].map((r) => r.button);
    commands.run("switch", { meeting: id }, { busy: buttons, error }).then(() => {
      target = null;
      syncMeetings();
    });
  });

  // -- time left -----------------------------------------------------------------------------
  const ticker = createTicker(tick);
  view.addCleanup(() => ticker.stop());

  function tick() {
    const b = trait(model, "breakout", {}) || {};
    const closesAt = b.status === "running" && typeof b.closes_at === "number" ? b.closes_at : null;
    if (closesAt !== null) {
      const seconds = closesAt - serviceNow(trait(model, "clock_offset", 0));
      setText(left, seconds > 0 ? `Rooms: ${timeLeft(seconds)}` : "Rooms are closing…");
      const warnAt = typeof b.warning === "number" ? b.warning : 60;
      left.classList.toggle("bw-warn", seconds <= warnAt);
    }
    show(left, closesAt !== null);
    ticker.set(closesAt !== null ? 1000 : 0);
  }

  view.onTrait(["meetings", "current", "moving"], syncMeetings);
  view.onTrait(["breakout", "clock_offset"], tick);
  syncMeetings();
  tick();
  el.appendChild(view.root);
  view.hello();
  return view.cleanup;
}

export default { render };
