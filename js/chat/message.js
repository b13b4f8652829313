/**
 * One chat line. The sender's name and the text go in as text; http(s) links in the text
 * become safe anchors (lib/text.js). Nothing is parsed as HTML.
 */

import { h } from "../lib/dom.js";
import { linkify } from "../lib/text.js";
import { clockTime, fullTime } from "../lib/time.js";

/**
 * @typedef {{id?: string, seq: number, text: string, sender?: {id?: string, name?: string},
 *   time?: number, client_id?: string}} ChatMessage
 */

/**
 * A `<time>` element for a Unix time: "12:03", with the full date as its tooltip.
 * @param {number|undefined} time
 * @returns {HTMLElement|null}
 */
export function timeEl(time) {
  if (typeof time !== "number" || !Number.isFinite(time)) return null;
  return h("time", {
    class: "bw-chat-time",
    datetime: new Date(time * 1000).toISOString(),
    title: fullTime(time),
    text: clockTime(time),
  });
}

/**
 * The element of a chat message.
 * @param {ChatMessage} m
 * @param {boolean} mine whether I sent it
 * @returns {HTMLElement}
 */
export function messageEl(m, mine) {
  const name = (m.sender && m.sender.name) || "Someone";
  const el = h(
    "div",
    {
      class: mine ? "bw-chat-message bw-mine" : "bw-chat-message",
      testid: "bw-chat-message",
      "data-seq": String(m.seq),
      "data-id": m.id,
    },
    h(
      "div",
      { class: "bw-chat-meta" },
      h("span", { class: "bw-chat-sender", text: mine ? `${name} (you)` : name }),
      timeEl(m.time),
    ),
  );
  const body = h("div", { class: "bw-chat-text" });
  body.appendChild(linkify(m.text));
  el.appendChild(body);
  return el;
}

/**
 * A line that is not chat: a broadcast, "Moved to Room 3", "Rooms close in 60 s".
 * @param {{text: string, time?: number}} msg
 * @returns {HTMLElement}
 */
export function systemEl(msg) {
  return h(
    "div",
    { class: "bw-chat-system", testid: "bw-chat-system" },
    h("span", { class: "bw-chat-system-text", text: msg.text }),
    timeEl(msg.time),
  );
}

/**
 * The number of characters as the service counts them (code points, not UTF-16 units).
 * @param {string} text
 * @returns {number}
 */
export function charCount(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}
