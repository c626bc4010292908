/** Pure text formatting: relative and exact times, shortened links, quotes as Markdown. */

/** Units from largest to smallest, with their length in seconds. */
const UNITS = /** @type {const} */ ([
  ["year", 31536000],
  ["month", 2592000],
  ["week", 604800],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
]);

/**
 * How long ago `date` was, in the reader's language: "3 hours ago", "for 3 timer siden".
 * A date in the future (a fast server clock) reads as "now".
 * @param {Date} date
 * @param {Date} now
 * @param {string} lang
 */
export function relativeTime(date, now, lang) {
  const seconds = Math.min(0, (date.getTime() - now.getTime()) / 1000);
  const format = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (-seconds >= size) return format.format(Math.trunc(seconds / size), unit);
  }
  return format.format(0, "second");
}

/**
 * The exact date and time, for the tooltip of a relative time.
 * @param {Date} date
 * @param {string} lang
 */
export function exactTime(date, lang) {
  return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" }).format(date);
}

/**
 * A long address as link text: without scheme and "www.", cut with "…" after `max` characters.
 * @param {string} url
 * @param {number} [max]
 */
export function shortenUrl(url, max = 48) {
  const bare = url.replace(/^[a-z]+:\/\/(www\.)?/i, "").replace(/\/$/, "");
  return bare.length > max ? bare.slice(0, max - 1) + "…" : bare;
}

/**
 * Text quoted as a Markdown blockquote, ready for the reader to answer below it.
 * @param {string} text
 */
export function quoteMarkdown(text) {
  const lines = text
    .replace(/\r\n?/g, "\n")
    .trim()
    .replace(/\n{3,}/g, "\n\n")
    .split("\n");
  return lines.map((line) => (line.trim() ? "> " + line.trimEnd() : ">")).join("\n") + "\n\n";
}
