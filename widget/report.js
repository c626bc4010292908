/**
 * The report dialog: a reader tells the moderators why a comment should not be there (spam,
 * abuse, off topic, or something else said in a short note), or withdraws a report they made.
 * A modal <dialog>: the browser keeps the focus inside it and Escape closes it. It only asks;
 * sending the answer is the controls' (controls.js). In the actions chunk.
 */

import { button, errorLine, h } from "./dom.js";

/** @typedef {import("./api.js").Reason} Reason */
/** @typedef {{reason: Reason, note?: string}} Report  what the reader reports */

/** The reasons as the server names them, with the key of their words. */
const REASONS = /** @type {const} */ ([
  ["spam", "spam"],
  ["abuse", "abuse"],
  ["off-topic", "offTopic"],
  ["other", "other"],
]);

/** The longest note the server takes (MAX_NOTE in backend/kommentar/reports.py). */
export const MAX_NOTE = 300;

let lastId = 0;

/**
 * What is missing from a report before it can be sent, as an error code (empty when nothing
 * is): a reason, and for "other" a note that says something.
 * @param {string | null} reason
 * @param {string} note
 */
export function reportProblem(reason, note) {
  if (!reason) return "invalid_reason";
  if (reason == "other" && !note.trim()) return "note_required";
  return note.length > MAX_NOTE ? "invalid_note" : "";
}

/**
 * Ask in a modal dialog, put into `within` (inside the thread, whose theme it takes), why the
 * reader reports a comment, or, when they have (`reported`), whether to withdraw the report.
 * Resolves when the dialog closes: with the report, with "withdraw", or with null (Cancel,
 * Escape).
 * @param {HTMLElement} within
 * @param {import("./i18n.js").Translator} tr
 * @param {(key: string) => string} say  the controls' words
 * @param {boolean} reported
 * @returns {Promise<Report | "withdraw" | null>}
 */
export function askReport(within, tr, say, reported) {
  const id = "kommentar-report-" + ++lastId;
  /** @type {Report | "withdraw" | null} */
  let answer = null;
  const error = errorLine();
  const note = h("textarea", { name: "note", rows: 3, maxlength: MAX_NOTE, "aria-describedby": id + "-hint" });
  const reasons = h(
    "fieldset",
    {},
    h("legend", {}, say("reason")),
    ...REASONS.map(([reason, key]) =>
      h("label", { class: "choice" }, h("input", { type: "radio", name: "reason", value: reason }), say(key)),
    ),
  );
  const questions = reported
    ? [h("p", {}, say("reportedText"))]
    : [
        h("p", {}, say("reportIntro")),
        reasons,
        h("label", {}, say("note"), note),
        h("p", { class: "hint", id: id + "-hint" }, say("noteHint")),
      ];
  const form = h(
    "form",
    { novalidate: true, onsubmit: send },
    h("h2", { id }, say(reported ? "reportedTitle" : "reportTitle")),
    ...questions,
    error,
    h(
      "div",
      { class: "row" },
      h("button", { type: "submit", class: "primary" }, say(reported ? "withdraw" : "sendReport")),
      button({ onclick: () => dialog.close() }, say("cancel")),
    ),
  );
  const dialog = h("dialog", { "aria-labelledby": id }, form);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(answer);
    });
    within.append(dialog);
    dialog.showModal();
    /** @type {HTMLElement | null} */ (form.querySelector("input, .primary"))?.focus();
  });

  /** @param {Event} event */
  async function send(event) {
    event.preventDefault();
    if (reported) {
      answer = "withdraw";
      return dialog.close();
    }
    const chosen = /** @type {HTMLInputElement | null} */ (reasons.querySelector(":checked"));
    const reason = chosen && chosen.value;
    const problem = reportProblem(reason, note.value);
    if (problem) {
      error.textContent = await tr.error({ code: problem });
      return /** @type {HTMLElement} */ (problem == "invalid_reason" ? reasons.querySelector("input") : note).focus();
    }
    const text = note.value.trim();
    answer = { reason: /** @type {Reason} */ (reason), ...(text && { note: text }) };
    dialog.close();
  }
}
