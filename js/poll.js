/**
 * PollWidget — question, options, vote, live results (docs/views.md, "PollWidget").
 *
 * Traits: question, options, results, votes, status, my_vote, can_vote, can_close.
 * Commands: vote, close.
 */

import "./styles/base.css";
import "./styles/poll.css";
import { errorSlot } from "./lib/commands.js";
import { h, setAttr, setText, show, uniqueId } from "./lib/dom.js";
import { mountView, trait } from "./lib/view.js";

/**
 * Percent of `count` in `total`, rounded; 0 when nobody voted.
 * @param {number} count
 * @param {number} total
 * @returns {number}
 */
export function percent(count, total) {
  return total > 0 ? Math.round((count / total) * 100) : 0;
}

/**
 * Render the poll into `el`.
 * @param {{model: any, el: HTMLElement}} ctx
 * @returns {() => void} cleanup
 */
export function render({ model, el }) {
  const view = mountView({ model, name: "poll", label: "Poll" });
  const { commands } = view;

  const question = h("h2", { class: "bw-title bw-poll-question", testid: "bw-poll-question", id: uniqueId("bw-poll") });
  const list = h("ul", { class: "bw-poll-options", "aria-labelledby": question.id });
  const status = h("p", { class: "bw-poll-status", testid: "bw-poll-status", role: "status" });
  const close = h("button", {
    type: "button",
    class: "bw-btn bw-danger",
    testid: "bw-poll-close",
    text: "Close poll",
    hidden: true,
  });
  const error = errorSlot("bw-poll-error");
  view.root.append(question, view.notices, list, h("div", { class: "bw-poll-footer" }, status, close), error);

  /** @type {Array<{option: string, li: HTMLElement, label: HTMLElement, button: HTMLElement, bar: HTMLElement, count: HTMLElement, mine: HTMLElement}>} */
  let rows = [];
  let builtFor = "";

  function build(options) {
    rows = options.map((option) => {
      const button = h("button", {
        type: "button",
        class: "bw-btn bw-poll-option",
        testid: "bw-poll-option",
        "data-option": option,
        text: option,
      });
      const label = h("span", { class: "bw-poll-label", text: option });
      const bar = h("div", { class: "bw-poll-bar", testid: "bw-poll-bar", "data-option": option });
      const count = h("span", { class: "bw-poll-count", testid: "bw-poll-count" });
      const mine = h("span", { class: "bw-badge bw-mine-badge", text: "Your vote", hidden: true });
      const li = h(
        "li",
        { class: "bw-poll-row", "data-option": option },
        h("div", { class: "bw-poll-choice" }, button, label, mine, count),
        h("div", { class: "bw-poll-track", "aria-hidden": "true" }, bar),
      );
      return { option, li, label, button, bar, count, mine };
    });
    list.replaceChildren(...rows.map((r) => r.li));
  }

  function sync() {
    const options = trait(model, "options", []);
    const key = JSON.stringify(options);
    if (key !== builtFor) {
      build(options);
      builtFor = key;
    }
    const results = trait(model, "results", {}) || {};
    const counted = Object.values(results).reduce((a, b) => a + (Number(b) || 0), 0);
    const total = Number(trait(model, "votes", counted)) || counted;
    const open = trait(model, "status", "open") !== "closed";
    const myVote = trait(model, "my_vote", null);
    const canVote = open && !!trait(model, "can_vote", false);
    for (const row of rows) {
      const n = Number(results[row.option]) || 0;
      const pct = percent(n, total);
      const width = `${pct}%`;
      if (row.bar.style.width !== width) row.bar.style.width = width;
      setText(row.count, `${n} · ${pct}%`);
      setAttr(row.count, "aria-label", `${n === 1 ? "1 vote" : `${n} votes`}, ${pct} percent`);
      const mine = myVote === row.option;
      row.li.classList.toggle("bw-mine", mine);
      show(row.mine, mine);
      show(row.button, canVote);
      show(row.label, !canVote);
      setAttr(row.button, "aria-pressed", mine ? "true" : "false");
    }
    const votes = total === 1 ? "1 vote" : `${total} votes`;
    setText(status, open ? `Open · ${votes}` : `Closed · final results · ${votes}`);
    setAttr(status, "data-status", open ? "open" : "closed");
    view.root.classList.toggle("bw-closed", !open);
    show(close, open && !!trait(model, "can_close", false));
    setText(question, trait(model, "question", ""));
  }

  list.addEventListener("click", (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest("[data-testid=bw-poll-option]");
    if (!button) return;
    const option = button.getAttribute("data-option");
    if (option === trait(model, "my_vote", null)) return; // already my vote
    // All vote buttons wait for the reply: one vote at a time.
    commands.run("vote", { option }, { busy: rows.map((r) => r.button), error });
  });
  close.addEventListener("click", () => {
    commands.run("close", {}, { busy: [close], error });
  });

  view.onTrait(["question", "options", "results", "votes", "status", "my_vote", "can_vote", "can_close"], sync);
  sync();
  el.appendChild(view.root);
  view.hello();
  return view.cleanup;
}

export default { render };
