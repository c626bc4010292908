/**
 * Translations: one JSON file per language in ./i18n/, plural rules and dates from Intl.
 * Adding a language is adding one file; the bundler picks up every file in the folder.
 */

import { exactTime, relativeTime } from "./format.js";

/** @typedef {Record<string, any>} Catalog */

/**
 * @typedef {object} Translator
 * @property {string} lang
 * @property {(key: string, vars?: Record<string, string | number>) => string} t
 *   the text for `key`; `{name}` placeholders filled, plural forms chosen by `vars.n`
 * @property {(error: any) => string} error
 *   an ApiError in words: by its code, else the server's own message
 * @property {(date: Date) => string} ago
 * @property {(date: Date) => string} exact
 */

/**
 * A translator over `catalog`, with `fallback` (English) for anything it lacks.
 * @param {string} lang
 * @param {Catalog} catalog
 * @param {Catalog} [fallback]
 * @returns {Translator}
 */
export function createTranslator(lang, catalog, fallback = catalog) {
  const plural = new Intl.PluralRules(lang);

  /** @param {string | Record<string, string>} entry @param {Record<string, string | number>} vars */
  function fill(entry, vars) {
    const text = typeof entry == "string" ? entry : entry[plural.select(+vars.n)] || entry.other;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
  }

  return {
    lang,
    t: (key, vars = {}) => fill(catalog[key] || fallback[key] || key, vars),
    error({ code, message, retryAfter }) {
      const entry = (catalog.errors || {})[code] || fallback.errors[code];
      if (!entry || (code == "rate_limited" && !retryAfter)) return message || fallback.errors.network;
      return fill(entry, { n: retryAfter });
    },
    ago: (date) => relativeTime(date, new Date(), lang),
    exact: (date) => exactTime(date, lang),
  };
}

/**
 * The translator for the first language in `candidates` that has a file, English otherwise.
 * @param {string[]} candidates
 */
export function loadTranslator(candidates) {
  const english = /** @type {Catalog} */ (loadCatalog("en"));
  for (const lang of candidates) {
    const catalog = loadCatalog(lang);
    if (catalog) return createTranslator(lang, catalog, english);
  }
  return createTranslator("en", english);
}

/** @param {string} lang @returns {Catalog | null} */
function loadCatalog(lang) {
  try {
    // esbuild bundles every file this pattern matches: adding a language is adding a file.
    return require(`./i18n/${lang}.json`);
  } catch {
    return null;
  }
}
