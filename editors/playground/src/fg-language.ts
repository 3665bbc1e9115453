// A small CodeMirror stream mode for `.fg`: enough to colour the words the TextMate
// grammar of editors/vscode colours (keywords, declaration kinds, names, keys, strings with
// interpolation, numbers with units, CIDR blocks, enum-like words, calls, comments). The
// compiler is the authority on structure; this only has to be right line by line.

import { StreamLanguage, type StreamParser, type StringStream } from "@codemirror/language";

const KEYWORDS = new Set(["import", "app", "let", "env", "route", "host", "priority", "target", "step", "for", "kind", "enum", "out"]);
const KINDS = new Set(["service", "network", "balancer", "database", "policy", "repository", "api"]);
const CALLS = new Set(["ssm", "secret", "forward", "respond", "redirect"]);
const NAME = /^[A-Za-z_](?:[A-Za-z0-9_]|-(?=[A-Za-z0-9_]))*/;

interface State {
  /** Nesting of block comments (they nest, as in the grammar). */
  comment: number;
  inString: boolean;
  /** Inside `${ … }` of a string. */
  interpolation: boolean;
  /** The previous word was a declaration kind or `let`: the next name is a definition. */
  defining: boolean;
}

function blockComment(stream: StringStream, state: State): string {
  while (!stream.eol()) {
    if (stream.match("/*")) state.comment++;
    else if (stream.match("*/")) state.comment--;
    else stream.next();
    if (state.comment === 0) break;
  }
  return "comment";
}

function string(stream: StringStream, state: State): string {
  while (!stream.eol()) {
    if (stream.match("${", false)) {
      if (stream.pos > stream.start) return "string";
      stream.match("${");
      state.interpolation = true;
      return "meta";
    }
    const c = stream.next();
    if (c === "\\") stream.next();
    else if (c === '"') {
      state.inString = false;
      return "string";
    }
  }
  // Strings do not span lines.
  state.inString = false;
  return "string";
}

const parser: StreamParser<State> = {
  name: "fg",
  startState: () => ({ comment: 0, inString: false, interpolation: false, defining: false }),
  token(stream, state) {
    if (state.comment > 0) return blockComment(stream, state);
    if (state.inString && !state.interpolation) return string(stream, state);
    if (stream.eatSpace()) return null;
    if (state.interpolation && stream.eat("}")) {
      state.interpolation = false;
      return "meta";
    }
    if (stream.match("//")) {
      stream.skipToEnd();
      return "comment";
    }
    if (stream.match("/*")) {
      state.comment = 1;
      return blockComment(stream, state);
    }
    if (stream.eat('"')) {
      state.inString = true;
      return string(stream, state);
    }
    if (stream.match(/^\d+(?:\.\d+){3}\/\d+/)) return "number";
    if (stream.match(/^-?\d+(?:\.\d+)?(?:KiB|MiB|GiB|TiB|ms|s|m|h|d|%|vcpu)?(?![\w.])/)) return "number";
    if (stream.match("...") || stream.match("->") || stream.match("=>") || stream.match(">=") || stream.match("<=")) return "operator";
    const word = stream.match(NAME) as RegExpMatchArray | null;
    if (word) {
      const w = word[0];
      const defining = state.defining;
      // A kind starts a declaration only at the start of a line, not as a key or a value
      // (`balancer = api`).
      const kind = KINDS.has(w) && /^\s*$/.test(stream.string.slice(0, stream.start)) && !stream.match(/^\s*[=:]/, false);
      state.defining = kind || w === "let" || w === "kind" || w === "enum";
      if (defining) return "variableName.definition";
      if (w === "true" || w === "false") return "bool";
      if (KEYWORDS.has(w)) return "keyword";
      if (kind) return "typeName";
      if (CALLS.has(w) && stream.match(/^\s*\(/, false)) return "variableName.function";
      // A key: followed by `=` (not `=>`) or opening a nested block.
      if (stream.match(/^\s*=(?![=>])/, false) || stream.match(/^\s*(?:[A-Za-z_][\w-]*\s*)?\{/, false)) return "propertyName";
      return "variableName";
    }
    stream.next();
    state.defining = false;
    return null;
  },
  languageData: { commentTokens: { line: "//", block: { open: "/*", close: "*/" } } },
};

/** The `.fg` language for CodeMirror. */
export const fg = StreamLanguage.define(parser);
