/**
 * Count badges for listing pages: every `[data-kommentar-count="URL"]` element gets that
 * page's comment count ("3 comments"), all of them from one batched request. A chunk
 * (embed/counts.js), loaded only by pages with badges.
 */

/**
 * @param {import("./api.js").Api} api
 * @param {Promise<import("./i18n.js").Translator>} translator  loaded while the counts are asked
 * @param {Element[]} badges
 */
export async function fillCounts(api, translator, badges) {
  const urlOf = (/** @type {Element} */ badge) =>
    new URL(badge.getAttribute("data-kommentar-count") || location.href, document.baseURI).href.split("#")[0];
  const urls = [...new Set(badges.map(urlOf))];
  try {
    const [{ counts }, tr] = await Promise.all([api.counts(urls), translator]);
    for (const badge of badges) {
      const count = counts[urlOf(badge)];
      if (count != null) badge.textContent = tr.t("count", { n: count });
    }
  } catch {
    // Counts are decoration: a listing page stays as it was when the server is away.
  }
}
