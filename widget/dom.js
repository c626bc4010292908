/**
 * A tiny element builder. Text always goes in as text; the only door for HTML is
 * `insertServerHtml`, for comment bodies the server has already sanitised.
 */

import { shortenUrl } from "./format.js";

/** @typedef {Node | string | null | undefined | false} Child */

/**
 * Build an element: attributes through setAttribute (null and false leave one out),
 * `on<event>` functions as listeners, children appended as nodes or as text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [attributes]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value == null || value === false) continue;
    if (typeof value == "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(.../** @type {Array<Node | string>} */ (children.filter((child) => child || child === "")));
  return element;
}

/**
 * A button that does something on the page (never submits a form).
 * @param {Record<string, any>} attributes
 * @param {...Child} children
 */
export function button(attributes, ...children) {
  return h("button", { type: "button", ...attributes }, ...children);
}

/** An empty line for an error message; screen readers announce what is put in it. */
export function errorLine() {
  return h("p", { class: "err", part: "error", role: "alert" });
}

/**
 * Put a comment body, as the server rendered and sanitised it, into `element`.
 * This is the one place the widget inserts HTML. Links whose text is a long address
 * are shortened for display; their href keeps the full address.
 * @param {Element} element
 * @param {string} html  server-sanitised HTML; never text a reader typed
 */
export function insertServerHtml(element, html) {
  element.innerHTML = html;
  for (const link of element.querySelectorAll("a")) {
    const text = link.textContent || "";
    if (/^(https?:\/\/|www\.)\S+$/.test(text)) link.textContent = shortenUrl(text);
  }
}

/**
 * Draw `within` again with `draw` (which returns what now stands in its place) and put the
 * focus, and a text field's selection, back on the element at the same place: a comment
 * redrawn under the reader's hands keeps their place in it.
 * @param {HTMLElement} within
 * @param {() => HTMLElement} draw
 */
export function keepingFocus(within, draw) {
  const focused = /** @type {any} */ (/** @type {ShadowRoot} */ (within.getRootNode()).activeElement);
  /** @type {number[]} */
  const path = [];
  if (within.contains(focused)) {
    for (let node = focused; node != within; node = node.parentElement) {
      path.unshift([...node.parentElement.children].indexOf(node));
    }
  }
  let twin = /** @type {any} */ (draw());
  if (!path.length) return;
  for (const index of path) twin = twin && twin.children[index];
  if (!twin || twin.tagName != focused.tagName || twin.getAttribute("part") != focused.getAttribute("part")) return;
  twin.focus({ preventScroll: true });
  if (focused.selectionEnd != null) twin.setSelectionRange(focused.selectionStart, focused.selectionEnd);
}
