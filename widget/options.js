/**
 * The loader's configuration: data attributes on the script tag and on the container,
 * read into an explicit defaults object. Pure, so it is tested without a browser.
 */

/** @typedef {import("./types.js").Options} Options */
/** @typedef {import("./types.js").Sort} Sort */
/** @typedef {import("./types.js").Theme} Theme */

export const SORTS = /** @type {Sort[]} */ (["oldest", "newest", "best"]);
const THEMES = /** @type {Theme[]} */ (["light", "dark", "auto"]);
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

/**
 * Options for one thread: the script's data attributes, then the container's, over defaults.
 * @param {Array<Record<string, string | undefined>>} datasets  lowest priority first
 * @param {{href: string, title: string}} page  the current page
 * @returns {Options}
 */
export function readOptions(datasets, page) {
  /** @type {Record<string, string | undefined>} */
  const data = Object.assign({}, ...datasets);
  const pageSize = Number(data.pageSize);
  return {
    url: new URL(data.url || page.href, page.href).href.split("#")[0],
    id: data.id || null,
    title: data.title || page.title,
    lang: data.lang || null,
    theme: pick(THEMES, data.theme) || "auto",
    sort: pick(SORTS, data.sort),
    pageSize:
      Number.isInteger(pageSize) && pageSize > 0 ? Math.min(pageSize, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE,
    live: data.live,
  };
}

/**
 * The value if it is one of `allowed`, else null.
 * @template {string} T
 * @param {T[]} allowed
 * @param {string | undefined} value
 * @returns {T | null}
 */
export function pick(allowed, value) {
  return allowed.find((item) => item === value) || null;
}

/**
 * Languages to try, best first: data-lang, then the page's <html lang>, then the browser's,
 * then English. Only the primary subtag counts ("da-DK" is "da"); a language may repeat.
 * @param {Array<string | null | undefined>} preferred
 */
export function languageCandidates(preferred) {
  const codes = [...preferred, "en"].map((tag) => (tag || "").split(/[-_]/)[0].toLowerCase());
  return codes.filter((code) => /^[a-z]{2,3}$/.test(code));
}
