//! In-process JSON-RPC tests of every feature, as fixture files.
//!
//! A fixture `tests/fixtures/<name>.fg` holds one or more virtual files (`//- name.fg`
//! starts a new one; the first has the fixture's name) with cursor markers `$0`…`$9`, and
//! request lines `//# <request> [args]` at the top. The harness opens every file through
//! `didOpen`, sends the requests through the real server, and compares the responses (and
//! published diagnostics) with `<name>.snap`. `FGC_UPDATE=1` rewrites the snapshots.
//!
//! Requests: `diagnostics`, `hover $N`, `completion $N`, `definition $N`, `references $N`,
//! `rename $N new-name`, `symbols`, `workspace-symbols query`, `tokens`, `format`,
//! `actions $N`, `hints`, `edit $N text` (insert text at the marker, send didChange).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures::StreamExt;
use serde_json::{Value, json};
use tower::{Service, ServiceExt};
use tower_lsp_server::jsonrpc::Request;

const ROOT: &str = "/fixtures";

struct Fixture {
    files: Vec<(String, String)>,
    markers: BTreeMap<u32, (String, u32, u32)>,
    requests: Vec<String>,
}

fn parse_fixture(name: &str, text: &str) -> Fixture {
    let mut files: Vec<(String, String)> = vec![(format!("{ROOT}/{name}.fg"), String::new())];
    let mut requests = Vec::new();
    for line in text.lines() {
        if let Some(r) = line.strip_prefix("//# ") {
            requests.push(r.trim().to_string());
        } else if let Some(f) = line.strip_prefix("//- ") {
            files.push((format!("{ROOT}/{}", f.trim()), String::new()));
        } else if let Some(last) = files.last_mut() {
            last.1.push_str(line);
            last.1.push('\n');
        }
    }
    let mut markers = BTreeMap::new();
    for (path, text) in &mut files {
        let mut clean = String::new();
        let mut chars = text.chars().peekable();
        let (mut line, mut col) = (0u32, 0u32);
        while let Some(c) = chars.next() {
            if c == '$'
                && let Some(d) = chars.peek().and_then(|d| d.to_digit(10))
            {
                chars.next();
                markers.insert(d, (path.clone(), line, col));
                continue;
            }
            clean.push(c);
            if c == '\n' {
                line += 1;
                col = 0;
            } else {
                col += c.len_utf16() as u32;
            }
        }
        *text = clean;
    }
    Fixture { files, markers, requests }
}

fn uri(path: &str) -> String {
    format!("file://{path}")
}

struct Client {
    service: tower_lsp_server::LspService<fg_lsp::Backend>,
    /// Messages from the server to the client, read by a task of their own: the server
    /// waits for its notifications to be taken before it answers.
    incoming: tokio::sync::mpsc::UnboundedReceiver<Value>,
    id: i64,
}

impl Client {
    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.id += 1;
        let req: Request =
            serde_json::from_value(json!({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params}))
                .expect("request");
        let resp = self.service.ready().await.expect("ready").call(req).await.expect("call");
        let resp = serde_json::to_value(resp).expect("json");
        resp.get("result").cloned().unwrap_or_else(|| resp.get("error").cloned().unwrap_or(Value::Null))
    }

    async fn notify(&mut self, method: &str, params: Value) {
        let req: Request = serde_json::from_value(json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .expect("notification");
        self.service.ready().await.expect("ready").call(req).await.expect("call");
    }

    /// The diagnostics the server published since the last call, by file.
    async fn published(&mut self) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        while let Ok(Some(msg)) = tokio::time::timeout(std::time::Duration::from_millis(50), self.incoming.recv()).await
        {
            if msg["method"] == "textDocument/publishDiagnostics" {
                out.insert(
                    msg["params"]["uri"].as_str().unwrap_or("").to_string(),
                    msg["params"]["diagnostics"].clone(),
                );
            }
        }
        out
    }
}

fn position(f: &Fixture, arg: &str) -> (String, Value) {
    let n: u32 = arg.trim_start_matches('$').parse().expect("marker");
    let (path, line, col) = f.markers.get(&n).unwrap_or_else(|| panic!("no marker ${n}")).clone();
    (uri(&path), json!({"line": line, "character": col}))
}

/// Replaces machine-specific paths so snapshots are stable.
fn normalise(v: Value, stdlib: &Path) -> Value {
    let text = serde_json::to_string(&v).expect("json");
    let text = text.replace(&format!("file://{}", stdlib.display()), "<stdlib>");
    serde_json::from_str(&text).expect("json")
}

async fn run(name: &str, text: &str, stdlib: &Path) -> String {
    let f = parse_fixture(name, text);
    let (service, mut socket) = fg_lsp::service(stdlib.to_path_buf());
    let (tx, incoming) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Some(msg) = socket.next().await {
            if tx.send(serde_json::to_value(msg).expect("json")).is_err() {
                break;
            }
        }
    });
    let mut c = Client { service, incoming, id: 0 };
    c.request("initialize", json!({"capabilities": {}})).await;
    c.notify("initialized", json!({})).await;
    let mut docs: BTreeMap<String, String> = BTreeMap::new();
    for (path, text) in &f.files {
        docs.insert(path.clone(), text.clone());
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(path), "languageId": "fg", "version": 1, "text": text}}),
        )
        .await;
    }
    let mut published = c.published().await;
    let main = uri(&f.files[0].0);
    let mut out = String::new();
    let mut version = 1;
    for r in &f.requests {
        let mut words = r.splitn(3, ' ');
        let kind = words.next().unwrap_or("");
        let arg = words.next().unwrap_or("");
        let rest = words.next().unwrap_or("");
        let result = match kind {
            "diagnostics" => {
                let mut all = serde_json::Map::new();
                for (u, d) in &published {
                    all.insert(u.clone(), d.clone());
                }
                Value::Object(all)
            }
            "hover" => {
                let (u, p) = position(&f, arg);
                c.request("textDocument/hover", json!({"textDocument": {"uri": u}, "position": p})).await
            }
            "completion" => {
                let (u, p) = position(&f, arg);
                let items = c.request("textDocument/completion", json!({"textDocument": {"uri": u}, "position": p})).await;
                let labels: Vec<String> = items
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|i| format!("{} ({})", i["label"].as_str().unwrap_or(""), i["detail"].as_str().unwrap_or("")))
                            .collect()
                    })
                    .unwrap_or_default();
                json!(labels)
            }
            "definition" => {
                let (u, p) = position(&f, arg);
                c.request("textDocument/definition", json!({"textDocument": {"uri": u}, "position": p})).await
            }
            "references" => {
                let (u, p) = position(&f, arg);
                c.request(
                    "textDocument/references",
                    json!({"textDocument": {"uri": u}, "position": p, "context": {"includeDeclaration": true}}),
                )
                .await
            }
            "rename" => {
                let (u, p) = position(&f, arg);
                let prepare = c.request("textDocument/prepareRename", json!({"textDocument": {"uri": u}, "position": p})).await;
                let edit = c
                    .request("textDocument/rename", json!({"textDocument": {"uri": u}, "position": p, "newName": rest}))
                    .await;
                // Order the edits per file for a stable snapshot.
                let mut changes: BTreeMap<String, Value> = BTreeMap::new();
                if let Some(obj) = edit["changes"].as_object() {
                    for (k, v) in obj {
                        changes.insert(k.clone(), v.clone());
                    }
                }
                json!({"prepare": prepare, "changes": changes, "error": edit.get("message")})
            }
            "symbols" => c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": main}})).await,
            "workspace-symbols" => c.request("workspace/symbol", json!({"query": arg})).await,
            "tokens" => {
                let t = c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": main}})).await;
                let data: Vec<u64> = t["data"].as_array().map(|a| a.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
                let legend = ["keyword", "type", "variable", "property", "string", "number", "enumMember", "comment", "operator", "function"];
                let (mut line, mut col) = (0u64, 0u64);
                let decoded: Vec<String> = data
                    .chunks(5)
                    .map(|ch| {
                        if ch[0] > 0 {
                            line += ch[0];
                            col = ch[1];
                        } else {
                            col += ch[1];
                        }
                        format!("{}:{} len {} {}", line + 1, col + 1, ch[2], legend.get(ch[3] as usize).unwrap_or(&"?"))
                    })
                    .collect();
                json!(decoded)
            }
            "format" => c.request("textDocument/formatting", json!({"textDocument": {"uri": main}, "options": {"tabSize": 2, "insertSpaces": true}})).await,
            "actions" => {
                let (u, p) = position(&f, arg);
                c.request(
                    "textDocument/codeAction",
                    json!({"textDocument": {"uri": u}, "range": {"start": p, "end": p}, "context": {"diagnostics": []}}),
                )
                .await
            }
            "hints" => {
                c.request(
                    "textDocument/inlayHint",
                    json!({"textDocument": {"uri": main}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 10000, "character": 0}}}),
                )
                .await
            }
            "edit" => {
                let n: u32 = arg.trim_start_matches('$').parse().expect("marker");
                let (path, line, col) = f.markers[&n].clone();
                let text = docs.get_mut(&path).expect("doc");
                let offset: usize = text.split_inclusive('\n').take(line as usize).map(str::len).sum::<usize>() + col as usize;
                text.insert_str(offset, rest);
                version += 1;
                let full = text.clone();
                c.notify(
                    "textDocument/didChange",
                    json!({"textDocument": {"uri": uri(&path), "version": version}, "contentChanges": [{"text": full}]}),
                )
                .await;
                published = c.published().await;
                json!("changed")
            }
            other => panic!("unknown request `{other}`"),
        };
        out.push_str(&format!(
            "//# {r}\n{}\n\n",
            serde_json::to_string_pretty(&normalise(result, stdlib)).expect("json")
        ));
    }
    reader.abort();
    out
}

#[tokio::test(flavor = "current_thread")]
async fn fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let stdlib = std::env::temp_dir().join(format!("fgc-lsp-stdlib-{}", std::process::id()));
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "fg"))
        .collect();
    entries.sort();
    assert!(entries.len() >= 8, "expected a fixture per feature");
    let update = std::env::var_os("FGC_UPDATE").is_some_and(|v| !v.is_empty() && v != "0");
    let mut failures = Vec::new();
    for path in entries {
        let name = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let text = std::fs::read_to_string(&path).expect("read");
        let got = run(&name, &text, &stdlib).await;
        let snap = path.with_extension("snap");
        match std::fs::read_to_string(&snap) {
            Ok(want) if want == got => {}
            Ok(_) | Err(_) if update || !snap.exists() => std::fs::write(&snap, &got).expect("write"),
            Ok(want) => failures
                .push(format!("{name}: snapshot differs (FGC_UPDATE=1 regenerates)\n--- want\n{want}\n--- got\n{got}")),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    let _ = std::fs::remove_dir_all(&stdlib);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
