/**
 * Count badges for listing pages: every `[data-kommentar-count="URL"]` element gets that
 * page's comment count ("3 comments"), all of them from one batched request, asked again
 * while the page is read (polling.js: data-live on the script tag, every 30 s by default).
 * A chunk (embed/counts.js), loaded only by pages with badges.
 */

import { changed, keepAsking, liveSeconds } from "./polling.js";

/**
 * @param {string} server  the folder embed.js was loaded from
 * @param {Promise<import("./i18n.js").Translator>} translator  loaded while the counts are asked
 * @param {Element[]} badges
 * @param {string | undefined} live  the script's data-live: how often to ask again
 */
export function fillCounts(server, translator, badges, live) {
  const seconds = liveSeconds(live);
  const urlOf = (/** @type {Element} */ badge) =>
    new URL(badge.getAttribute("data-kommentar-count") || location.href, document.baseURI).href.split("#")[0];
  const counts = new URL("api/counts", server);
  for (const url of new Set(badges.map(urlOf))) counts.searchParams.append("url", url);
  let tag = "";

  async function ask() {
    const answer = await changed(counts, tag);
    if (!answer) return;
    tag = answer.tag;
    const tr = await translator;
    for (const badge of badges) {
      const count = answer.body.counts[urlOf(badge)];
      if (count != null) badge.textContent = tr.t("count", { n: count });
    }
  }
  // Counts are decoration: a listing page stays as it was when the server is away.
  if (seconds) keepAsking(seconds, ask);
  else ask().catch(() => {});
}
