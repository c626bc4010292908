/** The sort bar: Oldest / Newest / Best first, as toggle buttons with the current one pressed. */

import { button, h } from "./dom.js";
import { SORTS } from "./options.js";

/** @typedef {import("./types.js").Sort} Sort */

/**
 * @param {import("./i18n.js").Translator} tr
 * @param {Sort} current
 * @param {(sort: Sort) => void} choose  called when the reader picks another order
 */
export function sortBar(tr, current, choose) {
  const bar = h("div", { class: "sort", part: "sort", role: "group", "aria-label": tr.t("sortLabel") });
  for (const sort of SORTS) {
    const choice = button({ "aria-pressed": String(sort == current), onclick: pick }, tr.t(sort));
    bar.append(choice);
    function pick() {
      if (choice.getAttribute("aria-pressed") == "true") return;
      for (const other of bar.children) other.setAttribute("aria-pressed", String(other == choice));
      choose(sort);
    }
  }
  return bar;
}
