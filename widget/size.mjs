// The size budget, checked by `make test`: embed.js, the script every page loads first (with
// its CSS and English), gzipped at level 9, must stay within 9,000 bytes. The chunks in
// embed/ load only when a reader needs them; their sizes and total are printed to watch.
// Run `npm run size` after `npm run build`.
import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 9000; // bytes, the first load
const root = new URL("../", import.meta.url);
const gzipped = (/** @type {URL} */ file) => gzipSync(readFileSync(file), { level: 9 }).length;

const first = gzipped(new URL("embed.js", root));
const chunks = readdirSync(new URL("embed/", root)).sort();
let total = 0;
for (const chunk of chunks) {
  const size = gzipped(new URL(`embed/${chunk}`, root));
  total += size;
  console.log(`  embed/${chunk}: ${size} bytes gzipped, loaded on demand`);
}
console.log(`chunks: ${total} bytes gzipped in all (${chunks.length} files)`);
const verdict = first <= BUDGET ? "within" : "OVER";
console.log(`embed.js (first load): ${first} bytes gzipped, ${verdict} the budget of ${BUDGET}`);
if (first > BUDGET) process.exit(1);
