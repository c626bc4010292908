/**
 * The text form used to write a comment, a reply or an edit: a labelled Markdown text area
 * with a short formatting hint, the name field for anonymous writers, and errors in words.
 */

import { button, errorLine, h } from "./dom.js";

/** @typedef {import("./thread.js").Context} Context */

let lastId = 0;

/**
 * A form that hands its text (and name) to `send`. The text area empties at once, so the
 * comment can show before the server answers; if `send` fails, the text comes back with
 * the server's error in words.
 * @param {Context} ctx
 * @param {object} form
 * @param {string} form.label
 * @param {string} form.submit          the label of the submit button
 * @param {(text: string, name?: string, trap?: string) => Promise<void>} form.send
 * @param {() => void} [form.cancel]    shows a Cancel button when given
 * @param {string} [form.initial]
 * @param {boolean} [form.withName]     ask for a name (anonymous comments)
 * @returns {HTMLFormElement}
 */
export function textForm(ctx, { label, submit, send, cancel, initial = "", withName = false }) {
  const { t } = ctx.tr;
  const hintId = "kommentar-hint-" + ++lastId;
  const name = withName
    ? h("input", {
        part: "name",
        name: "name",
        autocomplete: "nickname",
        maxlength: 60,
        value: ctx.store.get("name") || "",
      })
    : null;
  const text = h(
    "textarea",
    { part: "textarea", name: "text", rows: 5, maxlength: ctx.config.max_length, "aria-describedby": hintId },
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
      error.textContent = ctx.tr.error({ code: missing, message: "", retryAfter: 0 });
      return (missing == "text_empty" ? text : /** @type {HTMLElement} */ (name)).focus();
    }
    busy = true;
    error.textContent = "";
    text.value = "";
    if (author) ctx.store.set("name", author);
    try {
      await send(body, author, trap.value);
    } catch (failure) {
      text.value = body;
      error.textContent = ctx.tr.error(failure);
      text.focus();
    }
    busy = false;
  }
}
