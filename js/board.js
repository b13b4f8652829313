/**
 * AssignmentBoard — the instructor's control panel (docs/views.md, "AssignmentBoard").
 *
 * Traits: title, rooms, breakout, help_queue, clock_offset. The roster comes as `roster`
 * messages: full on hello (and after a reload), then patches of the cards that changed.
 */

import "./styles/base.css";
import "./styles/board.css";
import { createControls } from "./board/controls.js";
import { createHelpQueue } from "./board/help.js";
import { createRoster } from "./board/roster.js";
import { h, setAttr, setText, show } from "./lib/dom.js";
import { createTicker, serviceNow, timeLeft } from "./lib/time.js";
import { mountView, trait } from "./lib/view.js";

const STATUS_TEXT = { none: "No rooms yet", draft: "Draft", running: "Running", closed: "Closed" };
const HELP_REFRESH_MS = 30000;

/**
 * Render the board into `el`.
 * @param {{model: any, el: HTMLElement}} ctx
 * @returns {() => void} cleanup
 */
export function render({ model, el }) {
  const view = mountView({ model, name: "board", label: "Breakout rooms", onMessage });
  const { commands } = view;

  const title = h("h2", { class: "bw-title", testid: "bw-title" });
  const status = h("span", { class: "bw-status", testid: "bw-status" });
  const left = h("span", { class: "bw-time-left", testid: "bw-time-left", role: "timer", hidden: true });
  const header = h("div", { class: "bw-header" }, title, status, left);
  const controls = createControls({ commands });
  const help = createHelpQueue({ commands });
  const roster = createRoster({ commands });
  view.root.append(header, view.notices, controls.el, help.el, roster.el);

  const ticker = createTicker(tick);
  view.addCleanup(() => ticker.stop());

  function onMessage(msg) {
    if (msg.kind !== "roster") return;
    if (msg.full) roster.applyFull(Array.isArray(msg.participants) ? msg.participants : []);
    else roster.applyPatch(msg.changed || [], msg.removed || []);
  }

  const breakout = () => trait(model, "breakout", {});
  const now = () => serviceNow(trait(model, "clock_offset", 0));

  function tick() {
    const b = breakout();
    const closesAt = b.status === "running" && typeof b.closes_at === "number" ? b.closes_at : null;
    if (closesAt !== null) {
      const seconds = closesAt - now();
      setText(left, seconds > 0 ? timeLeft(seconds) : "Closing…");
      const warnAt = typeof b.warning === "number" ? b.warning : 60;
      left.classList.toggle("bw-warn", seconds <= warnAt);
    }
    show(left, closesAt !== null);
    help.tick(now());
    // Tick each second only while a countdown runs; the help queue's "2 min ago" needs less.
    const queued = trait(model, "help_queue", []).length > 0;
    ticker.set(closesAt !== null ? 1000 : queued ? HELP_REFRESH_MS : 0);
  }

  function syncBreakout() {
    const b = breakout();
    const s = b.status || "none";
    setText(status, STATUS_TEXT[s] || s);
    setAttr(status, "data-status", s);
    roster.setRunning(s === "running");
    controls.sync(b, trait(model, "rooms", []).length);
    syncHelpVisibility();
    tick();
  }

  function syncHelpVisibility() {
    const running = breakout().status === "running";
    show(help.el, running || trait(model, "help_queue", []).length > 0);
  }

  function syncRooms() {
    roster.setRooms(trait(model, "rooms", []));
    controls.sync(breakout(), trait(model, "rooms", []).length);
  }

  function syncHelp() {
    help.set(trait(model, "help_queue", []), now());
    syncHelpVisibility();
    tick();
  }

  view.onTrait(["title"], () => setText(title, trait(model, "title", "")));
  view.onTrait(["rooms"], syncRooms);
  view.onTrait(["breakout", "clock_offset"], syncBreakout);
  view.onTrait(["help_queue"], syncHelp);

  setText(title, trait(model, "title", ""));
  syncRooms();
  syncHelp();
  syncBreakout();
  el.appendChild(view.root);
  view.hello();
  return view.cleanup;
}

export default { render };
