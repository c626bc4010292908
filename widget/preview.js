/**
 * The Preview toggle of a text form (form.js): the text exactly as it will be published,
 * rendered and sanitised by the server, shown in place of the text area with a comment's
 * `.body` styling; pressed again, the text area comes back with the text and the caret as
 * they were. In the actions chunk: the first render only draws the button.
 */

import { h, insertServerHtml } from "./dom.js";

/** Forms whose preview is on its way: a second press meanwhile does nothing. */
const fetching = new WeakSet();

/** @param {HTMLFormElement} form */
const partsOf = (form) => ({
  text: /** @type {HTMLTextAreaElement} */ (form.querySelector("textarea[name=text]")),
  toggle: /** @type {HTMLElement} */ (form.querySelector("[part=preview]")),
  shown: form.querySelector(":scope > .preview"),
  error: /** @type {HTMLElement} */ (form.querySelector(":scope > .err")),
});

/**
 * Show `form`'s text as the server renders it, or, when it is shown, go back to writing.
 * A failure (an empty text, a text too long, a rate limit) is thrown to the form to tell.
 * @param {HTMLFormElement} form
 * @param {(text: string) => Promise<string>} render  the server-sanitised HTML of a text
 * @param {string} label  the name of the preview region
 */
export async function togglePreview(form, render, label) {
  const { text, toggle, shown, error } = partsOf(form);
  if (shown) return writeAgain(form, true);
  if (fetching.has(form)) return;
  if (!text.value.trim()) throw { code: "text_empty" };
  fetching.add(form);
  let html;
  try {
    html = await render(text.value);
  } finally {
    fetching.delete(form);
  }
  const region = h("div", { class: "body preview", role: "region", "aria-label": label });
  insertServerHtml(region, html);
  error.textContent = "";
  text.hidden = true; // its text and selection stay as they are
  text.closest("label")?.after(region);
  toggle.setAttribute("aria-pressed", "true");
}

/**
 * Back to the text area of `form`, if its preview is shown; with `focus`, the caret is put
 * back where it was.
 * @param {HTMLFormElement} form
 * @param {boolean} [focus]
 */
export function writeAgain(form, focus = false) {
  const { text, toggle, shown } = partsOf(form);
  if (!shown) return;
  shown.remove();
  text.hidden = false;
  toggle.setAttribute("aria-pressed", "false");
  if (focus) text.focus({ preventScroll: true });
}
