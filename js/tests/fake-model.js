/**
 * A stand-in for the anywidget model: get/set/on/off/send/save_changes, plus what a test
 * needs to play the Python side: change traits, deliver custom messages, reply to commands.
 */

/**
 * @param {Record<string, any>} [traits]
 */
export function fakeModel(traits = {}) {
  const state = { ...traits };
  /** @type {Map<string, Set<Function>>} */
  const handlers = new Map();
  const sent = [];

  const fire = (event, ...args) => {
    for (const cb of [...(handlers.get(event) || [])]) cb(...args);
  };

  return {
    // -- the anywidget model API ----------------------------------------------------------
    get: (name) => state[name],
    set(name, value) {
      state[name] = value;
    },
    save_changes() {},
    on(event, cb) {
      if (!handlers.has(event)) handlers.set(event, new Set());
      handlers.get(event).add(cb);
    },
    off(event, cb) {
      if (!event) handlers.clear();
      else if (!cb) handlers.delete(event);
      else handlers.get(event)?.delete(cb);
    },
    send(msg) {
      sent.push(JSON.parse(JSON.stringify(msg)));
    },

    // -- for tests --------------------------------------------------------------------------
    sent,
    /** Change traits as Python would (fires change:name for each). */
    update(changes) {
      Object.assign(state, changes);
      for (const name of Object.keys(changes)) fire(`change:${name}`, this, changes[name]);
    },
    /** Deliver a custom message from Python. */
    emit(msg) {
      fire("msg:custom", msg, []);
    },
    /** Commands the view sent, optionally of one action. */
    commands(action) {
      return sent.filter((m) => m.kind === "command" && (!action || m.action === action));
    },
    lastCommand(action) {
      const list = this.commands(action);
      return list[list.length - 1];
    },
    /** Answer a command: ok, or an error {code, message}. */
    reply(command, error) {
      this.emit(error ? { kind: "reply", id: command.id, ok: false, error } : { kind: "reply", id: command.id, ok: true });
    },
    listenerCount() {
      let n = 0;
      for (const set of handlers.values()) n += set.size;
      return n;
    },
  };
}

/**
 * Render a view module into a fresh element in the document.
 * @param {{render: Function}} module
 * @param {Record<string, any>} traits
 */
export function mount(module, traits) {
  const model = fakeModel(traits);
  const el = document.createElement("div");
  document.body.appendChild(el);
  const cleanup = module.render({ model, el });
  const $ = (testid, root = el) => root.querySelector(`[data-testid="${testid}"]`);
  const $$ = (testid, root = el) => [...root.querySelectorAll(`[data-testid="${testid}"]`)];
  return { model, el, cleanup, $, $$ };
}

/** Fire a keydown the way a browser would (bubbling, cancelable). */
export function key(target, k, extra = {}) {
  const event = new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...extra });
  target.dispatchEvent(event);
  return event;
}

/** Set an input's value and fire `input` (and `change` for selects). */
export function type(input, value) {
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  if (input.tagName === "SELECT") input.dispatchEvent(new Event("change", { bubbles: true }));
}
