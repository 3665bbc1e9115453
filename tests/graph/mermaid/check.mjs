// Parses every golden Mermaid file (tests/graph/*.mmd) with Mermaid's own parser.
// Mermaid needs a DOM even to parse (DOMPurify), so jsdom provides one.
// Run from tests/run: `npm ci && node check.mjs`. Prints `N passed, N failed`.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, "..");
const files = readdirSync(dir).filter((f) => f.endsWith(".mmd")).sort();

// Mermaid sanitises labels with DOMPurify, which needs a DOM: give it jsdom's.
const { JSDOM } = await import("jsdom");
const { window } = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = window;
globalThis.document = window.document;
globalThis.DOMParser = window.DOMParser;
globalThis.Element = window.Element;
globalThis.HTMLElement = window.HTMLElement;

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let passed = 0;
let failed = 0;
for (const f of files) {
  const text = readFileSync(join(dir, f), "utf8");
  try {
    const result = await mermaid.parse(text);
    if (!result || result.diagramType !== "flowchart-v2") {
      throw new Error(`parsed as ${result && result.diagramType}, not a flowchart`);
    }
    passed++;
  } catch (e) {
    failed++;
    console.log(`FAIL ${f}: ${(e && e.message) || e}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
if (failed > 0 || passed === 0) process.exit(1);
