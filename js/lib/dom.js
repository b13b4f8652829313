/**
 * A tiny DOM builder. Every string becomes a text node or an attribute value; nothing
 * here parses HTML, so names and messages can never turn into markup.
 */

/**
 * Create an element.
 *
 * Props: `class` (className), `text` (textContent), `testid` (data-testid), `on`
 * (`{event: handler}`), booleans toggle an attribute, anything else is set with
 * setAttribute; `null`/`undefined` values are skipped.
 * Children: nodes, strings/numbers (as text nodes), or null/false (skipped).
 *
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node|string|number|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "testid") el.setAttribute("data-testid", value);
    else if (key === "on") {
      for (const [type, handler] of Object.entries(value)) el.addEventListener(type, handler);
    } else if (typeof value === "boolean") el.toggleAttribute(key, value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/**
 * Append children (nodes or text) to a parent.
 * @param {Node} parent
 * @param {Array<Node|string|number|null|undefined|false>} children
 */
export function append(parent, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Set an element's text only when it differs: a patch should not touch what is unchanged.
 * @param {Element} el
 * @param {unknown} value
 */
export function setText(el, value) {
  const text = value == null ? "" : String(value);
  if (el.textContent !== text) el.textContent = text;
}

/**
 * Set (or, with null, remove) an attribute only when it differs.
 * @param {Element} el
 * @param {string} name
 * @param {string|null} value
 */
export function setAttr(el, name, value) {
  if (value == null) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== value) {
    el.setAttribute(name, value);
  }
}

/**
 * Show or hide an element with the `hidden` attribute, touching it only on a change.
 * @param {HTMLElement} el
 * @param {boolean} visible
 */
export function show(el, visible) {
  if (el.hidden === visible) el.hidden = !visible;
}

/** Counter for ids that tie labels to controls; unique within the page. */
let uid = 0;

/**
 * A page-unique element id, for `for=`/`aria-labelledby` (several views share a page).
 * @param {string} prefix
 * @returns {string}
 */
export function uniqueId(prefix) {
  uid += 1;
  return `${prefix}-${uid}-${Math.random().toString(36).slice(2, 7)}`;
}
