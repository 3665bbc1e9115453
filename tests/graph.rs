//! `fgc graph` end to end: for each example at both levels, the SVG is well-formed XML,
//! names every service, route and edge, has no overlapping boxes and no edge through a
//! box; golden `.svg`, `.mmd` and `.dot` files; Graphviz accepts the DOT. (Mermaid's own
//! parser checks the `.mmd` golden files from tests/run: tests/graph/mermaid/check.mjs.)

use std::path::{Path, PathBuf};
use std::process::Command;

use fg_check::{Model, Options, analyze};
use fg_graph::{Format, Level};
use fg_ir::Ir;
use fg_tests::{DiskHost, files, golden, root};

fn examples() -> Vec<PathBuf> {
    files(&root().join("examples"), "fg")
}

fn build(path: &Path) -> (Model, Ir) {
    build_env(path, None)
}

fn build_env(path: &Path, env: Option<&str>) -> (Model, Ir) {
    let opts = Options { env: env.map(str::to_string), all_envs: false };
    let a = analyze(&DiskHost, &path.to_string_lossy(), &opts);
    assert!(!a.has_errors(), "{}: {:#?}", path.display(), a.diagnostics);
    let ir = fg_ir::lower(&a.model, &a.sources);
    (a.model, ir)
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default()
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Architecture => "architecture",
        Level::Resources => "resources",
    }
}

/// One start or empty-element tag.
#[derive(Debug)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn num(&self, name: &str) -> f64 {
        self.attr(name).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
    }
}

/// Checks that `&` starts an entity; returns the problem if not.
fn check_entities(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(k) = rest.find('&') {
        let after = &rest[k + 1..];
        let end = after.find(';').ok_or_else(|| format!("unterminated entity in {text:?}"))?;
        let name = &after[..end];
        let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
            || name.strip_prefix('#').is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if !ok {
            return Err(format!("bad entity &{name}; in {text:?}"));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

/// A small XML tokenizer: tags balanced, attributes quoted and unique, text and attribute
/// values properly escaped, one root element. Returns the start tags in document order.
fn parse_xml(doc: &str) -> Result<Vec<Element>, String> {
    let mut out = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut rest = doc;
    let mut roots = 0;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            check_entities(rest)?;
            if rest.contains('>') {
                return Err(format!("raw `>` in text {rest:?}"));
            }
            if !stack.is_empty() {
                return Err("document ends inside an element".to_string());
            }
            if !rest.trim().is_empty() {
                return Err("text after the root element".to_string());
            }
            break;
        };
        let text = &rest[..lt];
        check_entities(text)?;
        if text.contains('>') {
            return Err(format!("raw `>` in text {text:?}"));
        }
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root element: {text:?}"));
        }
        rest = &rest[lt..];
        if rest.starts_with("<?") {
            let end = rest.find("?>").ok_or("unterminated processing instruction")?;
            rest = &rest[end + 2..];
            continue;
        }
        if rest.starts_with("<!--") {
            let end = rest.find("-->").ok_or("unterminated comment")?;
            rest = &rest[end + 3..];
            continue;
        }
        if let Some(close) = rest.strip_prefix("</") {
            let end = close.find('>').ok_or("unterminated end tag")?;
            let name = close[..end].trim();
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("`</{name}>` closes {other:?}")),
            }
            rest = &close[end + 1..];
            continue;
        }
        // A start tag: name, then attributes `k="v"`, then `>` or `/>`.
        let mut s = &rest[1..];
        let name_end = s.find(|c: char| c.is_whitespace() || c == '>' || c == '/').ok_or("unterminated tag")?;
        let name = s[..name_end].to_string();
        if !is_name(&name) {
            return Err(format!("bad element name {name:?}"));
        }
        s = &s[name_end..];
        let mut attrs: Vec<(String, String)> = Vec::new();
        let empty;
        loop {
            s = s.trim_start();
            if let Some(r) = s.strip_prefix("/>") {
                empty = true;
                s = r;
                break;
            }
            if let Some(r) = s.strip_prefix('>') {
                empty = false;
                s = r;
                break;
            }
            let eq = s.find('=').ok_or_else(|| format!("attribute without value in <{name}>"))?;
            let key = s[..eq].trim().to_string();
            if !is_name(&key) {
                return Err(format!("bad attribute name {key:?} in <{name}>"));
            }
            let after = s[eq + 1..].trim_start();
            let quote = after.chars().next().ok_or("unterminated attribute")?;
            if quote != '"' && quote != '\'' {
                return Err(format!("unquoted attribute {key} in <{name}>"));
            }
            let body = &after[1..];
            let end = body.find(quote).ok_or("unterminated attribute value")?;
            let value = &body[..end];
            if value.contains('<') {
                return Err(format!("raw `<` in attribute {key} of <{name}>"));
            }
            check_entities(value)?;
            if attrs.iter().any(|(k, _)| *k == key) {
                return Err(format!("duplicate attribute {key} in <{name}>"));
            }
            attrs.push((key, value.to_string()));
            s = &body[end + 1..];
        }
        if stack.is_empty() {
            roots += 1;
        }
        if !empty {
            stack.push(name.clone());
        }
        out.push(Element { name, attrs });
        rest = s;
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    if let Some(open) = stack.last() {
        return Err(format!("`<{open}>` is never closed"));
    }
    Ok(out)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

#[derive(Debug, Clone, Copy)]
struct Box2 {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Box2 {
    fn of(e: &Element) -> Box2 {
        Box2 { x: e.num("x"), y: e.num("y"), w: e.num("width"), h: e.num("height") }
    }

    fn overlaps(&self, o: &Box2) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }

    /// Strictly inside, one pixel in from the border.
    fn contains(&self, (x, y): (f64, f64)) -> bool {
        x > self.x + 1.0 && x < self.x + self.w - 1.0 && y > self.y + 1.0 && y < self.y + self.h - 1.0
    }
}

/// The points of an `M x,y L x,y …` path.
fn path_points(d: &str) -> Vec<(f64, f64)> {
    d.split(['M', 'L'])
        .filter_map(|p| {
            let (x, y) = p.trim().split_once(',')?;
            Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
        })
        .collect()
}

/// Every check of one SVG; returns the failures.
fn check_svg(name: &str, svg: &str, model: &Model, ir: &Ir, level: Level) -> Vec<String> {
    let mut failures = Vec::new();
    let elements = match parse_xml(svg) {
        Ok(e) => e,
        Err(e) => return vec![format!("{name}: not well-formed XML: {e}")],
    };
    if elements.first().is_none_or(|e| e.name != "svg" || e.attr("xmlns") != Some("http://www.w3.org/2000/svg")) {
        failures.push(format!("{name}: the root is not an SVG element"));
    }
    let rects = |class: &str| -> Vec<Box2> {
        elements.iter().filter(|e| e.name == "rect" && e.attr("class") == Some(class)).map(Box2::of).collect()
    };
    let nodes = rects("node");
    let labels = rects("label");
    let keys: Vec<String> = elements
        .iter()
        .filter(|e| e.attr("class") == Some("node"))
        .filter_map(|e| e.attr("data-key"))
        .map(unescape)
        .collect();
    let edges: Vec<(String, String)> = elements
        .iter()
        .filter(|e| e.name == "g" && e.attr("class") == Some("edge"))
        .map(|e| (unescape(e.attr("data-from").unwrap_or("")), unescape(e.attr("data-to").unwrap_or(""))))
        .collect();
    let has_edge = |from: &str, to: &str| edges.iter().any(|(f, t)| f == from && t == to);

    if nodes.is_empty() || nodes.len() != keys.len() {
        failures.push(format!("{name}: {} node boxes, {} node keys", nodes.len(), keys.len()));
    }
    // No two boxes overlap; no edge label overlaps a box or another label.
    for (i, a) in nodes.iter().enumerate() {
        if a.w.is_nan() || a.h.is_nan() || a.w <= 0.0 || a.h <= 0.0 {
            failures.push(format!("{name}: node box {i} has no size"));
        }
        for (j, b) in nodes.iter().enumerate().skip(i + 1) {
            if a.overlaps(b) {
                failures.push(format!("{name}: node boxes {} and {} overlap", keys[i], keys[j]));
            }
        }
        for l in &labels {
            if a.overlaps(l) {
                failures.push(format!("{name}: an edge label overlaps the box of {}", keys[i]));
            }
        }
    }
    for (i, a) in labels.iter().enumerate() {
        for b in labels.iter().skip(i + 1) {
            if a.overlaps(b) {
                failures.push(format!("{name}: two edge labels overlap at {a:?} and {b:?}"));
            }
        }
    }
    // No edge runs through a box (sampled along each segment, endpoints excluded).
    for e in elements.iter().filter(|e| e.name == "path" && e.attr("marker-end").is_some()) {
        let pts = path_points(e.attr("d").unwrap_or(""));
        for w in pts.windows(2) {
            for k in 1..20 {
                let t = f64::from(k) / 20.0;
                let p = (w[0].0 + (w[1].0 - w[0].0) * t, w[0].1 + (w[1].1 - w[0].1) * t);
                if let Some(b) = nodes.iter().position(|n| n.contains(p)) {
                    failures.push(format!("{name}: an edge passes through the box of {}", keys[b]));
                    break;
                }
            }
        }
    }

    match level {
        Level::Architecture => {
            for s in &model.services {
                if !svg.contains(&format!(">service {}<", s.name)) {
                    failures.push(format!("{name}: service {} is not named", s.name));
                }
            }
            for d in &model.databases {
                if !svg.contains(&format!(">database {}<", d.name)) {
                    failures.push(format!("{name}: database {} is not named", d.name));
                }
            }
            for b in &model.balancers {
                if !svg.contains(&format!(">balancer {}<", b.name)) {
                    failures.push(format!("{name}: balancer {} is not named", b.name));
                }
                if !b.internal && !has_edge("internet", &format!("balancer.{}", b.name)) {
                    failures.push(format!("{name}: no edge from the internet to balancer {}", b.name));
                }
                for l in &b.listeners {
                    for r in &l.routes {
                        for p in r.paths.iter().chain(&r.hosts) {
                            if !svg.contains(&super_esc(p)) {
                                failures.push(format!("{name}: route {p} is not named"));
                            }
                        }
                        if !has_edge(&format!("balancer.{}", b.name), &format!("service.{}", r.service)) {
                            failures.push(format!("{name}: no edge for the route to {}", r.service));
                        }
                    }
                    if let Some(s) = l.default_service()
                        && !has_edge(&format!("balancer.{}", b.name), &format!("service.{s}"))
                    {
                        failures.push(format!("{name}: no edge for the default forward to {s}"));
                    }
                }
            }
            for d in &model.databases {
                for s in &d.access {
                    if !has_edge(&format!("service.{s}"), &format!("database.{}", d.name)) {
                        failures.push(format!("{name}: no access edge from {s} to database {}", d.name));
                    }
                }
            }
        }
        Level::Resources => {
            for r in &ir.resources {
                if !keys.contains(&r.id) {
                    failures.push(format!("{name}: resource {} has no box", r.id));
                }
                for d in &r.depends_on {
                    if ir.get(d).is_some() && !has_edge(d, &r.id) {
                        failures.push(format!("{name}: no edge for {} depending on {d}", r.id));
                    }
                }
            }
            if nodes.len() != ir.resources.len() {
                failures.push(format!("{name}: {} boxes for {} resources", nodes.len(), ir.resources.len()));
            }
        }
    }
    failures
}

fn super_esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

const LEVELS: [Level; 2] = [Level::Architecture, Level::Resources];

/// The SVG of every example and Terraform case, in every environment, at both levels
/// passes every check, and two renders agree.
#[test]
fn graph_svg_checks() {
    let mut failures = Vec::new();
    let mut inputs = examples();
    inputs.extend(files(&root().join("tests/terraform/cases"), "fg"));
    let stacks = inputs.iter().flat_map(|path| {
        let envs = analyze(&DiskHost, &path.to_string_lossy(), &Options::default()).model.app.environments;
        let envs: Vec<Option<String>> = if envs.is_empty() { vec![None] } else { envs.into_iter().map(Some).collect() };
        envs.into_iter().map(move |e| (path.clone(), e))
    });
    for (path, env) in stacks {
        let (model, ir) = build_env(&path, env.as_deref());
        for level in LEVELS {
            let svg = fg_graph::render(&model, &ir, Format::Svg, level);
            let name = format!("{}.{}.{}.svg", stem(&path), env.as_deref().unwrap_or("default"), level_name(level));
            if svg != fg_graph::render(&model, &ir, Format::Svg, level) {
                failures.push(format!("{name}: two renders differ"));
            }
            failures.extend(check_svg(&name, &svg, &model, &ir, level));
        }
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

/// The checker itself catches what it is meant to.
#[test]
fn graph_xml_checker_rejects_bad_documents() {
    for bad in [
        "<svg><g></svg>",
        "<svg><text>a & b</text></svg>",
        "<svg><text>a < b</text></svg>",
        "<svg x=1></svg>",
        "<svg x=\"<\"></svg>",
        "<svg></svg><svg></svg>",
        "<svg><rect/></g></svg>",
    ] {
        assert!(parse_xml(bad).is_err(), "accepted {bad:?}");
    }
    assert!(parse_xml("<svg a=\"&amp;\"><text>x &lt; y</text><rect/></svg>").is_ok());
    // Overlapping boxes and an edge through a box are caught from the geometry.
    let (model, ir) = build(&root().join("examples/two-services-path-routing.fg"));
    let bad = concat!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\">",
        "<g class=\"node\" data-key=\"a\"><rect class=\"node\" x=\"0\" y=\"0\" width=\"100\" height=\"40\"/></g>",
        "<g class=\"node\" data-key=\"b\"><rect class=\"node\" x=\"90\" y=\"30\" width=\"100\" height=\"40\"/></g>",
        "<g class=\"node\" data-key=\"c\"><rect class=\"node\" x=\"300\" y=\"0\" width=\"100\" height=\"40\"/></g>",
        "<path d=\"M0,200 L350,20\" marker-end=\"url(#a)\"/></svg>"
    );
    let failures = check_svg("bad", bad, &model, &ir, Level::Architecture);
    assert!(failures.iter().any(|f| f.contains("a and b overlap")), "{failures:#?}");
    assert!(failures.iter().any(|f| f.contains("passes through the box of c")), "{failures:#?}");
    assert!(failures.iter().any(|f| f.contains("service product-svc is not named")), "{failures:#?}");
    let a = Box2 { x: 0.0, y: 0.0, w: 10.0, h: 10.0 };
    assert!(a.overlaps(&Box2 { x: 9.0, y: 9.0, w: 5.0, h: 5.0 }));
    assert!(!a.overlaps(&Box2 { x: 10.0, y: 0.0, w: 5.0, h: 5.0 }));
}

/// Golden `.svg`, `.mmd` and `.dot` files for every example at both levels.
#[test]
fn graph_golden_files() {
    let dir = root().join("tests/graph");
    std::fs::create_dir_all(&dir).expect("golden dir");
    let mut failures = Vec::new();
    for path in examples() {
        let (model, ir) = build(&path);
        for level in LEVELS {
            for (format, ext) in [(Format::Svg, "svg"), (Format::Mermaid, "mmd"), (Format::Dot, "dot")] {
                let text = fg_graph::render(&model, &ir, format, level);
                let file = dir.join(format!("{}.{}.{ext}", stem(&path), level_name(level)));
                failures.extend(golden(&file, &text));
            }
        }
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

/// Graphviz accepts every DOT output. Fails when `dot` is missing (tests/run installs it).
#[test]
fn graph_dot_accepted_by_graphviz() {
    let mut failures = Vec::new();
    let tmp = std::env::temp_dir().join(format!("fgc-graph-dot-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    for path in examples() {
        let (model, ir) = build(&path);
        for level in LEVELS {
            let text = fg_graph::render(&model, &ir, Format::Dot, level);
            let file = tmp.join(format!("{}.{}.dot", stem(&path), level_name(level)));
            std::fs::write(&file, &text).expect("write dot");
            match Command::new("dot").arg("-Tsvg").arg(&file).output() {
                Ok(o) if o.status.success() && o.stderr.is_empty() => {}
                Ok(o) => failures.push(format!(
                    "{}: dot -Tsvg failed: {}",
                    file.display(),
                    String::from_utf8_lossy(&o.stderr)
                )),
                Err(e) => {
                    failures.push(format!("`dot` (Graphviz) is needed: {e}; apt-get install -y graphviz"));
                    break;
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}
