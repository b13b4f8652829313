/**
 * A participant's card: the person (lib/person.js), a "host" badge, and while the rooms
 * run, where they are when that is not their room. Built from a prepared element and
 * updated attribute by attribute, so a patch touches only what changed.
 */

import { h, setText, show } from "../lib/dom.js";
import { renderPerson, updatePerson } from "../lib/person.js";

/**
 * @typedef {{id: string, name: string, host?: boolean, room_id: string|null,
 *   meeting_id?: string, online?: boolean, mic?: boolean, camera?: boolean}} Participant
 * @typedef {{p: Participant, el: HTMLElement, order: number, col: string|null,
 *   hostEl: HTMLElement|null, whereEl: HTMLElement|null}} Entry
 */

let template = null;

/**
 * A new card element.
 * @param {Participant} p
 * @returns {HTMLElement}
 */
function cardEl(p) {
  if (!template || template.ownerDocument !== document) {
    template = document.createElement("div");
    template.className = "bw-card";
    template.setAttribute("data-testid", "bw-card");
    template.setAttribute("role", "button");
    template.setAttribute("tabindex", "-1");
    template.setAttribute("aria-pressed", "false");
    template.setAttribute("draggable", "true");
  }
  const el = /** @type {HTMLElement} */ (template.cloneNode(false));
  el.setAttribute("data-participant-id", p.id);
  el.setAttribute("data-name", p.name);
  el.appendChild(renderPerson(p));
  return el;
}

/**
 * A new entry (participant, card element, invite order).
 * @param {Participant} p
 * @param {number} order
 * @returns {Entry}
 */
export function createEntry(p, order) {
  const entry = { p, el: cardEl(p), order, col: null, hostEl: null, whereEl: null };
  if (p.host) {
    entry.hostEl = h("span", { class: "bw-badge bw-host", text: "host" });
    entry.el.appendChild(entry.hostEl);
  }
  return entry;
}

/**
 * Bring a card up to date with a participant, writing only what changed.
 * @param {Entry} entry
 * @param {Participant} p
 */
export function updateEntry(entry, p) {
  const before = entry.p;
  entry.p = p;
  updatePerson(/** @type {HTMLElement} */ (entry.el.firstChild), p);
  if (before.name !== p.name) entry.el.setAttribute("data-name", p.name);
  if (p.host && !entry.hostEl) {
    entry.hostEl = h("span", { class: "bw-badge bw-host", text: "host" });
    entry.el.insertBefore(entry.hostEl, entry.el.children[1] || null);
  }
  if (entry.hostEl) show(entry.hostEl, !!p.host);
}

/**
 * While rooms run, say where someone is when it is not the room they are assigned to
 * ("in main meeting", "in Room 2"); otherwise say nothing.
 * @param {Entry} entry
 * @param {boolean} running
 * @param {Map<string, string>} roomTitles
 */
export function updateWhere(entry, running, roomTitles) {
  const p = entry.p;
  let where = null;
  if (running && p.meeting_id && p.meeting_id !== p.room_id) {
    if (roomTitles.has(p.meeting_id)) where = `in ${roomTitles.get(p.meeting_id)}`;
    else if (p.room_id) where = "in main meeting";
  }
  if (where === null) {
    if (entry.whereEl) show(entry.whereEl, false);
    return;
  }
  if (!entry.whereEl) {
    entry.whereEl = h("span", { class: "bw-badge bw-where" });
    entry.el.appendChild(entry.whereEl);
  }
  setText(entry.whereEl, where);
  show(entry.whereEl, true);
}
