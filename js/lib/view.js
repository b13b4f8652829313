/**
 * What every view shares: the root element, the notice area (an aria-live region), the
 * custom-message dispatch with command replies, trait subscriptions, and a cleanup that
 * undoes all of it (a re-run cell renders the widget again).
 */

import { createCommands } from "./commands.js";
import { h } from "./dom.js";

const INFO_NOTICE_MS = 8000;
const MAX_NOTICES = 3;

/**
 * Mount the common frame of a view.
 *
 * @param {object} options
 * @param {any} options.model the anywidget model
 * @param {string} options.name "board", "chat", "switcher" or "poll" (class and test id)
 * @param {string} options.label the accessible name of the view's region
 * @param {(msg: any) => void} [options.onMessage] custom messages other than reply/notice
 */
export function mountView({ model, name, label, onMessage }) {
  const root = h("div", {
    class: `bw-root bw-${name}`,
    testid: `bw-${name}`,
    role: "region",
    "aria-label": label,
  });
  const notices = h("div", {
    class: "bw-notices",
    testid: "bw-notices",
    role: "status",
    "aria-live": "polite",
  });
  // Jupyter's keyboard shortcuts act on keys typed in any focused element that is not a
  // text field (arrows in "Move to…" would move between cells, "b" on a card would add
  // one). Lumino skips an element marked data-lm-suppress-shortcuts, so mark ours.
  const suppressShortcuts = (event) => {
    const t = event.target;
    if (t instanceof Element && !t.matches("input[type=text], input:not([type]), textarea")) {
      t.setAttribute("data-lm-suppress-shortcuts", "true");
    }
  };
  root.addEventListener("focusin", suppressShortcuts);
  const commands = createCommands(model);
  const undo = [];
  const timers = new Set();

  /**
   * Show a notice; info notices fade after a while, errors stay until dismissed.
   * @param {"info"|"error"} level
   * @param {string} text
   */
  function notify(level, text) {
    const close = h("button", {
      type: "button",
      class: "bw-icon-btn bw-notice-close",
      "aria-label": "Dismiss",
      text: "×",
    });
    const item = h(
      "div",
      { class: "bw-notice", testid: "bw-notice", "data-level": level === "error" ? "error" : "info" },
      h("span", { class: "bw-notice-text", text }),
      close,
    );
    if (level === "error") item.setAttribute("role", "alert");
    close.addEventListener("click", () => item.remove());
    notices.appendChild(item);
    while (notices.children.length > MAX_NOTICES) notices.firstElementChild.remove();
    if (level !== "error") later(() => item.remove(), INFO_NOTICE_MS);
  }

  function onCustom(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.kind === "reply") commands.handleReply(msg);
    else if (msg.kind === "notice") notify(msg.level, String(msg.text ?? ""));
    else if (onMessage) onMessage(msg);
  }
  model.on("msg:custom", onCustom);
  undo.push(() => model.off("msg:custom", onCustom));

  /**
   * Run `callback` whenever one of the traits changes.
   * @param {string[]} names
   * @param {() => void} callback
   */
  function onTrait(names, callback) {
    for (const trait of names) {
      const handler = () => callback();
      model.on(`change:${trait}`, handler);
      undo.push(() => model.off(`change:${trait}`, handler));
    }
  }

  /**
   * A one-shot timer that the cleanup cancels.
   * @param {() => void} fn
   * @param {number} ms
   */
  function later(fn, ms) {
    const handle = setTimeout(() => {
      timers.delete(handle);
      fn();
    }, ms);
    timers.add(handle);
    return handle;
  }

  return {
    root,
    notices,
    commands,
    notify,
    onTrait,
    later,
    /** Register something the cleanup must undo. @param {() => void} fn */
    addCleanup(fn) {
      undo.push(fn);
    },
    /** Ask the Python side for the full state (send after every listener is attached). */
    hello() {
      model.send({ kind: "hello" });
    },
    /** Remove every listener and timer this view made. */
    cleanup() {
      while (undo.length) {
        try {
          undo.pop()();
        } catch {
          // a failing undo must not keep the rest from running
        }
      }
      for (const handle of timers) clearTimeout(handle);
      timers.clear();
      commands.dispose();
    },
  };
}

/**
 * Read a trait with a default for when Python has not set it yet.
 * @template T
 * @param {any} model
 * @param {string} name
 * @param {T} fallback
 * @returns {T}
 */
export function trait(model, name, fallback) {
  const value = model.get(name);
  return value == null ? fallback : value;
}
