//! DOT and Mermaid: the diagram as text for Graphviz and Mermaid to lay out.

use crate::diagram::{Diagram, EdgeKind, NodeKind};

/// A DOT string literal.
fn dot_str(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn dot_node_attrs(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Internet => "shape=ellipse, fillcolor=\"#f1f3f5\"",
        NodeKind::Balancer => "fillcolor=\"#f3e8ff\"",
        NodeKind::Service => "fillcolor=\"#e7f5ff\"",
        NodeKind::Database => "shape=cylinder, fillcolor=\"#fff4e6\"",
        NodeKind::Gateway => "fillcolor=\"#f8f9fa\", style=\"filled,dashed\"",
        NodeKind::Resource(_) => "fillcolor=\"#f8f9fa\"",
    }
}

type Emit<'a> = &'a dyn Fn(&mut String, usize, &str);

/// Writes the groups (nested, each opened and closed by the format's syntax) with their
/// nodes, then the nodes in no group; DOT and Mermaid differ only in those three pieces.
fn groups(d: &Diagram, out: &mut String, open: Emit, close: &dyn Fn(&mut String, &str), node: Emit) {
    fn group(
        d: &Diagram,
        g: usize,
        depth: usize,
        out: &mut String,
        open: Emit,
        close: &dyn Fn(&mut String, &str),
        node: Emit,
    ) {
        let indent = "  ".repeat(depth + 1);
        open(out, g, &indent);
        for c in d.children(Some(g)) {
            group(d, c, depth + 1, out, open, close, node);
        }
        for (i, n) in d.nodes.iter().enumerate() {
            if n.group == Some(g) {
                node(out, i, &format!("{indent}  "));
            }
        }
        close(out, &indent);
    }
    for g in d.children(None) {
        group(d, g, 0, out, open, close, node);
    }
    for (i, n) in d.nodes.iter().enumerate() {
        if n.group.is_none() {
            node(out, i, "  ");
        }
    }
}

pub fn dot(d: &Diagram) -> String {
    let mut out = String::new();
    out.push_str("digraph fgc {\n");
    out.push_str(&format!("  label={};\n  labelloc=t;\n", dot_str(&d.title)));
    out.push_str("  rankdir=LR;\n  compound=true;\n  fontname=\"Helvetica,Arial,sans-serif\";\n");
    out.push_str(
        "  node [shape=box, style=\"filled,rounded\", fontname=\"Helvetica,Arial,sans-serif\", fontsize=11];\n",
    );
    out.push_str("  edge [fontname=\"Helvetica,Arial,sans-serif\", fontsize=10];\n");
    let node = |out: &mut String, i: usize, indent: &str| {
        let n = &d.nodes[i];
        out.push_str(&format!("{indent}n{i} [label={}, {}];\n", dot_str(&n.lines.join("\n")), dot_node_attrs(n.kind)));
    };
    let open = |out: &mut String, g: usize, indent: &str| {
        out.push_str(&format!("{indent}subgraph cluster_{g} {{\n"));
        out.push_str(&format!("{indent}  label={};\n", dot_str(&d.groups[g].label)));
        out.push_str(&format!("{indent}  style=\"rounded\";\n{indent}  color=\"#868e96\";\n"));
    };
    groups(d, &mut out, &open, &|out, indent| out.push_str(&format!("{indent}}}\n")), &node);
    for e in &d.edges {
        let mut attrs = Vec::new();
        if let Some(l) = &e.label {
            attrs.push(format!("label={}", dot_str(l)));
        }
        if e.kind == EdgeKind::Access {
            attrs.push("style=dashed".to_string());
        }
        let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
        out.push_str(&format!("  n{} -> n{}{attrs};\n", e.from, e.to));
    }
    out.push_str("}\n");
    out
}

/// Text for a Mermaid label in double quotes: quotes and markup characters as entities.
fn mm(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '|' => out.push_str("#124;"),
            c => out.push(c),
        }
    }
    out
}

pub fn mermaid(d: &Diagram) -> String {
    let mut out = String::new();
    out.push_str(&format!("---\ntitle: \"{}\"\n---\n", d.title.replace('"', "'")));
    out.push_str("flowchart LR\n");
    let node = |out: &mut String, i: usize, indent: &str| {
        let n = &d.nodes[i];
        let label = n.lines.iter().map(|l| mm(l)).collect::<Vec<_>>().join("<br/>");
        let (open, close) = match n.kind {
            NodeKind::Internet => ("((", "))"),
            NodeKind::Database => ("[(", ")]"),
            NodeKind::Balancer => ("{{", "}}"),
            _ => ("[", "]"),
        };
        out.push_str(&format!("{indent}n{i}{open}\"{label}\"{close}\n"));
    };
    let open = |out: &mut String, g: usize, indent: &str| {
        out.push_str(&format!("{indent}subgraph g{g}[\"{}\"]\n", mm(&d.groups[g].label)));
    };
    groups(d, &mut out, &open, &|out, indent| out.push_str(&format!("{indent}end\n")), &node);
    for e in &d.edges {
        let arrow = if e.kind == EdgeKind::Access { "-.->" } else { "-->" };
        match &e.label {
            Some(l) => out.push_str(&format!("  n{} {arrow}|\"{}\"| n{}\n", e.from, mm(l), e.to)),
            None => out.push_str(&format!("  n{} {arrow} n{}\n", e.from, e.to)),
        }
    }
    out
}
