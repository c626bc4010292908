/**
 * The text form used to write a comment, a reply or an edit: a labelled Markdown text area
 * with a short formatting hint, the name field for anonymous writers, and errors in words.
 */

import { button, errorLine, h } from "./dom.js";

let lastId = 0;

/**
 * A form that hands its text (and name) to `send`. The text area empties at once, so the
 * comment can show before the server answers; if `send` fails, the text comes back with
 * the server's error in words. What is typed goes to `keep` as it is typed, so a draft
 * outlives the form being drawn again.
 * @param {import("./i18n.js").Translator} tr
 * @param {object} form
 * @param {string} form.label
 * @param {string} form.submit          the label of the submit button
 * @param {(text: string, name?: string, trap?: string) => Promise<void>} form.send
 * @param {(text: string) => void} form.keep
 * @param {number} form.maxLength
 * @param {() => void} [form.cancel]    shows a Cancel button when given
 * @param {string} [form.initial]
 * @param {string | null} [form.name]   ask for a name (anonymous comments), starting with this one
 * @returns {HTMLFormElement}
 */
export function textForm(tr, { label, submit, send, keep, maxLength, cancel, initial = "", name: named = null }) {
  const { t } = tr;
  const hintId = "kommentar-hint-" + ++lastId;
  const name =
    named == null
      ? null
      : h("input", { part: "name", name: "name", autocomplete: "nickname", maxlength: 60, value: named });
  const text = h(
    "textarea",
    {
      part: "textarea",
      name: "text",
      rows: 5,
      maxlength: maxLength,
      "aria-describedby": hintId,
      oninput: () => keep(text.value),
    },
    initial,
  );
  // A honeypot: hidden from people and screen readers, filled in by form-filling bots.
  const trap = h("input", { name: "website", class: "vh", tabindex: -1, autocomplete: "off", "aria-hidden": "true" });
  const error = errorLine();
  let busy = false;
  const form = h(
    "form",
    { part: "form", novalidate: true, onsubmit: post },
    name && h("label", {}, t("name"), name),
    trap,
    h("label", {}, label, text),
    h("p", { class: "hint", id: hintId }, t("hint")),
    error,
    h(
      "div",
      { class: "row" },
      h("button", { type: "submit", class: "primary", part: "submit" }, submit),
      cancel && button({ onclick: cancel }, t("cancel")),
    ),
  );
  return form;

  /** @param {Event} event */
  async function post(event) {
    event.preventDefault();
    if (busy) return;
    const body = text.value.trim();
    const author = name ? name.value.trim() : undefined;
    const missing = name && !author ? "name_required" : !body ? "text_empty" : "";
    if (missing) {
      error.textContent = await tr.error({ code: missing });
      return (missing == "text_empty" ? text : /** @type {HTMLElement} */ (name)).focus();
    }
    busy = true;
    error.textContent = "";
    text.value = "";
    keep("");
    try {
      await send(body, author, trap.value);
    } catch (failure) {
      text.value = body;
      keep(body);
      error.textContent = await tr.error(failure);
      text.focus();
    }
    busy = false;
  }
}
