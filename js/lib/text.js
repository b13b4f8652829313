/**
 * Text is text: user content reaches the page only as text nodes. Links in chat are the
 * one exception, and they are built as anchor elements, never from markup.
 */

// A candidate link: http(s):// up to whitespace or a character that cannot end a URL in
// running text. Trailing punctuation is trimmed below.
const LINK = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?*'"\]}>]+$/;

/**
 * A text node for any value (null and undefined give an empty one).
 * @param {unknown} value
 * @returns {Text}
 */
export function text(value) {
  return document.createTextNode(value == null ? "" : String(value));
}

/**
 * Trim what a sentence puts after a link: "see https://x.org/a." links "https://x.org/a".
 * A closing parenthesis stays when the link opened one (Wikipedia-style URLs).
 * @param {string} raw
 * @returns {string}
 */
function trimLink(raw) {
  let url = raw.replace(TRAILING, "");
  while (url.endsWith(")") && count(url, "(") < count(url, ")")) {
    url = url.slice(0, -1).replace(TRAILING, "");
  }
  return url;
}

function count(s, ch) {
  return s.split(ch).length - 1;
}

/**
 * The href for a link candidate, or null when it is not a well-formed http(s) URL.
 * @param {string} candidate
 * @returns {string|null}
 */
export function safeHref(candidate) {
  let url;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

/**
 * Split text into pieces: `{text}` for plain runs and `{text, href}` for links.
 * @param {string} input
 * @returns {Array<{text: string, href?: string}>}
 */
export function splitLinks(input) {
  const source = input == null ? "" : String(input);
  const parts = [];
  let last = 0;
  for (const match of source.matchAll(LINK)) {
    const link = trimLink(match[0]);
    const href = safeHref(link);
    if (!href) continue;
    if (match.index > last) parts.push({ text: source.slice(last, match.index) });
    parts.push({ text: link, href });
    last = match.index + link.length;
  }
  if (last < source.length) parts.push({ text: source.slice(last) });
  return parts;
}

/**
 * Text with its http(s) links as safe anchors: a new tab, no opener, no referrer,
 * nofollow; the anchor's text is the link itself. No other scheme becomes a link.
 * @param {string} input
 * @returns {DocumentFragment}
 */
export function linkify(input) {
  const fragment = document.createDocumentFragment();
  for (const part of splitLinks(input)) {
    if (part.href) {
      const a = document.createElement("a");
      a.href = part.href;
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
      a.className = "bw-link";
      a.textContent = part.text;
      fragment.appendChild(a);
    } else {
      fragment.appendChild(text(part.text));
    }
  }
  return fragment;
}
