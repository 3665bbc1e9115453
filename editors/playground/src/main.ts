// The playground: a CodeMirror editor checked by fgc's WebAssembly build on every
// keystroke, and tabs with what `fgc build` and `fgc graph` would produce.
//
// Diagnostics are computed synchronously right after each edit (a `Session` re-parses
// only the items the edit touched), so they are never a frame behind; the Terraform, IR
// and diagram are rebuilt only for the visible tab, once typing pauses.

import { basicSetup } from "codemirror";
import { EditorView, hoverTooltip, type Tooltip } from "@codemirror/view";
import { EditorState, type Text } from "@codemirror/state";
import { setDiagnostics, lintGutter, type Diagnostic as CmDiagnostic } from "@codemirror/lint";
import { autocompletion, snippetCompletion, type Completion, type CompletionContext } from "@codemirror/autocomplete";
import { indentUnit } from "@codemirror/language";

import init, { Session, build, check, format, graph, version, type CheckResult, type CompletionItem, type Pos } from "../pkg/fg_wasm.js";
import examples from "../pkg/examples.json";
import { fg } from "./fg-language.js";
import { decode, encode } from "./share.js";

const DEFAULT_EXAMPLE = "two-services-path-routing";
/** How long typing must pause before the output tabs and the URL are refreshed. */
const IDLE_MS = 200;

type Tab = "terraform" | "ir" | "diagram";

/** What tests and the benchmark read: counts and times of the checks done. */
interface Stats {
  checks: number;
  /** `performance.now()` when the latest diagnostics were handed to the editor. */
  lastCheckDone: number;
  /** How long the latest check took, in milliseconds. */
  lastCheckMs: number;
  /** How many times the output tabs were refreshed. */
  outputs: number;
}

declare global {
  interface Window {
    /** For the browser test and the benchmark. */
    fgc: { view: EditorView; stats: Stats; ready: boolean; api: { check: typeof check; Session: typeof Session } };
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function offset(doc: Text, p: Pos): number {
  const line = doc.line(Math.min(p.line + 1, doc.lines));
  return Math.min(line.from + p.character, line.to);
}

function position(doc: Text, at: number): Pos {
  const line = doc.lineAt(at);
  return { line: line.number - 1, character: at - line.from };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);
}

/** The Markdown the language server writes for hovers: code fences, `code`, **bold**. */
function markdown(md: string): string {
  return md
    .split(/```(?:fg)?\n([\s\S]*?)\n```/)
    .map((part, i) =>
      i % 2 === 1
        ? `<pre class="code">${escapeHtml(part)}</pre>`
        : part
            .trim()
            .split(/\n{2,}/)
            .filter((p) => p)
            .map(
              (p) =>
                `<p>${escapeHtml(p)
                  .replace(/`([^`]+)`/g, "<code>$1</code>")
                  .replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>")}</p>`,
            )
            .join(""),
    )
    .join("");
}

// LSP CompletionItemKind → CodeMirror completion type (its icon).
const KINDS: Record<number, string> = { 3: "function", 5: "property", 11: "constant", 12: "constant", 14: "keyword", 18: "variable", 20: "enum" };

function completion(item: CompletionItem): Completion {
  const doc = item.documentation;
  const info = typeof doc === "string" ? doc : doc?.value;
  const base: Completion = { label: item.label, type: KINDS[item.kind ?? 0], detail: item.detail };
  if (info) base.info = () => Object.assign(document.createElement("div"), { className: "doc", innerHTML: markdown(info) });
  const insert = item.insertText ?? item.label;
  if (item.insertTextFormat === 2) {
    // LSP snippets (`$0`, `${1:name}`) in CodeMirror's syntax (`${}`, `${1:name}`).
    return snippetCompletion(insert.replace(/\$(\d+)/g, "${$1}"), base);
  }
  return { ...base, apply: insert };
}

async function main() {
  await init({ module_or_path: "fg_wasm_bg.wasm" });
  const session = new Session();
  const stats: Stats = { checks: 0, lastCheckDone: 0, lastCheckMs: 0, outputs: 0 };
  let tab: Tab = "terraform";
  let idle: number | undefined;
  let checkQueued = false;
  /** Errors in the editor's text, and the latest text without any. */
  let errors = 0;
  let lastGood: string | null = null;

  const select = $<HTMLSelectElement>("example");
  for (const name of Object.keys(examples).sort()) {
    select.append(new Option(name, name));
  }
  const fromUrl = await decode(location.hash);
  const initial = fromUrl ?? (examples as Record<string, string>)[DEFAULT_EXAMPLE] ?? "";
  select.value = fromUrl === null ? DEFAULT_EXAMPLE : "";

  function checkNow(view: EditorView) {
    checkQueued = false;
    const t0 = performance.now();
    const text = view.state.doc.toString();
    const result: CheckResult = session.update(text);
    errors = result.errors;
    if (errors === 0) lastGood = text;
    const doc = view.state.doc;
    const diagnostics: CmDiagnostic[] = result.diagnostics
      .filter((d) => d.range.file === "main.fg")
      .map((d) => ({
        from: offset(doc, d.range.from),
        to: offset(doc, d.range.to),
        severity: d.severity,
        source: d.code,
        message: d.message + (d.help ? `\nhelp: ${d.help}` : ""),
      }));
    view.dispatch(setDiagnostics(view.state, diagnostics));
    stats.lastCheckMs = performance.now() - t0;
    stats.lastCheckDone = performance.now();
    stats.checks++;
    problems(result);
    $("status").textContent =
      `fgc ${version()} · checked in ${stats.lastCheckMs.toFixed(1)} ms · ` +
      `${result.errors} error${result.errors === 1 ? "" : "s"}, ${result.warnings} warning${result.warnings === 1 ? "" : "s"}`;
  }

  function problems(result: CheckResult) {
    const list = $("problems");
    list.replaceChildren(
      ...result.diagnostics.map((d) => {
        const li = document.createElement("li");
        li.className = d.severity;
        li.dataset.line = String(d.line);
        li.innerHTML = `<span class="where">${escapeHtml(d.range.file)}:${d.line}:${d.column}</span> <span class="code">${d.code}</span> ${escapeHtml(d.message)}`;
        li.onclick = () => {
          const at = offset(view.state.doc, d.range.from);
          view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
          view.focus();
        };
        return li;
      }),
    );
    list.hidden = result.diagnostics.length === 0;
  }

  // The output tabs show the latest source without errors, marked stale while the editor
  // has errors, so that they do not flash away while a line is half typed.
  async function refresh() {
    history.replaceState(null, "", await encode(view.state.doc.toString()));
    const banner = $("stale");
    banner.hidden = errors === 0;
    banner.textContent = `The stack has ${errors} error${errors === 1 ? "" : "s"}: this is the output from before.`;
    const out = $(`out-${tab}`);
    if (lastGood === null) {
      out.replaceChildren(Object.assign(document.createElement("p"), { className: "blocked", textContent: "Nothing to show yet: fix the errors under the editor." }));
    } else if (tab === "diagram") {
      const svg = graph(lastGood).svg ?? "";
      const img = document.createElement("img");
      img.alt = "The architecture of the stack";
      img.src = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
      img.onload = () => URL.revokeObjectURL(img.src);
      out.replaceChildren(img);
    } else {
      const b = build(lastGood);
      if (tab === "terraform") {
        out.replaceChildren(
          ...b.terraform.map((f) => {
            const section = document.createElement("section");
            section.className = "file";
            section.dataset.name = f.name;
            section.innerHTML = `<h3>${escapeHtml(f.name)}</h3><pre>${escapeHtml(f.text)}</pre>`;
            return section;
          }),
        );
      } else {
        const pre = document.createElement("pre");
        pre.textContent = JSON.stringify(b.ir, null, 2);
        out.replaceChildren(pre);
      }
    }
    stats.outputs++;
  }

  const view: EditorView = new EditorView({
    parent: $("editor"),
    state: EditorState.create({
      doc: initial,
      extensions: [
        basicSetup,
        indentUnit.of("  "),
        fg,
        lintGutter(),
        autocompletion({
          override: [
            (ctx: CompletionContext) => {
              const word = ctx.matchBefore(/[\w-]*/);
              if (!ctx.explicit && word && word.from === word.to && !/[=>\s]$/.test(ctx.state.sliceDoc(0, ctx.pos))) return null;
              const p = position(ctx.state.doc, ctx.pos);
              const items = session.complete(p.line, p.character);
              return items.length ? { from: word ? word.from : ctx.pos, options: items.map(completion) } : null;
            },
          ],
        }),
        hoverTooltip((v, pos): Tooltip | null => {
          const p = position(v.state.doc, pos);
          const h = session.hover(p.line, p.character);
          if (!h) return null;
          return {
            pos: h.from ? offset(v.state.doc, h.from) : pos,
            end: h.to ? offset(v.state.doc, h.to) : pos,
            create: () => ({ dom: Object.assign(document.createElement("div"), { className: "doc hover", innerHTML: markdown(h.markdown) }) }),
          };
        }),
        EditorView.updateListener.of((u) => {
          if (!u.docChanged) return;
          // The check dispatches, which is not allowed inside an update: run it right after
          // this one, still before the browser paints.
          if (!checkQueued) {
            checkQueued = true;
            queueMicrotask(() => checkNow(u.view));
          }
          clearTimeout(idle);
          idle = window.setTimeout(refresh, IDLE_MS);
        }),
      ],
    }),
  });

  select.onchange = () => {
    const text = (examples as Record<string, string>)[select.value];
    if (text !== undefined) view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  };
  $("format").onclick = () => {
    const f = format(view.state.doc.toString());
    if (f.text !== null && f.text !== view.state.doc.toString()) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: f.text } });
    } else if (f.error) {
      $("status").textContent = f.error;
    }
  };
  $("share").onclick = async () => {
    const url = location.origin + location.pathname + (await encode(view.state.doc.toString()));
    history.replaceState(null, "", url);
    try {
      await navigator.clipboard.writeText(url);
      $("status").textContent = "Link copied: it carries the whole source.";
    } catch {
      $("status").textContent = "The address bar now carries the whole source: copy it from there.";
    }
  };
  for (const button of document.querySelectorAll<HTMLButtonElement>("#tabs button")) {
    button.onclick = () => {
      tab = button.dataset.tab as Tab;
      for (const b of document.querySelectorAll<HTMLButtonElement>("#tabs button")) b.classList.toggle("active", b === button);
      for (const t of ["terraform", "ir", "diagram"]) $(`out-${t}`).hidden = t !== tab;
      void refresh();
    };
  }

  window.fgc = { view, stats, ready: false, api: { check, Session } };
  checkNow(view);
  await refresh();
  window.fgc.ready = true;
  document.body.dataset.ready = "true";
}

main().catch((e: unknown) => {
  $("status").textContent = `The playground failed to start: ${String(e)}`;
  throw e;
});
