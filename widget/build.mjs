// The widget's build: embed.js, the one classic script a site adds (with the stylesheet,
// minified, and English: all a first render of an English thread needs), and the chunks it
// loads on demand from the same server, in embed/: one per language other than English
// (widget/i18n/<lang>.json -> embed/<lang>.js), each language's error messages but the few
// a first render may need (embed/<lang>-errors.js), what the buttons and forms do
// (embed/actions.js), the account forms (embed/account.js), what keeps a thread current
// (embed/live.js), each with the words only it says in every language, and count badges
// (counts.js).
// Chunks are ES modules for import(). They are built first: embed.js carries their names
// with a hash of their bytes (`embed/da.js?v=…`), so a reader never mixes a new embed.js with an
// old chunk from the browser cache. Deterministic: the same sources give the same bytes.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { build, transform } from "esbuild";

const root = new URL("../", import.meta.url);
const widget = new URL("widget/", root);
const out = new URL("embed/", root);

const common = {
  bundle: true,
  minify: true,
  target: "es2020",
  charset: "utf8",
  legalComments: "none",
  logLevel: "warning",
  write: false,
};

/** Bundle one entry point; its bytes. */
async function bundle(/** @type {import("esbuild").BuildOptions} */ options) {
  const result = await build({ ...common, ...options });
  return result.outputFiles[0].contents;
}

// The chunks that say words of their own: each gets its section of every catalog.
const SPEAKING = ["actions", "account", "live"];

// Told without loading anything: a server that cannot be reached serves no chunk either.
const BUILT_IN_ERRORS = ["network", "part_unavailable"];

/**
 * A language's catalog split: what a first render may need, with only the built-in error
 * messages; the other error messages, loaded with the first one told; and the words only one
 * chunk says (the sections named after the chunks in SPEAKING), built into that chunk.
 * @param {string} lang
 */
function catalog(lang) {
  const { errors, ...texts } = JSON.parse(readFileSync(new URL(`i18n/${lang}.json`, widget), "utf8"));
  /** @type {Record<string, Record<string, string>>} */
  const sections = {};
  for (const chunk of SPEAKING) {
    sections[chunk] = texts[chunk];
    delete texts[chunk];
  }
  const first = Object.entries(errors).filter(([code]) => BUILT_IN_ERRORS.includes(code));
  const later = Object.entries(errors).filter(([code]) => !BUILT_IN_ERRORS.includes(code));
  return { first: { ...texts, errors: Object.fromEntries(first) }, later: Object.fromEntries(later), sections };
}

/** embed.js gets en.json with only the built-in error messages. */
/** @type {import("esbuild").Plugin} */
const englishFirst = {
  name: "english-first",
  setup(build) {
    build.onLoad({ filter: /[\\/]i18n[\\/]en\.json$/ }, () => ({
      contents: JSON.stringify(catalog("en").first),
      loader: "json",
    }));
  },
};

/**
 * The stylesheets minified as CSS (stylesheet.js keeps them readable): embed.js takes the
 * first render's, the actions chunk its own.
 */
/** @type {import("esbuild").Plugin} */
const minifiedStylesheet = {
  name: "minified-stylesheet",
  setup(build) {
    build.onLoad({ filter: /[\\/]stylesheet\.js$/ }, async ({ path }) => {
      const sheets = Object.entries(await import(pathToFileURL(path).href));
      const minified = await Promise.all(
        sheets.map(async ([name, css]) => {
          const { code } = await transform(css, { loader: "css", minify: true });
          return `export const ${name} = ${JSON.stringify(code.trim())};`;
        }),
      );
      return { contents: minified.join("\n"), loader: "js" };
    });
  },
};

const languages = readdirSync(new URL("i18n/", widget))
  .filter((file) => file.endsWith(".json"))
  .map((file) => file.slice(0, -".json".length))
  .sort();

/** @type {Record<string, Uint8Array>} chunk file name -> bytes */
const chunks = {};
/** @type {Record<string, Record<string, Record<string, string>>>} chunk -> language -> its words */
const words = Object.fromEntries(SPEAKING.map((chunk) => [chunk, {}]));
/** An ES module whose default export is `value`. */
const dataChunk = (/** @type {any} */ value) =>
  bundle({ stdin: { contents: `export default ${JSON.stringify(value)};` }, format: "esm" });
for (const lang of languages) {
  const { first, later, sections } = catalog(lang);
  if (lang != "en") chunks[`${lang}.js`] = await dataChunk(first); // English is in embed.js
  chunks[`${lang}-errors.js`] = await dataChunk(later);
  // A few short lines each: in the chunk that says them, not a chunk (and request) of their own.
  for (const chunk of SPEAKING) words[chunk][lang] = sections[chunk];
}
// Modules that are chunks as they are: each names what it is for in its first lines.
for (const module of ["counts", ...SPEAKING]) {
  chunks[`${module}.js`] = await bundle({
    entryPoints: [new URL(`${module}.js`, widget).pathname],
    format: "esm",
    define: module in words ? { KOMMENTAR_WORDS: JSON.stringify(words[module]) } : {},
    plugins: [minifiedStylesheet],
  });
}

/** @type {Record<string, string>} chunk name -> its version (chunks.js makes the address) */
const versions = {};
for (const [file, bytes] of Object.entries(chunks)) {
  versions[file.slice(0, -".js".length)] = version(bytes);
}

const embed = await bundle({
  entryPoints: [new URL("main.js", widget).pathname],
  format: "iife",
  define: { KOMMENTAR_CHUNKS: JSON.stringify(versions) },
  plugins: [englishFirst, minifiedStylesheet],
});

rmSync(out, { recursive: true, force: true }); // a language removed leaves no stale chunk
mkdirSync(out);
for (const [file, bytes] of Object.entries(chunks)) writeFileSync(new URL(file, out), bytes);
writeFileSync(new URL("embed.js", root), embed);

/**
 * The version a chunk's address carries: the start of the SHA-256 of its bytes, the same
 * one the server computes (backend/kommentar/static.py) to cache a current chunk for good.
 * @param {Uint8Array} bytes
 */
function version(bytes) {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 12);
}
