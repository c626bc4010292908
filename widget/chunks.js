/**
 * What a first render does not need, loaded on demand from the server embed.js came from:
 * other languages than English, most error messages, what the thread's buttons and forms
 * do, the account forms and count badges. The build (build.mjs) writes each chunk to embed/ and replaces
 * KOMMENTAR_CHUNKS with the version of each (a hash of its bytes).
 */

import { ApiError } from "./api.js";

/** @type {Record<string, string>} chunk name ("da", "account") -> its version: embed/NAME.js?v=VERSION */
const CHUNKS = typeof KOMMENTAR_CHUNKS == "object" ? KOMMENTAR_CHUNKS : {};

/** Whether the build made a chunk of this name, e.g. a language's catalog. */
export function hasChunk(/** @type {string} */ name) {
  return Object.hasOwn(CHUNKS, name);
}

let attempt = 0;

/**
 * Import a chunk as an ES module from `server` (the folder embed.js was loaded from).
 * import() keeps to the page's script-src, which already allows this server. A failure is
 * an ApiError with the code `part_unavailable`, which the widget tells in words.
 * @param {string} server
 * @param {string} name
 * @returns {Promise<any>}
 */
export function loadChunk(server, name) {
  const url = new URL(`embed/${name}.js?v=${CHUNKS[name]}`, server);
  // A failed import() may be remembered by the browser: a retry asks for a fresh address.
  if (attempt) url.searchParams.set("retry", String(attempt));
  return import(url.href).catch(() => {
    attempt++;
    throw new ApiError(0, "part_unavailable", "");
  });
}

/**
 * An object with the methods of what `load` gives, loaded the first time one is called or
 * `ready()` is; every method returns a promise. `now()` is what was loaded, or null before
 * it is. After a failed load the next call tries again.
 * @template T
 * @param {() => Promise<T>} load
 * @returns {T & {ready: () => Promise<T>, now: () => T | null}}
 */
export function onDemand(load) {
  /** @type {Promise<T> | null} */
  let loading = null;
  /** @type {T | null} */
  let loaded = null;
  const ready = () =>
    (loading ||= load().then(
      (value) => (loaded = value),
      (failure) => {
        loading = null;
        throw failure;
      },
    ));
  const methods = /** @type {any} */ ({ ready, now: () => loaded });
  /** @param {string} name */
  const later =
    (name) =>
    async (/** @type {any[]} */ ...args) =>
      /** @type {any} */ (await ready())[name](...args);
  return new Proxy(methods, { get: (_, name) => methods[name] || later(String(name)) });
}
