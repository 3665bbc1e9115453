//! Every engine request at every kind of position on thousands of mutated examples: the
//! language server must never panic, whatever the editor sends it.

use std::str::FromStr;

use fg_lsp::Engine;
use tower_lsp_server::ls_types::{Position, Range, Uri};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn no_request_panics_on_mutated_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut texts = Vec::new();
    for dir in ["examples", "tests/terraform/cases"] {
        for e in std::fs::read_dir(root.join(dir)).expect("dir").flatten() {
            if e.path().extension().is_some_and(|x| x == "fg") {
                texts.push(std::fs::read_to_string(e.path()).expect("read"));
            }
        }
    }
    let tokens =
        ["{", "}", "\"", "${", "=", "->", "...", "é", "\n", "[", "]", "env {", "$", "//", "/*", "0", "x.y", " "];
    let stdlib = std::env::temp_dir().join(format!("fgc-stress-{}", std::process::id()));
    let mut engine = Engine::new(stdlib.clone());
    let uri = Uri::from_str("file:///stress/stack.fg").expect("uri");
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    let mut runs = 0;
    for text in &texts {
        for _ in 0..150 {
            let mut t = text.clone();
            for _ in 0..1 + rng.below(4) {
                let mut at = rng.below(t.len() + 1);
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                if rng.below(2) == 0 {
                    t.insert_str(at, tokens[rng.below(tokens.len())]);
                } else {
                    let mut end = (at + 1 + rng.below(20)).min(t.len());
                    while !t.is_char_boundary(end) {
                        end += 1;
                    }
                    t.replace_range(at..end, "");
                }
            }
            engine.change(&uri, t.clone());
            let lines = t.lines().count().max(1) as u32;
            for _ in 0..6 {
                let pos = Position { line: rng.below(lines as usize + 2) as u32, character: rng.below(90) as u32 };
                let _ = engine.hover(&uri, pos);
                let _ = engine.completion(&uri, pos);
                let _ = engine.definition(&uri, pos);
                let _ = engine.references(&uri, pos, true);
                let _ = engine.prepare_rename(&uri, pos);
                let _ = engine.rename(&uri, pos, "renamed");
                let _ = engine.code_actions(&uri, Range { start: pos, end: pos });
            }
            let _ = engine.document_symbols(&uri);
            let _ = engine.workspace_symbols("s");
            let _ = engine.semantic_tokens(&uri);
            let _ = engine.formatting(&uri);
            let _ = engine.inlay_hints(
                &uri,
                Range { start: Position { line: 0, character: 0 }, end: Position { line: lines, character: 0 } },
            );
            runs += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&stdlib);
    assert!(runs >= 1000, "only {runs} files");
}
