/**
 * Commands and replies (docs/views.md): every user action is a `command` with an id, the
 * controls it came from stay busy until the `reply` with that id arrives, and a refusal
 * is shown next to those controls.
 */

/** @typedef {{code: string, message: string}} ReplyError */
/** @typedef {{kind: "reply", id: number, ok: boolean, error?: ReplyError}} Reply */

// Replies go to every view of a widget (and every browser tab showing it), so ids must
// not collide between views: each view starts its counter at a random base. 2^31 bases
// of 2^20 ids each stay below 2^53, safe as JSON numbers.
const ID_SPAN = 2 ** 20;

/** Busy depth per element: two commands may hold the same control. */
const busyDepth = new WeakMap();

/**
 * Mark a control busy (or not). Buttons stay focusable (aria-disabled, not disabled) so a
 * keyboard user does not lose their place; text fields become read-only so the text is
 * kept; selects are disabled.
 * @param {HTMLElement} el
 * @param {boolean} on
 */
export function setBusy(el, on) {
  const depth = (busyDepth.get(el) || 0) + (on ? 1 : -1);
  if (depth > 0) busyDepth.set(el, depth);
  else busyDepth.delete(el);
  const busy = depth > 0;
  el.classList.toggle("bw-busy", busy);
  if (busy) el.setAttribute("aria-busy", "true");
  else el.removeAttribute("aria-busy");
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLInputElement) el.readOnly = busy;
  else if (el instanceof HTMLSelectElement) el.disabled = busy;
  else if (el instanceof HTMLButtonElement) {
    if (busy) el.setAttribute("aria-disabled", "true");
    else el.removeAttribute("aria-disabled");
  }
}

/**
 * Whether a control waits for a reply.
 * @param {Element} el
 * @returns {boolean}
 */
export function isBusy(el) {
  return busyDepth.has(el);
}

/**
 * Show a message in an inline error slot (a `role="alert"` element next to a control).
 * @param {HTMLElement|null} slot
 * @param {string} message
 * @param {"error"|"info"} [level]
 */
export function showError(slot, message, level = "error") {
  if (!slot) return;
  slot.textContent = message;
  slot.dataset.level = level;
  slot.hidden = false;
}

/**
 * Empty an inline error slot.
 * @param {HTMLElement|null} slot
 */
export function clearError(slot) {
  if (!slot || slot.hidden) return;
  slot.textContent = "";
  slot.hidden = true;
}

/**
 * An inline error slot: announced by screen readers when it fills.
 * @param {string} [testid]
 * @returns {HTMLElement}
 */
export function errorSlot(testid) {
  const el = document.createElement("div");
  el.className = "bw-error";
  el.setAttribute("role", "alert");
  if (testid) el.setAttribute("data-testid", testid);
  el.hidden = true;
  return el;
}

/**
 * A random id that works outside secure contexts too (crypto.randomUUID needs https or
 * localhost; a notebook server may be plain http on another host).
 * @returns {string}
 */
export function randomId() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") {
    try {
      return c.randomUUID();
    } catch {
      // not a secure context: fall through
    }
  }
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The command/reply bookkeeping of one view.
 *
 * `run(action, args, {busy, error})` sends a command and resolves with its reply; the
 * `busy` controls are busy until then and `error` (an inline slot) shows a refusal. When
 * one of the `busy` controls is busy already, nothing is sent and it resolves with null
 * (a double click is one command). While a long cell runs the kernel reads no messages,
 * so a slow reply is not an error: after `slowMs` the slot says the view is waiting.
 *
 * @param {{send(msg: any): void}} model
 * @param {{slowMs?: number}} [options]
 */
export function createCommands(model, { slowMs = 5000 } = {}) {
  let nextId = Math.floor(Math.random() * 2 ** 31) * ID_SPAN + 1;
  /** @type {Map<number, {resolve: (r: Reply|null) => void, busy: HTMLElement[], error: HTMLElement|null, timer: any}>} */
  const pending = new Map();

  function settle(id, reply) {
    const entry = pending.get(id);
    if (!entry) return false;
    pending.delete(id);
    clearTimeout(entry.timer);
    for (const el of entry.busy) setBusy(el, false);
    if (reply && reply.ok === false) {
      const message = (reply.error && reply.error.message) || "That did not work.";
      showError(entry.error, message);
    } else {
      clearError(entry.error);
    }
    entry.resolve(reply);
    return true;
  }

  return {
    /**
     * Send a command; resolves with the reply, or null when it was not sent.
     * @param {string} action
     * @param {Record<string, any>} [args]
     * @param {{busy?: HTMLElement[], error?: HTMLElement|null}} [where]
     * @returns {Promise<Reply|null>}
     */
    run(action, args = {}, { busy = [], error = null } = {}) {
      if (busy.some(isBusy)) return Promise.resolve(null);
      const id = nextId++;
      for (const el of busy) setBusy(el, true);
      clearError(error);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          if (pending.has(id)) {
            showError(error, "Waiting for the kernel (a cell may still be running)…", "info");
          }
        }, slowMs);
        pending.set(id, { resolve, busy, error, timer });
        model.send({ ...args, kind: "command", id, action });
      });
    },

    /**
     * Handle a `reply` message. Replies to other views' commands are ignored.
     * @param {Reply} msg
     * @returns {boolean} whether it was one of ours
     */
    handleReply(msg) {
      return settle(msg.id, msg);
    },

    /** How many commands wait for a reply. */
    get pending() {
      return pending.size;
    },

    /** Forget every pending command (the view is gone); their promises resolve with null. */
    dispose() {
      for (const [id, entry] of [...pending]) {
        pending.delete(id);
        clearTimeout(entry.timer);
        entry.resolve(null);
      }
    },
  };
}
