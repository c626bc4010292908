// The size budget, checked by `make test`: what the first render of a thread downloads
// before it shows, gzipped at level 9. For an English reader that is embed.js alone (the
// stylesheet and English are in it; tests/browser/test_widget_chunks.py checks that such a
// render fetches no chunk), and it must stay within 9,000 bytes. A reader of another
// language also waits for that language's catalog (embed/da.js): those first renders must
// stay within 10,240 bytes, the budget of the whole widget before it was split. Every other
// chunk loads only when a reader acts; their sizes and total are printed to watch.
// Run `npm run size` after `npm run build`.
import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 9000; // bytes, an English reader's first render
const LANGUAGE_BUDGET = 10240; // bytes, the first render of a reader of another language
const root = new URL("../", import.meta.url);
const gzipped = (/** @type {string} */ file) => gzipSync(readFileSync(new URL(file, root)), { level: 9 }).length;
const LANGUAGE = /^[a-z]{2,3}\.js$/; // a catalog chunk (build.mjs), unlike da-errors.js

const first = gzipped("embed.js");
const chunks = readdirSync(new URL("embed/", root)).sort();
let total = 0;
for (const chunk of chunks) {
  const size = gzipped(`embed/${chunk}`);
  total += size;
  const when = LANGUAGE.test(chunk) ? "with the first render, for its readers" : "on demand";
  console.log(`  embed/${chunk}: ${size} bytes gzipped, loaded ${when}`);
}
console.log(`chunks: ${total} bytes gzipped in all (${chunks.length} files)`);

/** Print a first render's size against its budget; whether it is within. */
function judge(/** @type {string} */ render, /** @type {number} */ size, /** @type {number} */ budget) {
  const verdict = size <= budget ? "within" : "OVER";
  console.log(`first render ${render} = ${size} bytes gzipped, ${verdict} the budget of ${budget}`);
  return size <= budget;
}

let within = judge("in English: embed.js", first, BUDGET);
for (const chunk of chunks.filter((name) => LANGUAGE.test(name))) {
  const render = `in ${chunk.slice(0, -".js".length)}: embed.js + embed/${chunk}`;
  within = judge(render, first + gzipped(`embed/${chunk}`), LANGUAGE_BUDGET) && within;
}
if (!within) process.exit(1);
