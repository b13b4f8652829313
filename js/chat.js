/**
 * Chat — the chat of the meeting a participant is in (docs/views.md, "Chat").
 *
 * Traits: meeting_id, meeting_title, me, max_length, clock_offset. Messages: `history`
 * (reset on hello and after a move; older pages on top), `message`, `system`.
 */

import "./styles/base.css";
import "./styles/chat.css";
import { charCount, messageEl, systemEl } from "./chat/message.js";
import { clearError, errorSlot, randomId, showError } from "./lib/commands.js";
import { h, setText, show, uniqueId } from "./lib/dom.js";
import { mountView, trait } from "./lib/view.js";

// Within this many pixels of the bottom counts as "at the bottom" (follow new messages).
const STICK_PX = 24;
// Within this many pixels of the top asks for older messages.
const TOP_PX = 40;

/**
 * Render the chat into `el`.
 * @param {{model: any, el: HTMLElement}} ctx
 * @returns {() => void} cleanup
 */
export function render({ model, el }) {
  const view = mountView({ model, name: "chat", label: "Chat", onMessage });
  const { commands } = view;

  const roomLabel = h("span", { class: "bw-chat-room", testid: "bw-chat-room" });
  const unreadBtn = h("button", {
    type: "button",
    class: "bw-btn bw-chat-unread",
    testid: "bw-chat-unread",
    hidden: true,
  });
  const header = h("div", { class: "bw-header" }, h("h2", { class: "bw-title", text: "Chat" }), roomLabel, unreadBtn);

  const olderBtn = h("button", {
    type: "button",
    class: "bw-btn bw-link-btn",
    testid: "bw-chat-older",
    text: "Show older messages",
  });
  const topNote = h("span", { class: "bw-muted", testid: "bw-chat-start" });
  const topError = errorSlot("bw-chat-older-error");
  const top = h("div", { class: "bw-chat-top" }, olderBtn, topNote, topError);
  const list = h("div", { class: "bw-chat-list" });
  const log = h("div", { class: "bw-chat-log", role: "log", tabindex: "0", "aria-busy": "true" }, top, list);

  const inputId = uniqueId("bw-chat-input");
  const counterId = uniqueId("bw-chat-counter");
  const input = h("textarea", {
    id: inputId,
    class: "bw-input bw-chat-input",
    testid: "bw-chat-input",
    rows: "2",
    placeholder: "Message (Enter sends, Shift+Enter for a new line)",
    "aria-describedby": counterId,
  });
  const label = h("label", { class: "bw-sr-only", for: inputId });
  const sendBtn = h("button", { type: "submit", class: "bw-btn bw-primary", testid: "bw-chat-send", text: "Send" });
  const counter = h("span", { id: counterId, class: "bw-chat-counter", testid: "bw-chat-counter", hidden: true });
  const error = errorSlot("bw-chat-error");
  const form = h("form", { class: "bw-chat-form" }, label, input, h("div", { class: "bw-chat-actions" }, counter, sendBtn), error);
  view.root.append(header, view.notices, log, form);

  /** @type {Map<string, HTMLElement>} message key → element (no doubles after a resend) */
  const shown = new Map();
  let oldestSeq = null;
  let newestSeq = null;
  let complete = false;
  let loaded = false;
  let loadingOlder = false;
  let stuck = true; // the reader is at the bottom: follow new messages
  let unread = 0;
  let shownMeeting = null;
  /** The message being sent: a resend of the same text reuses its client_id. */
  let draft = null;

  const me = () => trait(model, "me", {}) || {};
  const maxLength = () => trait(model, "max_length", 4000);
  const keyOf = (m) => (m.id != null ? String(m.id) : `seq:${m.seq}`);

  // -- the log -----------------------------------------------------------------------------------

  function atBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight <= STICK_PX;
  }

  function scrollToBottom() {
    log.scrollTop = log.scrollHeight;
    stuck = true;
    setUnread(0);
  }

  function setUnread(n) {
    unread = n;
    setText(unreadBtn, n === 1 ? "1 new message ↓" : `${n} new messages ↓`);
    show(unreadBtn, n > 0);
  }

  function syncTop() {
    show(olderBtn, loaded && !complete);
    olderBtn.textContent = loadingOlder ? "Loading older messages…" : "Show older messages";
    setText(topNote, !loaded ? "Loading…" : complete ? (shown.size ? "Start of the conversation." : "No messages yet.") : "");
    show(topNote, !loaded || complete);
  }

  function isMine(m) {
    const myId = me().id;
    return (myId != null && m.sender && m.sender.id === myId) || (!!draft && m.client_id === draft.clientId);
  }

  function build(m) {
    const node = messageEl(m, isMine(m));
    shown.set(keyOf(m), node);
    if (oldestSeq === null || m.seq < oldestSeq) oldestSeq = m.seq;
    if (newestSeq === null || m.seq > newestSeq) newestSeq = m.seq;
    return node;
  }

  function bySeq(messages) {
    return messages.filter((m) => m && typeof m.seq === "number").sort((a, b) => a.seq - b.seq);
  }

  function onHistory(msg) {
    const messages = bySeq(Array.isArray(msg.messages) ? msg.messages : []);
    if (msg.reset) {
      log.setAttribute("aria-busy", "true"); // no announcement of a whole page
      shown.clear();
      oldestSeq = newestSeq = null;
      shownMeeting = msg.meeting_id ?? null;
      const fragment = document.createDocumentFragment();
      for (const m of messages) if (!shown.has(keyOf(m))) fragment.appendChild(build(m));
      list.replaceChildren(fragment);
      complete = !!msg.complete;
      loaded = true;
      loadingOlder = false;
      syncTop();
      scrollToBottom();
      log.setAttribute("aria-busy", "false");
      return;
    }
    // An older page of a meeting no longer shown (the reader moved meanwhile) is stale.
    if (shownMeeting !== null && msg.meeting_id != null && msg.meeting_id !== shownMeeting) return;
    const fragment = document.createDocumentFragment();
    for (const m of messages) if (!shown.has(keyOf(m))) fragment.appendChild(build(m));
    const fromBottom = log.scrollHeight - log.scrollTop;
    list.insertBefore(fragment, list.firstChild);
    // Keep the message the reader looks at in place while older ones appear above it.
    log.scrollTop = log.scrollHeight - fromBottom;
    complete = !!msg.complete;
    syncTop();
  }

  // A message that arrives late (lower seq than the newest shown) goes before the first
  // newer one; system lines have no seq and are skipped.
  function placeLate(node, seq) {
    for (const other of list.children) {
      if (other.hasAttribute("data-seq") && Number(other.getAttribute("data-seq")) > seq) {
        list.insertBefore(node, other);
        return;
      }
    }
    list.appendChild(node);
  }

  function arrived(node, mine) {
    if (mine || stuck) scrollToBottom();
    else setUnread(unread + 1);
    return node;
  }

  function onMessage(msg) {
    if (msg.kind === "history") onHistory(msg);
    else if (msg.kind === "message" && msg.message && typeof msg.message.seq === "number") {
      const m = msg.message;
      if (shown.has(keyOf(m))) return;
      const late = newestSeq !== null && m.seq < newestSeq;
      const node = build(m);
      if (late) placeLate(node, m.seq);
      else list.appendChild(node);
      if (loaded) syncTop();
      arrived(node, isMine(m));
    } else if (msg.kind === "system") {
      const node = systemEl({ text: String(msg.text ?? ""), time: msg.time });
      list.appendChild(node);
      arrived(node, false);
    }
  }

  function loadOlder() {
    if (loadingOlder || complete || oldestSeq === null) return;
    loadingOlder = true;
    syncTop();
    commands.run("older", { before: oldestSeq }, { busy: [olderBtn], error: topError }).then((reply) => {
      if (reply === null) return;
      loadingOlder = false;
      syncTop();
    });
  }

  log.addEventListener("scroll", () => {
    stuck = atBottom();
    if (stuck && unread) setUnread(0);
    if (log.scrollTop <= TOP_PX && log.scrollHeight > log.clientHeight) loadOlder();
  });
  olderBtn.addEventListener("click", loadOlder);
  unreadBtn.addEventListener("click", () => {
    scrollToBottom();
    input.focus();
  });

  // -- writing -------------------------------------------------------------------------------

  function syncCounter() {
    const max = maxLength();
    const value = input.value;
    // Only count exactly when near the limit: code points ≤ UTF-16 units.
    const near = max - Math.max(100, Math.round(max * 0.1));
    const n = value.length >= near ? charCount(value) : 0;
    show(counter, n >= near && n > 0);
    if (n >= near) setText(counter, n > max ? `${n - max} too many (${n} / ${max})` : `${n} / ${max}`);
    counter.classList.toggle("bw-over", n > max);
    if (n > max) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function send() {
    const text = input.value.trim();
    if (!text) return;
    const max = maxLength();
    const n = charCount(text);
    if (n > max) {
      showError(error, `That message is ${n} characters long; the limit is ${max}.`);
      return;
    }
    if (!draft || draft.text !== text) draft = { text, clientId: randomId() };
    const sending = draft;
    commands
      .run("send", { text, client_id: sending.clientId }, { busy: [input, sendBtn], error })
      .then((reply) => {
        if (!reply || !reply.ok) return; // on error the text stays in the box, untouched
        if (input.value.trim() === text) input.value = "";
        if (draft === sending) draft = null;
        syncCounter();
        scrollToBottom();
      });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  input.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line; Enter that ends an IME composition is not a send.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    send();
  });
  input.addEventListener("input", () => {
    syncCounter();
    if (!error.hidden && error.dataset.level !== "info" && charCount(input.value.trim()) <= maxLength()) {
      clearError(error);
    }
  });

  // -- traits ----------------------------------------------------------------------------------

  function syncMeeting() {
    const title = trait(model, "meeting_title", "") || "this meeting";
    setText(roomLabel, `Showing: ${title}`);
    log.setAttribute("aria-label", `Messages in ${title}`);
    setText(label, `Message to ${title}`);
  }

  view.onTrait(["meeting_title", "meeting_id"], syncMeeting);
  view.onTrait(["max_length"], syncCounter);
  syncMeeting();
  syncTop();
  el.appendChild(view.root);
  view.hello();
  return view.cleanup;
}

export default { render };
