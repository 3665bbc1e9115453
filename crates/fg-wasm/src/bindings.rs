//! The JavaScript interface: each function converts its arguments, calls the Rust API in
//! `lib.rs` and returns the result as a plain object (through `JSON.parse`, which is
//! faster than building the objects field by field and needs no serde glue crate). The
//! TypeScript types of those objects are written here by hand and checked against the
//! Rust structs' JSON by the crate's native tests.

use js_sys::{JSON, Object};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::{Files, Level, Pos};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Other files `main.fg` may import, by path relative to it: `{ "shared.fg": "…" }`. */
export type Files = Record<string, string>;

/** 0-based line; character in UTF-16 code units (JavaScript string indices). */
export interface Pos { line: number; character: number }

export interface Range { file: string; from: Pos; to: Pos }

export interface Diagnostic {
  /** The stable code, such as `FG0302` (`fgc explain FG0302`). */
  code: string;
  severity: "error" | "warning";
  message: string;
  /** What is at the primary span. */
  label: string;
  help: string | null;
  /** 1-based line and column of the start, for people. */
  line: number;
  column: number;
  range: Range;
  labels: { message: string; range: Range }[];
  fixes: { title: string; replacement: string; range: Range }[];
}

export interface CheckResult { diagnostics: Diagnostic[]; errors: number; warnings: number }

export interface TerraformFile { name: string; text: string }

/** The IR (`fgc build --emit ir`), for one environment. */
export interface Ir {
  version: number;
  app: string;
  env: string;
  region: string;
  tags: Record<string, string>;
  resources: IrResource[];
  outputs: unknown[];
}

/** One AWS resource of the IR; attributes are typed values (`{ type, value }`). */
export interface IrResource {
  /** Stable, derived from the source: `service.api/task`. */
  id: string;
  /** As the Terraform AWS provider names it: `aws_ecs_service`. */
  kind: string;
  data: boolean;
  concern: string;
  attrs: [string, unknown][];
  depends_on: string[];
  after?: string[];
  managed_elsewhere?: string[];
  source: { file: string; line: number; column: number; start: number; end: number; decl: string };
}

export interface BuildResult extends CheckResult {
  /** The environment built. */
  env: string;
  /** Empty when there are errors. */
  terraform: TerraformFile[];
  ir: Ir | null;
}

export interface GraphResult extends CheckResult { svg: string | null }

export interface FormatResult { text: string | null; error: string | null }

export interface Hover { markdown: string; from: Pos | null; to: Pos | null }

/** An LSP completion item (the fields fgc sets). */
export interface CompletionItem {
  label: string;
  /** LSP `CompletionItemKind`. */
  kind?: number;
  detail?: string;
  documentation?: string | { kind: string; value: string };
  insertText?: string;
  /** 2 when `insertText` is an LSP snippet (`${1:name}`). */
  insertTextFormat?: number;
}
"#;

fn to_js(value: &impl Serialize) -> JsValue {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    JSON::parse(&text).unwrap_or(JsValue::NULL)
}

fn parse_files(value: Option<Object>) -> Result<Files, JsError> {
    let Some(value) = value else { return Ok(Files::new()) };
    let text: String = JSON::stringify(&value).map(String::from).unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| JsError::new(&format!("`files` must map paths to strings: {e}")))
}

fn parse_level(value: Option<String>) -> Result<Level, JsError> {
    value.as_deref().unwrap_or("architecture").parse().map_err(|e: String| JsError::new(&e))
}

/// Checks `source` (as `main.fg`) in every environment it declares, as `fgc check` does.
#[wasm_bindgen(unchecked_return_type = "CheckResult")]
pub fn check(
    source: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "Files")] files: Option<Object>,
) -> Result<JsValue, JsError> {
    Ok(to_js(&crate::check(source, &parse_files(files)?)))
}

/// Checks `source` for `env` (the app's first environment by default) and, without errors,
/// returns its Terraform files and IR, as `fgc build` does.
#[wasm_bindgen(unchecked_return_type = "BuildResult")]
pub fn build(
    source: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "Files")] files: Option<Object>,
    #[wasm_bindgen(unchecked_optional_param_type = "string")] env: Option<String>,
) -> Result<JsValue, JsError> {
    Ok(to_js(&crate::build(source, &parse_files(files)?, env.as_deref())))
}

/// Draws `source` as SVG, as `fgc graph` does (`level`: `"architecture"`, the default, or
/// `"resources"`).
#[wasm_bindgen(unchecked_return_type = "GraphResult")]
pub fn graph(
    source: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "Files")] files: Option<Object>,
    #[wasm_bindgen(unchecked_optional_param_type = "string")] env: Option<String>,
    #[wasm_bindgen(unchecked_optional_param_type = "\"architecture\" | \"resources\"")] level: Option<String>,
) -> Result<JsValue, JsError> {
    Ok(to_js(&crate::graph(source, &parse_files(files)?, env.as_deref(), parse_level(level)?)))
}

/// Formats `source`, as `fgc fmt` does.
#[wasm_bindgen(unchecked_return_type = "FormatResult")]
pub fn format(source: &str) -> JsValue {
    to_js(&crate::format(source))
}

/// Hover documentation at a position (0-based line, UTF-16 character), or `null`.
#[wasm_bindgen(unchecked_return_type = "Hover | null")]
pub fn hover(
    source: &str,
    line: u32,
    character: u32,
    #[wasm_bindgen(unchecked_optional_param_type = "Files")] files: Option<Object>,
) -> Result<JsValue, JsError> {
    Ok(to_js(&crate::hover(source, &parse_files(files)?, Pos { line, character })))
}

/// Completions at a position (0-based line, UTF-16 character).
#[wasm_bindgen(unchecked_return_type = "CompletionItem[]")]
pub fn complete(
    source: &str,
    line: u32,
    character: u32,
    #[wasm_bindgen(unchecked_optional_param_type = "Files")] files: Option<Object>,
) -> Result<JsValue, JsError> {
    Ok(to_js(&crate::complete(source, &parse_files(files)?, Pos { line, character })))
}

/// The fgc version this module was built from.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// An editor's state between keystrokes: `update` re-parses only the items an edit
/// touched, and hover and completion answer from the latest analysis.
#[wasm_bindgen(js_name = Session)]
pub struct JsSession(crate::Session);

#[wasm_bindgen(js_class = Session)]
impl JsSession {
    /// A session whose document (`main.fg`) may import `files`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "Files")] files: Option<Object>,
    ) -> Result<JsSession, JsError> {
        Ok(JsSession(crate::Session::new(parse_files(files)?)))
    }

    /// Replaces the document's text and checks it in every environment.
    #[wasm_bindgen(unchecked_return_type = "CheckResult")]
    pub fn update(&mut self, source: &str) -> JsValue {
        to_js(&self.0.update(source))
    }

    /// Hover documentation at a position of the document, or `null`.
    #[wasm_bindgen(unchecked_return_type = "Hover | null")]
    pub fn hover(&self, line: u32, character: u32) -> JsValue {
        to_js(&self.0.hover(Pos { line, character }))
    }

    /// Completions at a position of the document.
    #[wasm_bindgen(unchecked_return_type = "CompletionItem[]")]
    pub fn complete(&self, line: u32, character: u32) -> JsValue {
        to_js(&self.0.complete(Pos { line, character }))
    }
}
