// The TextMate grammar against the repository: every example and stdlib file tokenises
// without an invalid scope, and the grammar's word lists match fgc's own.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { EXTENSION_DIR, GRAMMAR_PATH, REPO_DIR, repoFiles, scopesOf, tokenize } from "./textmate";

const grammarText = fs.readFileSync(GRAMMAR_PATH, "utf8");
const grammar = JSON.parse(grammarText);

function read(rel: string): string | undefined {
  const file = path.join(REPO_DIR, rel);
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

/** The words of an alternation `(?:a|b|c)` in the grammar rule at `pointer`. */
function words(regex: string): string[] {
  const m = /\(\?:([A-Za-z0-9_|]+)\)/.exec(regex);
  assert.ok(m, `no word list in ${regex}`);
  return m[1].split("|").sort();
}

const examples = repoFiles("examples");
const stdlib = repoFiles("stdlib");

describe("repository files tokenise cleanly", () => {
  it("finds the examples and the standard library", () => {
    assert.ok(examples.length >= 5, `examples: ${examples.length}`);
    assert.ok(stdlib.length >= 5, `stdlib: ${stdlib.length}`);
  });

  for (const file of [...examples, ...stdlib]) {
    const rel = path.relative(REPO_DIR, file);
    it(`${rel} has no invalid token and nothing outside a scope`, async () => {
      const text = fs.readFileSync(file, "utf8");
      const tokens = await tokenize(text);
      const invalid = tokens.filter((t) => t.scopes.some((s) => s.startsWith("invalid.")));
      assert.deepEqual(
        invalid.map((t) => `${rel}:${t.line + 1}:${t.start + 1} ${JSON.stringify(t.text)} ${t.scopes.join(" ")}`),
        [],
      );
      // Every word is classified: a bare identifier at the top level of a file is a mistake.
      const loose = tokens.filter((t) => t.scopes.length === 1 && /\w/.test(t.text));
      assert.deepEqual(
        loose.map((t) => `${rel}:${t.line + 1}:${t.start + 1} ${JSON.stringify(t.text)}`),
        [],
      );
    });
  }

  it("highlights the declarations of two-services-path-routing.fg", async () => {
    const text = read("examples/two-services-path-routing.fg");
    assert.ok(text !== undefined);
    const tokens = await tokenize(text);
    const at = (marker: string, needle: string) => scopesOf(text, tokens, marker, needle);
    assert.ok(at('app "ecs-demo"', "app").includes("storage.type.app.fg"));
    assert.ok(at("balancer alb", "balancer").includes("storage.type.balancer.fg"));
    assert.ok(at("balancer alb", "alb").includes("entity.name.type.fg"));
    assert.ok(at("service product-svc {", "product-svc").includes("entity.name.type.fg"));
    assert.ok(at("cidr  = 10.0.0.0/16", "10.0").includes("constant.numeric.cidr.fg"));
    assert.ok(at("memory = 1GiB", "GiB").includes("keyword.other.unit.size.fg"));
    assert.ok(at("...backend", "...").includes("keyword.operator.spread.fg"));
    assert.ok(at('route "/user-svc*"', "->").includes("keyword.operator.arrow.fg"));
    assert.ok(at("listener http", "listener").includes("entity.name.tag.block.fg"));
  });

  it("highlights the api, repository and deployment of private-backend-blue-green.fg", async () => {
    const text = read("examples/private-backend-blue-green.fg");
    assert.ok(text !== undefined);
    const tokens = await tokenize(text);
    const at = (marker: string, needle: string) => scopesOf(text, tokens, marker, needle);
    assert.ok(at("repository images", "repository").includes("storage.type.repository.fg"));
    assert.ok(at("repository images", "images").includes("entity.name.type.fg"));
    assert.ok(at("api ingress", "api").includes("storage.type.api.fg"));
    assert.ok(at("api ingress", "ingress").includes("entity.name.type.fg"));
    assert.ok(at("balancer api", "api").includes("entity.name.type.fg"));
    assert.ok(at("balancer = api", "balancer").includes("entity.other.attribute-name.fg"));
    assert.ok(at("balancer = api", "api").includes("variable.other.fg"));
    assert.ok(at('route "/dev/{proxy+}"', "route").includes("keyword.control.route.fg"));
    assert.ok(at('route "/dev/{proxy+}"', "->").includes("keyword.operator.arrow.fg"));
    assert.ok(at("${images.url}", "images").includes("variable.other.object.fg"));
    assert.ok(at("${images.url}", "url").includes("variable.other.property.fg"));
    assert.ok(at("strategy ", "blue_green").includes("support.constant.enum.fg"));
    assert.ok(at("test_port ", "test_port").includes("entity.other.attribute-name.fg"));
    assert.ok(at("rollback_alarms", "http_5xx").includes("support.constant.enum.fg"));
    assert.ok(at("rollback_alarms", "unhealthy").includes("support.constant.enum.fg"));
  });
});

describe("the grammar's word lists match fgc", () => {
  it("knows every enum variant of the standard library", { skip: stdlib.length === 0 }, () => {
    const variants = new Set<string>();
    for (const file of stdlib) {
      const text = fs.readFileSync(file, "utf8").replace(/\/\/[^\n]*/g, "");
      for (const m of text.matchAll(/\benum\s+\w+\s*\{([^}]*)\}/g)) {
        for (const v of m[1].match(/[A-Za-z_][\w-]*/g) ?? []) {
          variants.add(v);
        }
      }
    }
    const enumRule = grammar.repository.path.patterns[0];
    assert.equal(enumRule.name, "support.constant.enum.fg");
    assert.deepEqual(words(enumRule.match), [...variants].sort());
  });

  it("knows every declaration kind of the standard library", { skip: stdlib.length === 0 }, () => {
    const kinds = new Set<string>();
    for (const file of stdlib) {
      for (const m of fs.readFileSync(file, "utf8").matchAll(/^kind\s+(\w+)/gm)) {
        kinds.add(m[1]);
      }
    }
    kinds.delete("app"); // `app "name" { … }` has its own rule: its name is a string
    const declaration = grammar.repository.declaration.patterns[0];
    assert.deepEqual(words(declaration.match), [...kinds].sort());
  });

  it("knows every built-in function of the checker", () => {
    const typeck = read("crates/fg-check/src/typeck.rs");
    if (typeck === undefined) {
      return;
    }
    const m = /pub const FUNCTIONS: &\[&str\] = &\[([^\]]*)\]/.exec(typeck);
    assert.ok(m, "FUNCTIONS not found in typeck.rs");
    const functions = [...m[1].matchAll(/"(\w+)"/g)].map((x) => x[1]).sort();
    assert.deepEqual(words(grammar.repository.call.begin), functions);
  });

  it("knows every unit of the checker", () => {
    const typeck = read("crates/fg-check/src/typeck.rs");
    if (typeck === undefined) {
      return;
    }
    const units = (name: string) => {
      const m = new RegExp(`const ${name}: &\\[\\(&str, u64\\)\\] = &\\[([^;]*)\\];`).exec(typeck);
      assert.ok(m, `${name} not found in typeck.rs`);
      return [...m[1].matchAll(/\("(\w+)"/g)].map((x) => x[1]).sort();
    };
    const number = grammar.repository.number.patterns;
    const rule = (scope: string) => number.find((p: { name: string }) => p.name === scope).match as string;
    const listed = (regex: string) => /\(((?:\w+\|)+\w+)\)/.exec(regex)![1].split("|").sort();
    assert.deepEqual(listed(rule("constant.numeric.size.fg")), units("SIZE_UNITS"));
    assert.deepEqual(listed(rule("constant.numeric.duration.fg")), units("DURATION_UNITS"));
  });

  it("has a rule for every keyword of the parser's grammar", () => {
    const pest = read("grammar/fg.pest");
    if (pest === undefined) {
      return;
    }
    const keywords = [...pest.matchAll(/^kw_\w+\s*=\s*@\{\s*"(\w+)"/gm)].map((m) => m[1]);
    assert.ok(keywords.length >= 10, `only ${keywords.length} keywords found in fg.pest`);
    const missing = keywords.filter((k) => !new RegExp(`[(|:]${k}[)|]`).test(grammarText));
    assert.deepEqual(missing, []);
  });

  it("every include names a rule of the repository", () => {
    const includes = [...grammarText.matchAll(/"include": "#([\w-]+)"/g)].map((m) => m[1]);
    const missing = includes.filter((name) => !(name in grammar.repository));
    assert.deepEqual(missing, []);
    const unused = Object.keys(grammar.repository).filter((name) => !includes.includes(name));
    assert.deepEqual(unused, []);
  });
});

describe("the grammar test suite (test/grammar, run by vscode-tmgrammar-test)", () => {
  const dir = path.join(EXTENSION_DIR, "test", "grammar");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".fg"));

  it("has at least 3 files and 40 scope assertions", () => {
    let assertions = 0;
    for (const f of files) {
      const lines = fs.readFileSync(path.join(dir, f), "utf8").split("\n");
      assert.match(lines[0], /^\/\/ SYNTAX TEST "source\.fg" "[^"]+"$/, `${f}: header`);
      assertions += lines.filter((l) => /^\/\/\s*(\^|<-)/.test(l)).length;
    }
    assert.ok(files.length >= 3, `${files.length} files`);
    assert.ok(assertions >= 40, `${assertions} assertions`);
  });

  it("uses only exclusions that name a full scope (the runner compares names exactly)", () => {
    const scopes = new Set([...grammarText.matchAll(/"name": "([^"$]+)"/g)].map((m) => m[1].split(" ")).flat());
    const bad: string[] = [];
    for (const f of files) {
      for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
        const m = /^\/\/\s*(?:\^+|<-+)\s[^-]*-\s(.*)$/.exec(line);
        for (const scope of m ? m[1].trim().split(/\s+/) : []) {
          if (!scopes.has(scope) && !/^(storage\.type|constant\.language\.boolean)\./.test(scope)) {
            bad.push(`${f}: ${scope}`);
          }
        }
      }
    }
    assert.deepEqual(bad, []);
  });
});
