/**
 * The text form used to write a comment, a reply or an edit: a labelled Markdown text area
 * with a short formatting hint, the name field for anonymous writers, a Preview toggle, and
 * errors in words. It only draws; sending and previewing it are the controls' (controls.js).
 */

import { button, errorLine, h } from "./dom.js";

let lastId = 0;

/**
 * What a text form does with its text: `send` it (with the name, the honeypot's value and
 * the wish to be mailed replies), and `keep` what is typed as it is typed, so a draft
 * outlives the form being drawn again.
 * @typedef {object} Sending
 * @property {(text: string, name?: string, trap?: string, wish?: import("./notify.js").Wish) => Promise<void>} send
 * @property {(text: string) => void} keep
 */

/**
 * A form that hands its text (and name) to `send` when submitted; the sending itself is
 * `sendForm` of the thread's controls (controls.js), which load with the reader's first move.
 * @param {import("./i18n.js").Translator} tr
 * @param {object} form
 * @param {{sendForm: (form: HTMLFormElement, sending: Sending) => Promise<void>,
 *   preview: (form: HTMLFormElement) => Promise<void>}} form.act
 * @param {string} form.label
 * @param {string} form.submit          the label of the submit button
 * @param {Sending["send"]} form.send
 * @param {Sending["keep"]} form.keep
 * @param {number} form.maxLength
 * @param {string} [form.initial]
 * @param {string | null} [form.name]   ask for a name (anonymous comments), starting with this one
 * @returns {HTMLFormElement}
 */
export function textForm(tr, { act, label, submit, send, keep, maxLength, initial = "", name: named = null }) {
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
  /** A failure the controls could not tell themselves: they could not be loaded. */
  const tell = async (/** @type {any} */ failure) => (error.textContent = await tr.error(failure));
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
      button(
        { part: "preview", "aria-pressed": "false", onclick: () => act.preview(form).catch(tell) },
        t("preview"),
      ),
    ),
  );
  return form;

  /** @param {Event} event */
  function post(event) {
    event.preventDefault();
    act.sendForm(form, { send, keep }).catch(tell); // it tells its own failures
  }
}
