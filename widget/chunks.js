/**
 * What a first render does not need, loaded on demand from the server embed.js came from:
 * other languages than English, and the account forms. The build (build.mjs) writes each
 * chunk to embed/ and replaces KOMMENTAR_CHUNKS with their versioned names.
 */

/** @type {Record<string, string>} chunk name ("da", "account") -> file under embed/ */
const CHUNKS = typeof KOMMENTAR_CHUNKS == "object" ? KOMMENTAR_CHUNKS : {};

/** Whether the build made a chunk of this name, e.g. a language's catalog. */
export function hasChunk(/** @type {string} */ name) {
  return Object.hasOwn(CHUNKS, name);
}

let attempt = 0;

/**
 * Import a chunk as an ES module from `server` (the folder embed.js was loaded from).
 * import() keeps to the page's script-src, which already allows this server.
 * @param {string} server
 * @param {string} name
 * @returns {Promise<any>}
 */
export function loadChunk(server, name) {
  const url = new URL("embed/" + CHUNKS[name], server);
  // A failed import() may be remembered by the browser: a retry asks for a fresh address.
  if (attempt) url.searchParams.set("retry", String(attempt));
  return import(url.href).catch((failure) => {
    attempt++;
    throw failure;
  });
}
