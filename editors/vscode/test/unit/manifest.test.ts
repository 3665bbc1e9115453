// package.json, the language configuration and the snippets: well-formed, pointing at
// files that exist, and the snippets expand to .fg that fgc accepts.

import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { EXTENSION_DIR, REPO_DIR, tokenize } from "./textmate";

const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, "package.json"), "utf8"));
const contributes = manifest.contributes;

interface Snippet {
  prefix: string;
  description: string;
  body: string[];
}
const snippets: Record<string, Snippet> = JSON.parse(
  fs.readFileSync(path.join(EXTENSION_DIR, "snippets", "fg.code-snippets"), "utf8"),
);
const config = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, "language-configuration.json"), "utf8"));

/** A snippet with every placeholder at its default, the first choice, and tabs as two spaces. */
function expand(body: string[]): string {
  let text = body.join("\n");
  let previous;
  do {
    previous = text;
    text = text.replace(/\$\{\d+\|([^,|]*)[^|]*\|\}/g, "$1"); // ${1|a,b|} -> a
    text = text.replace(/\$\{\d+:((?:[^{}\\]|\\.)*)\}/g, "$1"); // ${1:default} -> default
  } while (text !== previous);
  return text
    .replace(/\$\{?\d+\}?/g, "")
    .replace(/\\([}$\\])/g, "$1")
    .replace(/\t/g, "  ");
}

/** The fgc binary to check snippets with: $FGC, or the workspace's debug or release build. */
function fgcBinary(): string | undefined {
  const candidates = [
    process.env.FGC,
    path.join(REPO_DIR, "target", "debug", "fgc"),
    path.join(REPO_DIR, "target", "release", "fgc"),
  ];
  return candidates.find((c): c is string => !!c && fs.existsSync(c));
}

describe("package.json", () => {
  it("contributes the fg language with its grammar, configuration and snippets", () => {
    const language = contributes.languages.find((l: { id: string }) => l.id === "fg");
    assert.ok(language);
    assert.deepEqual(language.extensions, [".fg"]);
    const files = [
      language.configuration,
      ...contributes.grammars.map((g: { path: string }) => g.path),
      ...contributes.snippets.map((s: { path: string }) => s.path),
    ];
    for (const file of files) {
      assert.ok(fs.existsSync(path.join(EXTENSION_DIR, file)), `${file} does not exist`);
    }
    assert.equal(contributes.grammars[0].scopeName, "source.fg");
  });

  it("has the fgc.path setting with the default fgc", () => {
    const setting = contributes.configuration.properties["fgc.path"];
    assert.equal(setting.type, "string");
    assert.equal(setting.default, "fgc");
  });

  it("declares every command that the extension registers", () => {
    const source = fs.readFileSync(path.join(EXTENSION_DIR, "src", "extension.ts"), "utf8");
    const registered = [...source.matchAll(/registerCommand\("([\w.]+)"/g)].map((m) => m[1]).sort();
    const declared = contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(registered, declared);
  });

  it("pins @types/vscode to the oldest VS Code it supports", () => {
    const engine = manifest.engines.vscode.replace(/^\^/, "");
    assert.equal(manifest.devDependencies["@types/vscode"].replace(/^~/, ""), engine);
  });
});

describe("language-configuration.json", () => {
  it("toggles // comments", () => {
    assert.equal(config.comments.lineComment, "//");
    assert.deepEqual(config.comments.blockComment, ["/*", "*/"]);
  });

  it("has regular expressions that compile", () => {
    const patterns = [
      config.wordPattern,
      config.indentationRules.increaseIndentPattern,
      config.indentationRules.decreaseIndentPattern,
      config.folding.markers.start,
      config.folding.markers.end,
      ...config.onEnterRules.flatMap((r: { beforeText?: string; afterText?: string }) =>
        [r.beforeText, r.afterText].filter((x) => x !== undefined),
      ),
    ];
    for (const p of patterns) {
      assert.doesNotThrow(() => new RegExp(p), p);
    }
  });

  it("indents after an opening brace and outdents at a closing one", () => {
    const increase = new RegExp(config.indentationRules.increaseIndentPattern);
    const decrease = new RegExp(config.indentationRules.decreaseIndentPattern);
    assert.ok(increase.test("service web {"));
    assert.ok(increase.test("  listener https { // TLS"));
    assert.ok(increase.test("  zones = ["));
    assert.ok(!increase.test("  health { path = \"/\" }"));
    assert.ok(decrease.test("  }"));
    assert.ok(decrease.test("]"));
    assert.ok(!decrease.test("  cpu = 256"));
  });

  it("selects identifiers with hyphens and numbers with units as words", () => {
    const word = new RegExp(`^(?:${config.wordPattern})$`);
    for (const w of ["product-svc", "per_zone", "512MiB", "30s", "70%", "0.5vcpu", "10.0.0.0/16"]) {
      assert.ok(word.test(w), w);
    }
    assert.ok(!word.test("web-"));
  });
});

describe("snippets", () => {
  const required = ["app", "network", "balancer", "service", "database", "repository", "let"];

  it("cover the common declarations", () => {
    const prefixes = Object.values(snippets).map((s) => s.prefix);
    for (const r of required) {
      assert.ok(prefixes.includes(r), `no snippet for ${r}`);
    }
  });

  for (const [name, snippet] of Object.entries(snippets)) {
    it(`${name} has a prefix, a description and a body that tokenises cleanly`, async () => {
      assert.ok(snippet.prefix && snippet.description && snippet.body.length > 0);
      const tokens = await tokenize(expand(snippet.body));
      const invalid = tokens.filter((t) => t.scopes.some((s) => s.startsWith("invalid.")));
      assert.deepEqual(invalid, []);
    });
  }

  /** Runs `fgc check` on `stack`; skips the test without an fgc binary. */
  function check(t: { skip: (message: string) => void }, stack: string): void {
    const fgc = fgcBinary();
    if (fgc === undefined) {
      t.skip("no fgc binary (set FGC or build target/debug/fgc)");
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fg-snippets-"));
    try {
      const file = path.join(dir, "snippets.fg");
      fs.writeFileSync(file, stack);
      const run = spawnSync(fgc, ["check", file], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
      assert.equal(run.status, 0, `fgc check failed on:\n${stack}\n${run.stdout}${run.stderr}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it("expand to a stack that fgc check accepts", (t) => {
    check(t, required.map((name) => expand(snippets[name].body)).join("\n\n") + "\n");
  });

  it("expand to an api that fgc check accepts in front of an internal balancer", (t) => {
    // An api needs an internal balancer; the balancer snippet's is public.
    const balancer = expand(snippets.balancer.body).replace(/^(balancer \S+ \{)$/m, "$1\n  scheme = internal");
    assert.notEqual(balancer, expand(snippets.balancer.body));
    const parts = ["app", "network", "service"].map((name) => expand(snippets[name].body));
    check(t, [...parts, balancer, expand(snippets.api.body)].join("\n\n") + "\n");
    // The jwt and cors snippets, inside the api with `auth = jwt`.
    const extras = ["auth = jwt", expand(snippets.jwt.body), expand(snippets.cors.body)].join("\n");
    const api = expand(snippets.api.body).replace(/\n\}\s*$/, `\n${extras}\n}`);
    assert.notEqual(api, expand(snippets.api.body));
    check(t, [...parts, balancer, api].join("\n\n") + "\n");
  });
});
