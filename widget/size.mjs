// The size budget, checked by `make test`: what the first render of a thread downloads
// before it shows, gzipped at level 9. For an English reader that is embed.js alone (the
// stylesheet and English are in it; tests/browser/test_widget_chunks.py checks that such a
// render fetches no chunk), and it must stay within 9,000 bytes. A reader of another
// language also waits for that language's catalog (embed/da.js): those first renders are
// printed too. Every other chunk loads only when a reader acts; their sizes and total are
// printed to watch. Run `npm run size` after `npm run build`.
import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 9000; // bytes, an English reader's first render
const root = new URL("../", import.meta.url);
const gzipped = (/** @type {string} */ file) => gzipSync(readFileSync(new URL(file, root)), { level: 9 }).length;
const LANGUAGE = /^[a-z]{2,3}\.js$/; // a catalog chunk (build.mjs), as opposed to en-errors.js

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
for (const chunk of chunks.filter((name) => LANGUAGE.test(name))) {
  const size = first + gzipped(`embed/${chunk}`);
  console.log(`first render in ${chunk.slice(0, -3)}: embed.js + embed/${chunk} = ${size} bytes gzipped`);
}
const verdict = first <= BUDGET ? "within" : "OVER";
console.log(`first render in English: embed.js = ${first} bytes gzipped, ${verdict} the budget of ${BUDGET}`);
if (first > BUDGET) process.exit(1);
