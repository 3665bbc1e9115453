// Tokenises .fg text with the extension's TextMate grammar, as VS Code does
// (vscode-textmate on the Oniguruma WebAssembly build), for the unit tests.

import * as fs from "fs";
import * as path from "path";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";

/** The extension's folder (this file runs from out/test/unit/). */
export const EXTENSION_DIR = path.resolve(__dirname, "..", "..", "..");
/** The fgc repository root, two levels above the extension. */
export const REPO_DIR = path.resolve(EXTENSION_DIR, "..", "..");
export const GRAMMAR_PATH = path.join(EXTENSION_DIR, "syntaxes", "fg.tmLanguage.json");

export interface Token {
  line: number;
  start: number;
  end: number;
  text: string;
  scopes: string[];
}

let grammar: Promise<textmate.IGrammar> | undefined;

export function loadGrammar(): Promise<textmate.IGrammar> {
  grammar ??= (async () => {
    const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const registry = new textmate.Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
        createOnigString: (s: string) => new oniguruma.OnigString(s),
      }),
      loadGrammar: async (scopeName: string) => {
        if (scopeName !== "source.fg") {
          return null;
        }
        return textmate.parseRawGrammar(fs.readFileSync(GRAMMAR_PATH, "utf8"), GRAMMAR_PATH);
      },
    });
    const g = await registry.loadGrammar("source.fg");
    if (g === null) {
      throw new Error("source.fg did not load");
    }
    return g;
  })();
  return grammar;
}

/** Every token of `text`, line by line, with its scope stack (outermost first). */
export async function tokenize(text: string): Promise<Token[]> {
  const g = await loadGrammar();
  const tokens: Token[] = [];
  let state = textmate.INITIAL;
  text.split(/\r?\n/).forEach((lineText, line) => {
    const result = g.tokenizeLine(lineText, state);
    for (const t of result.tokens) {
      const end = Math.min(t.endIndex, lineText.length);
      if (end > t.startIndex) {
        tokens.push({ line, start: t.startIndex, end, text: lineText.slice(t.startIndex, end), scopes: t.scopes });
      }
    }
    state = result.ruleStack;
  });
  return tokens;
}

/** The scopes at a line and column (both 0-based). */
export function scopesAt(tokens: Token[], line: number, column: number): string[] {
  const t = tokens.find((x) => x.line === line && x.start <= column && column < x.end);
  return t ? t.scopes : [];
}

/** The scopes of the first occurrence of `needle` on the line that contains `lineMarker`. */
export function scopesOf(text: string, tokens: Token[], lineMarker: string, needle: string): string[] {
  const lines = text.split(/\r?\n/);
  const line = lines.findIndex((l) => l.includes(lineMarker));
  if (line < 0) {
    throw new Error(`no line contains ${JSON.stringify(lineMarker)}`);
  }
  const column = lines[line].indexOf(needle);
  if (column < 0) {
    throw new Error(`line ${line + 1} has no ${JSON.stringify(needle)}`);
  }
  return scopesAt(tokens, line, column);
}

/** The .fg files of a folder of the repository, such as `examples` or `stdlib`. */
export function repoFiles(folder: string): string[] {
  const dir = path.join(REPO_DIR, folder);
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".fg"))
    .sort()
    .map((f) => path.join(dir, f));
}
