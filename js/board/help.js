/**
 * The help queue: who asks, from which room, since when; the host resolves a request.
 * It is small (open requests only), so it is rebuilt whenever the trait changes.
 */

import { errorSlot } from "../lib/commands.js";
import { h, setText, show } from "../lib/dom.js";
import { ago, fullTime } from "../lib/time.js";

/**
 * @typedef {{id: string, participant_id: string, name: string, meeting_id: string,
 *   room_title: string, since: number}} HelpRequest
 */

/**
 * Build the help-queue section.
 * @param {{commands: ReturnType<import("../lib/commands.js").createCommands>}} deps
 */
export function createHelpQueue({ commands }) {
  const heading = h("h3", { class: "bw-section-title", text: "Help requests" });
  const list = h("ul", { class: "bw-help-list", "aria-label": "Help requests, oldest first" });
  const empty = h("p", { class: "bw-muted", text: "No one is asking for help." });
  const error = errorSlot("bw-help-error");
  const el = h("section", { class: "bw-help", testid: "bw-help-queue" }, heading, empty, list, error);
  /** @type {Array<{since: number, label: HTMLElement}>} */
  let clocks = [];

  list.addEventListener("click", (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest("[data-request]");
    if (!button) return;
    commands.run(
      "resolve_help",
      { request: button.getAttribute("data-request") },
      { busy: [/** @type {HTMLElement} */ (button)], error },
    );
  });

  return {
    el,
    /**
     * Show the open requests.
     * @param {HelpRequest[]} queue
     * @param {number} now service time (Unix seconds)
     */
    set(queue, now) {
      clocks = [];
      const items = queue.map((req) => {
        const since = h("time", {
          class: "bw-help-since",
          datetime: new Date(req.since * 1000).toISOString(),
          title: fullTime(req.since),
          text: ago(req.since, now),
        });
        clocks.push({ since: req.since, label: since });
        return h(
          "li",
          { class: "bw-help-item", testid: "bw-help-item", "data-request-id": req.id },
          h("span", { class: "bw-help-name", text: req.name }),
          h("span", { class: "bw-help-room", text: req.room_title || "Main meeting" }),
          since,
          h("button", {
            type: "button",
            class: "bw-btn",
            testid: "bw-resolve",
            "data-request": req.id,
            "aria-label": `Resolve ${req.name}'s request`,
            text: "Resolve",
          }),
        );
      });
      list.replaceChildren(...items);
      setText(heading, queue.length ? `Help requests (${queue.length})` : "Help requests");
      show(empty, queue.length === 0);
    },
    /** Refresh the "2 min ago" labels. @param {number} now */
    tick(now) {
      for (const { since, label } of clocks) setText(label, ago(since, now));
    },
  };
}
