/**
 * A person as a line: online dot, name, mic and camera. Used by the board's cards and
 * anywhere else a participant is shown. The icons are CSS masks (styles/base.css), so a
 * person is five small elements: a 500-card board stays cheap to build and to patch.
 */

import { setAttr, setText } from "./dom.js";

/** @typedef {{id: string, name: string, online?: boolean, mic?: boolean, camera?: boolean}} Person */

// One prepared element per (online, mic, camera) combination: a new person is a clone of
// the right one plus its name, so building 500 of them sets few attributes.
let variants = new Map();
let variantsDoc = null;

function variant(person) {
  if (variantsDoc !== document) {
    variants = new Map();
    variantsDoc = document;
  }
  const key = (person.online ? 1 : 0) | (person.mic ? 2 : 0) | (person.camera ? 4 : 0);
  let el = variants.get(key);
  if (!el) {
    el = document.createElement("span");
    el.className = "bw-person";
    for (const cls of ["bw-dot", "bw-name", "bw-mic", "bw-cam"]) {
      const part = document.createElement("span");
      part.className = cls;
      if (cls !== "bw-name") part.setAttribute("role", "img");
      el.appendChild(part);
    }
    setFlags(el, person);
    variants.set(key, el);
  }
  return el;
}

/**
 * A new person element.
 * @param {Person} person
 * @returns {HTMLElement}
 */
export function renderPerson(person) {
  const el = /** @type {HTMLElement} */ (variant(person).cloneNode(true));
  el.children[1].textContent = person.name;
  return el;
}

/**
 * Bring a person element up to date, writing only what changed.
 * @param {HTMLElement} el an element made by renderPerson
 * @param {Person} person
 */
export function updatePerson(el, person) {
  setText(el.children[1], person.name);
  setFlags(el, person);
}

function setFlags(el, person) {
  const [dot, , mic, cam] = /** @type {HTMLElement[]} */ (Array.from(el.children));
  flag(dot, "data-online", !!person.online, "online", "offline");
  flag(mic, "data-on", !!person.mic, "microphone on", "microphone off");
  flag(cam, "data-on", !!person.camera, "camera on", "camera off");
}

function flag(el, attr, on, yes, no) {
  const value = on ? "true" : "false";
  if (el.getAttribute(attr) === value) return;
  el.setAttribute(attr, value);
  setAttr(el, "aria-label", on ? yes : no);
}
