/**
 * "E-mail me when someone replies": a checkbox added to the comment and reply forms when
 * the server sends mail, with an address field (shown once it is ticked) for readers without
 * a verified account address. Part of the actions chunk: nothing of it is in the first load,
 * its words included, and it joins a form when the reader first moves into that form.
 */

import { h } from "./dom.js";

/** Its own words: the first-load catalogs stay as they are. */
const WORDS = {
  en: {
    box: "E-mail me when someone replies",
    address: "Your e-mail address",
    hint: "Used only for replies to this comment. Every mail has a link to stop them.",
    confirm: "Check your e-mail: replies are sent once you have confirmed your address.",
    on: "We will e-mail you when someone replies.",
  },
  da: {
    box: "Send mig en mail, når nogen svarer",
    address: "Din e-mailadresse",
    hint: "Bruges kun til svar på denne kommentar. Hver mail har et link, så du kan stoppe dem.",
    confirm: "Tjek din mail: svarene bliver sendt, når du har bekræftet din adresse.",
    on: "Vi sender dig en mail, når nogen svarer.",
  },
};

/** The words in `lang`, English for any other. */
const words = (/** @type {string} */ lang) => (lang == "da" ? WORDS.da : WORDS.en);

/** The address typed last, for the next form on this page (never stored beyond it). */
let lastAddress = "";

/**
 * What a form asks for, to be sent with its comment: `notify` and (for a reader who typed
 * one) `email`, with the page's language. Undefined when the box is not ticked.
 * @typedef {{notify: true, email?: string, lang: string}} Wish
 */

/**
 * Add the box (and the address field) to a new comment's or reply's `form`, once.
 * @param {HTMLFormElement} form
 * @param {string} lang
 * @param {boolean} askAddress  the reader has no verified account address
 */
export function offerNotify(form, lang, askAddress) {
  if (form.querySelector("[name=notify]") || form.closest(".self")) return; // an edit: no
  const w = words(lang);
  const email = askAddress
    ? h("input", { type: "email", name: "email", autocomplete: "email", maxlength: 254, value: lastAddress })
    : null;
  const hint = h("span", { class: "hint" }, w.hint);
  const addressLabel = email && h("label", { hidden: true }, w.address, email, hint);
  const box = h("input", {
    type: "checkbox",
    name: "notify",
    onchange: () => {
      if (addressLabel) addressLabel.hidden = !box.checked;
    },
  });
  const row = h("label", { class: "row check" }, box, w.box);
  // A checkbox beside its words, not a full-width field over them. Set through the CSSOM,
  // which a host page's Content-Security-Policy allows, and not in the first-load styles.
  box.style.width = "auto";
  row.style.fontWeight = hint.style.fontWeight = "400";
  form.querySelector(":scope > .hint")?.after(row, addressLabel || "");
}

/**
 * The form's wish, or a code of what is missing (`email_required`).
 * @param {HTMLFormElement} form
 * @param {string} lang
 * @returns {Wish | string | undefined}
 */
export function wishOf(form, lang) {
  const box = /** @type {HTMLInputElement | null} */ (form.querySelector("[name=notify]"));
  if (!box || !box.checked) return undefined;
  const field = /** @type {HTMLInputElement | null} */ (form.querySelector("[name=email]"));
  if (!field) return { notify: true, lang };
  const email = field.value.trim();
  if (!email) return "email_required";
  lastAddress = email;
  return { notify: true, email, lang };
}

/**
 * What to tell a reader after posting with the box ticked: the server's `notify` answer.
 * @param {string} lang
 * @param {string | undefined} answer  "on" or "requested"
 */
export function notifyNote(lang, answer) {
  return answer ? words(lang)[answer == "on" ? "on" : "confirm"] : "";
}
