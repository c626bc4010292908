/**
 * Translations: one JSON file per language in ./i18n/, plural rules and dates from Intl.
 * Adding a language is adding one file: English is built into embed.js, the build makes
 * every other file a chunk that is loaded only for readers of that language.
 */

import { exactTime, relativeTime } from "./format.js";

/** @typedef {Record<string, any>} Catalog */

/**
 * @typedef {object} Translator
 * @property {string} lang
 * @property {(key: string, vars?: Record<string, string | number>) => string} t
 *   the text for `key`; `{name}` placeholders filled, plural forms chosen by `vars.n`
 * @property {(error: any) => Promise<string>} error
 *   an ApiError in words: by its code, else the server's own message
 * @property {(date: Date) => string} ago
 * @property {(date: Date) => string} exact
 */

/**
 * A translator over `catalog`, with `fallback` (English) for anything it lacks. Error
 * messages past the few built in come from `moreErrors` (the reader's language's), the first
 * time one is told: a reader who meets no error never loads them.
 * @param {string} lang
 * @param {Catalog} catalog
 * @param {Catalog} [fallback]
 * @param {() => Promise<Record<string, any>>} [moreErrors]
 * @returns {Translator}
 */
export function createTranslator(lang, catalog, fallback = catalog, moreErrors = async () => ({})) {
  const plural = new Intl.PluralRules(lang);
  /** @type {Promise<Record<string, any>> | undefined} */
  let more;

  /** @param {string | Record<string, string>} entry @param {Record<string, string | number>} vars */
  function fill(entry, vars) {
    const text = typeof entry == "string" ? entry : entry[plural.select(+vars.n)] || entry.other;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
  }

  return {
    lang,
    t: (key, vars = {}) => fill(catalog[key] || fallback[key] || key, vars),
    async error({ code, message, retryAfter }) {
      // Built-in messages never wait: "network" is told when no chunk can be loaded either.
      // Without the others (a failed load) the server's own words are told.
      const entry =
        (catalog.errors || {})[code] ||
        fallback.errors[code] ||
        (await (more ||= moreErrors().catch(() => /** @type {Record<string, any>} */ ({}))))[code];
      if (!entry || (code == "rate_limited" && !retryAfter)) return message || fallback.errors.network;
      return fill(entry, { n: retryAfter });
    },
    ago: (date) => relativeTime(date, new Date(), lang),
    exact: (date) => exactTime(date, lang),
  };
}

/**
 * The translator for the first language in `candidates` that there is a catalog for:
 * English is built in, others come from `catalogOf`. English when a catalog cannot be loaded,
 * so the thread still shows, in words the reader may read.
 * @param {string[]} candidates  best first; English ends the search
 * @param {Catalog} english
 * @param {(lang: string) => Promise<Catalog> | null} catalogOf  null for a language there is none of
 * @param {(lang: string) => Promise<Record<string, any>>} [errorsOf]  a language's error messages not built in
 * @returns {Promise<Translator>}
 */
export async function chooseTranslator(candidates, english, catalogOf, errorsOf = async () => ({})) {
  for (const lang of candidates) {
    if (lang == "en") break;
    const loading = catalogOf(lang);
    if (!loading) continue;
    try {
      return createTranslator(lang, await loading, english, () => errorsOf(lang));
    } catch {
      break;
    }
  }
  return createTranslator("en", english, english, () => errorsOf("en"));
}
