// The size budget, checked in CI: embed.js, with its CSS and every language, gzipped
// at level 9, must stay within 10 KB. Run `npm run size` after `npm run build`.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 10 * 1024; // bytes

const file = new URL("../embed.js", import.meta.url);
const size = gzipSync(readFileSync(file), { level: 9 }).length;
const verdict = size <= BUDGET ? "within" : "OVER";
console.log(`embed.js: ${size} bytes gzipped, ${verdict} the budget of ${BUDGET}`);
if (size > BUDGET) process.exit(1);
