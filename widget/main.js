/**
 * The embed loader. A site adds `<script src="https://comments.example.com/embed.js" async>`
 * and, optionally, `<div data-kommentar>` where the thread should appear. The loader finds
 * its server from its own src, reads the data attributes of the script and the container,
 * fills any `[data-kommentar-count]` badges, and mounts the thread.
 */

import { createApi } from "./api.js";
import { hasChunk, loadChunk } from "./chunks.js";
import { chooseTranslator } from "./i18n.js";
import english from "./i18n/en.json";
import { languageCandidates, readOptions } from "./options.js";
import { landedAnswer } from "./signin.js";
import { openStore } from "./storage.js";
import { mountThread } from "./thread.js";

// currentScript is only set while this script first runs: take it before anything awaits.
const script = /** @type {HTMLScriptElement | null} */ (document.currentScript);
if (script) {
  if (document.readyState == "loading") document.addEventListener("DOMContentLoaded", () => start(script));
  else start(script);
}

/**
 * Mount every thread on the page and fill its count badges.
 * @param {HTMLScriptElement} script
 */
function start(script) {
  const server = new URL(".", script.src).href;
  const api = createApi(server);
  const page = { href: location.href, title: document.title };
  const loadPart = (/** @type {string} */ name) => loadChunk(server, name);
  // Back from signing in at a provider in this tab: the answer leaves the address at once (no
  // bookmark, shared link or history entry keeps the token) for the reader's store. A fresh
  // navigation has no history state to keep.
  const landed = landedAnswer(location.hash);
  if (landed) {
    history.replaceState(null, "", location.pathname + location.search);
    openStore(server).set(...landed);
  }
  /** The reader's language; other than English, its catalog is a chunk fetched meanwhile. */
  const translator = (/** @type {string | null} */ lang) =>
    chooseTranslator(
      languageCandidates([lang, document.documentElement.lang, ...navigator.languages]),
      english,
      (code) => (hasChunk(code) ? loadPart(code).then((chunk) => chunk.default) : null),
      (code) => loadPart(code + "-errors").then((chunk) => chunk.default),
    );

  const badges = [...document.querySelectorAll("[data-kommentar-count]")];
  // Counts are decoration, and a chunk: a page stays as it was when they cannot be had.
  if (badges.length) {
    const counting = translator(script.dataset.lang || null);
    const { live } = script.dataset;
    loadPart("counts").then((chunk) => chunk.fillCounts(server, counting, badges, live), () => {});
  }

  let hosts = [.../** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-kommentar]"))];
  if (!hosts.length && !badges.length) {
    const host = document.createElement("div");
    script.after(host);
    hosts = [host];
  }
  for (const host of hosts) {
    if (host.shadowRoot) continue;
    const options = readOptions([{ ...script.dataset }, { ...host.dataset }], page);
    const reader = { api, store: openStore(server), loadPart, server };
    mountThread(host, options, reader, translator(options.lang));
  }
}
