// The playground in a real browser (Debian's Chromium, headless): load an example and see
// its Terraform; type an error and see its diagnostic on the right line; fix it and see it
// go; hover, completion, the IR and diagram tabs, and a shared link. Saves a screenshot to
// dist/playground.png, and to the path given with --screenshot (docs/playground.png for
// the README). Run `bash build.sh` first.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./browser.mjs";
import { serve } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const args = process.argv.slice(2);
const screenshot = args.includes("--screenshot") ? args[args.indexOf("--screenshot") + 1] : null;

const step = (what) => console.log(`playground test: ${what}`);

const server = await serve(join(here, "dist"));
const browser = await launch();
const failures = [];
try {
  const page = await browser.context.newPage();
  page.on("pageerror", (e) => failures.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && failures.push(`console error: ${m.text()}`));
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });

  const checks = () => page.evaluate(() => window.fgc.stats.checks);
  const outputs = () => page.evaluate(() => window.fgc.stats.outputs);
  // The 1-based lines the editor underlines as errors.
  const errorLines = () =>
    page.evaluate(() => {
      const v = window.fgc.view;
      return [...document.querySelectorAll(".cm-lintRange-error")].map((el) => v.state.doc.lineAt(v.posAtDOM(el)).number);
    });
  const waitFor = (fn, arg) => page.waitForFunction(fn, arg, { timeout: 10_000 });
  // Puts the cursor at the end of the first line containing `text`; returns its number.
  const cursorAfter = (text) =>
    page.evaluate((text) => {
      const v = window.fgc.view;
      const at = v.state.doc.toString().indexOf(text);
      const line = v.state.doc.lineAt(at);
      v.dispatch({ selection: { anchor: line.to } });
      v.focus();
      return line.number;
    }, text);

  step("an example's Terraform, byte for byte what fgc build writes");
  await page.selectOption("#example", "step-scaled-ha-app");
  await waitFor(() => document.querySelector('#out-terraform section[data-name="services.tf"] pre')?.textContent.includes("aws-ecs-ha-app"));
  const services = await page.textContent('#out-terraform section[data-name="services.tf"] pre');
  assert.equal(services, readFileSync(join(root, "tests/terraform/step-scaled-ha-app/services.tf"), "utf8"));
  assert.deepEqual(await errorLines(), []);

  step("seed 002: no diagnostics");
  await page.selectOption("#example", "two-services-path-routing");
  await waitFor(() => document.querySelector("#out-terraform")?.textContent.includes("product-svc"));
  assert.deepEqual(await errorLines(), []);
  assert.equal(await page.isHidden("#problems"), true);

  step("a misspelt reference: the error is underlined on its line");
  const line = await cursorAfter("-> user-svc");
  let before = await checks();
  await page.keyboard.type("x");
  await waitFor((n) => window.fgc.stats.checks > n, before);
  assert.deepEqual(await errorLines(), [line]);
  const problem = await page.textContent("#problems li.error");
  assert.match(problem, new RegExp(`^main\\.fg:${line}:\\d+ FG\\d{4} `));
  assert.match(problem, /user-svcx/);
  assert.equal(await page.getAttribute("#problems li.error", "data-line"), String(line));
  // The error's message in a tooltip, the gutter marker, and the stale output banner.
  await page.hover(".cm-lintRange-error");
  await page.waitForSelector(".cm-tooltip-lint .cm-diagnostic-error");
  assert.match(await page.textContent(".cm-tooltip-lint"), /user-svcx/);
  assert.equal(await page.locator(".cm-gutter-lint .cm-lint-marker-error").count(), 1);
  await page.waitForSelector("#stale:not([hidden])");

  step("the diagram tab keeps the last good diagram while there are errors");
  await page.click('#tabs button[data-tab="diagram"]');
  await page.waitForSelector("#out-diagram img");
  await page.mouse.move(360, 300);
  await page.hover(".cm-lintRange-error");
  await page.waitForSelector(".cm-tooltip-lint");
  await page.screenshot({ path: join(here, "dist", "playground.png") });
  if (screenshot) await page.screenshot({ path: join(root, screenshot) });

  step("fixed: the diagnostic goes");
  before = await checks();
  await cursorAfter("-> user-svcx");
  await page.keyboard.press("Backspace");
  await waitFor((n) => window.fgc.stats.checks > n, before);
  assert.deepEqual(await errorLines(), []);
  assert.equal(await page.isHidden("#problems"), true);
  await page.waitForSelector("#stale", { state: "hidden" });
  assert.equal(await page.getAttribute("#out-diagram img", "alt"), "The architecture of the stack");

  step("the IR tab");
  await page.click('#tabs button[data-tab="ir"]');
  await waitFor(() => document.querySelector("#out-ir pre")?.textContent.includes('"aws_ecs_service"'));
  const ir = JSON.parse(await page.textContent("#out-ir pre"));
  assert.equal(ir.app, "ecs-demo");

  step("hover and completion from the language server's engine");
  await page.keyboard.press("Escape");
  const kw = page.locator(".cm-line", { hasText: "service product-svc" }).first();
  await kw.hover({ position: { x: 12, y: 8 } });
  await page.waitForSelector(".cm-tooltip-hover");
  assert.match(await page.textContent(".cm-tooltip-hover"), /kind service/);
  await cursorAfter('image = "phamtrongnghia1105/user-svc"');
  await page.keyboard.press("Enter");
  await page.keyboard.press("Control+Space");
  await page.waitForSelector(".cm-tooltip-autocomplete");
  const labels = await page.locator(".cm-tooltip-autocomplete .cm-completionLabel").allTextContents();
  assert.ok(labels.includes("cpu") && labels.includes("health"), labels.join(" "));
  await page.keyboard.press("Escape");
  await page.keyboard.press("Backspace");

  step("a shared link carries the source");
  const source = await page.evaluate(() => window.fgc.view.state.doc.toString());
  const n = await outputs();
  await waitFor((n) => window.fgc.stats.outputs > n, n);
  const shared = page.url();
  assert.match(shared, /#code=/);
  const other = await browser.context.newPage();
  await other.goto(shared);
  await other.waitForSelector("body[data-ready=true]");
  assert.equal(await other.evaluate(() => window.fgc.view.state.doc.toString()), source);
  await other.close();
} catch (e) {
  failures.push(e.stack ?? String(e));
} finally {
  await browser.close();
  await server.close();
}
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
console.log("playground test: passed");
