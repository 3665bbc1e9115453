// Benchmark (not a test): run `bash build.sh` first.
//
// 1. Keystroke to updated diagnostics in the browser, on seed 002
//    (examples/two-services-path-routing.fg): from the keydown event's timestamp to the
//    moment the playground has handed the new diagnostics to the editor, both on the
//    page's performance.now() clock; also whether they were in place by the next frame.
// 2. `check` of the generated 1,000-service stack (fg-bench's workload, every
//    environment, as the playground checks), and a one-character edit of it through a
//    Session, in the browser (WebAssembly) and natively (the same Rust API, release
//    build), with the same text.
//
// Prints the figures and writes them to dist/bench.json.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./browser.mjs";
import { serve } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const KEYSTROKES = Number(process.env.KEYSTROKES ?? 200);

function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(s.length * q))];
  const r = (x) => Math.round(x * 100) / 100;
  return { n: s.length, min: r(s[0]), median: r(at(0.5)), p95: r(at(0.95)), max: r(s[s.length - 1]) };
}

console.log("bench: native check of 1,000 services (cargo run --release)");
const native = JSON.parse(
  execFileSync("cargo", ["run", "--quiet", "--release", "-p", "fg-wasm", "--example", "bench-native", "--", "--write", join(here, "dist", "bench-1000.fg")], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }),
);

const server = await serve(join(here, "dist"));
const browser = await launch();
let results;
try {
  const page = await browser.context.newPage();
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  await page.selectOption("#example", "two-services-path-routing");
  await page.waitForFunction(() => document.querySelector("#out-terraform")?.textContent.includes("product-svc"));

  console.log(`bench: ${KEYSTROKES} keystrokes on seed 002`);
  await page.evaluate(() => {
    const v = window.fgc.view;
    const text = v.state.doc.toString();
    const at = v.state.doc.lineAt(text.indexOf("-> user-svc")).to;
    v.dispatch({ selection: { anchor: at } });
    v.focus();
    window.keys = [];
    window.addEventListener(
      "keydown",
      (e) => {
        const key = { down: e.timeStamp, frame: 0 };
        window.keys.push(key);
        requestAnimationFrame(() => (key.frame = performance.now()));
      },
      true,
    );
  });
  const toDiagnostics = [];
  const toFrame = [];
  const checkMs = [];
  for (let i = 0; i < KEYSTROKES; i++) {
    const before = await page.evaluate(() => window.fgc.stats.checks);
    // Alternately break and fix the route's target: the diagnostics change every time.
    await page.keyboard.press(i % 2 === 0 ? "x" : "Backspace");
    await page.waitForFunction((n) => window.fgc.stats.checks > n && window.keys.at(-1).frame > 0, before);
    const t = await page.evaluate(() => {
      const k = window.keys.at(-1);
      return { diagnostics: window.fgc.stats.lastCheckDone - k.down, frame: k.frame - k.down, check: window.fgc.stats.lastCheckMs };
    });
    toDiagnostics.push(t.diagnostics);
    toFrame.push(t.frame);
    checkMs.push(t.check);
  }

  console.log("bench: WebAssembly check of 1,000 services");
  const wasm = await page.evaluate(async () => {
    const src = await (await fetch("bench-1000.fg")).text();
    const { check, Session } = window.fgc.api;
    const time = (f) => {
      const t = performance.now();
      f();
      return performance.now() - t;
    };
    const errors = check(src).errors;
    for (let i = 0; i < 2; i++) check(src);
    const full = Array.from({ length: 20 }, () => time(() => check(src)));
    const s = new Session();
    s.update(src);
    const edited = src.replace("max = 10", "max = 11");
    const edit = Array.from({ length: 20 }, (_, i) => time(() => s.update(i % 2 ? src : edited)));
    return { bytes: src.length, errors, full, edit };
  });
  if (wasm.errors !== 0) throw new Error("the 1,000-service stack has errors in the browser");
  results = {
    keystroke_to_diagnostics_ms: summary(toDiagnostics),
    keystroke_to_next_frame_ms: summary(toFrame),
    check_in_playground_ms: summary(checkMs),
    services_1000: {
      bytes: wasm.bytes,
      wasm_check_ms: summary(wasm.full),
      native_check_ms: native.check_ms,
      wasm_session_edit_ms: summary(wasm.edit),
      native_session_edit_ms: native.session_edit_ms,
    },
  };
} finally {
  await browser.close();
  await server.close();
}
writeFileSync(join(here, "dist", "bench.json"), JSON.stringify(results, null, 2) + "\n");
console.log(JSON.stringify(results, null, 2));
