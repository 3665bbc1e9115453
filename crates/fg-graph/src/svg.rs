//! SVG, laid out here.
//!
//! Both levels place nodes in global columns; edges run only through the gaps between
//! columns, so no edge crosses a box.
//!
//! - Architecture: columns are internet, balancers, services, databases; rows are the
//!   subnet tiers of each network. An edge leaves its source's right side, turns in its
//!   own vertical lane of the gap, and enters its target's left side; its label sits on
//!   that last stretch, right of every lane, at the height of its own port.
//! - Resources: longest-path layers over the dependency DAG, long edges split by dummy
//!   points (each with its own slot in the layers it crosses), layers ordered by a few
//!   barycenter sweeps; edges are straight between layers.

// Layout code indexes parallel arrays (columns, layers, ports) by position.
#![allow(clippy::needless_range_loop)]

use std::fmt::Write as _;

use fg_ir::Concern;

use crate::Level;
use crate::diagram::{Diagram, EdgeKind, NodeKind};

const MARGIN: i64 = 24;
const TITLE_H: i64 = 34;
const PAD: i64 = 14;
const HEADER: i64 = 26;
const VGAP: i64 = 22;
const PORT: i64 = 22;
const TITLE_SIZE: i64 = 13;
const TEXT_SIZE: i64 = 12;
const EDGE_SIZE: i64 = 11;
const FONT: &str = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif";

/// Estimated text width: about 0.6 em per character (a little more for bold).
fn text_w(s: &str, size: i64, bold: bool) -> i64 {
    let n = s.chars().count() as i64;
    if bold { (n * size * 66 + 99) / 100 } else { (n * size * 60 + 99) / 100 }
}

/// Escapes text for XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Debug, Clone, Copy, Default)]
struct Rect {
    x: i64,
    y: i64,
    w: i64,
    h: i64,
}

impl Rect {
    fn cy(&self) -> i64 {
        self.y + self.h / 2
    }
    fn right(&self) -> i64 {
        self.x + self.w
    }
    fn bottom(&self) -> i64 {
        self.y + self.h
    }
}

struct EdgeDraw {
    from: usize,
    to: usize,
    kind: EdgeKind,
    points: Vec<(i64, i64)>,
    /// Text, right end x, baseline y.
    label: Option<(String, i64, i64)>,
}

struct Layout {
    width: i64,
    nodes: Vec<Rect>,
    groups: Vec<(Rect, String, usize)>,
    edges: Vec<EdgeDraw>,
    legend_y: i64,
}

fn node_size(lines: &[String]) -> (i64, i64) {
    let mut w = 0;
    for (k, l) in lines.iter().enumerate() {
        w = w.max(if k == 0 { text_w(l, TITLE_SIZE, true) } else { text_w(l, TEXT_SIZE, false) });
    }
    let h = 8 + TITLE_SIZE + 16 * (lines.len() as i64 - 1) + 12;
    (w + 24, h)
}

fn colors(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Internet => ("#f1f3f5", "#495057"),
        NodeKind::Balancer => ("#f3f0ff", "#7048e8"),
        NodeKind::Service => ("#e7f5ff", "#1c7ed6"),
        NodeKind::Database => ("#fff4e6", "#e8590c"),
        NodeKind::Gateway => ("#f8f9fa", "#868e96"),
        NodeKind::Resource(c) => match c {
            Concern::Main => ("#f1f3f5", "#495057"),
            Concern::Network => ("#ebfbee", "#2f9e44"),
            Concern::Balancer => ("#f3f0ff", "#7048e8"),
            Concern::Services => ("#e7f5ff", "#1c7ed6"),
            Concern::Scaling => ("#e3fafc", "#0c8599"),
            Concern::Iam => ("#fff9db", "#e67700"),
            Concern::Database => ("#fff4e6", "#e8590c"),
        },
    }
}

fn concern_name(c: Concern) -> &'static str {
    match c {
        Concern::Main => "main",
        Concern::Network => "network",
        Concern::Balancer => "balancer",
        Concern::Services => "services",
        Concern::Scaling => "scaling",
        Concern::Iam => "iam",
        Concern::Database => "database",
    }
}

fn edge_stroke(kind: EdgeKind) -> (&'static str, &'static str) {
    match kind {
        EdgeKind::Traffic => ("#495057", ""),
        EdgeKind::Route => ("#7048e8", ""),
        EdgeKind::Access => ("#e8590c", " stroke-dasharray=\"6 4\""),
        EdgeKind::Depends => ("#868e96", ""),
    }
}

pub fn render(d: &Diagram, level: Level) -> String {
    let layout = match level {
        Level::Architecture => architecture(d),
        Level::Resources => resources(d),
    };
    write(d, &layout, level)
}

fn architecture(d: &Diagram) -> Layout {
    let n = d.nodes.len();
    let mut cols: Vec<usize> = d.nodes.iter().map(|x| x.col).collect();
    cols.sort_unstable();
    cols.dedup();
    let ci = |c: usize| cols.iter().position(|&x| x == c).unwrap_or(0);
    let first_group_col = d.nodes.iter().filter(|x| x.kind != NodeKind::Internet).map(|x| ci(x.col)).min();

    // Sizes, with room for the ports.
    let mut ins = vec![0i64; n];
    let mut outs = vec![0i64; n];
    for e in &d.edges {
        outs[e.from] += 1;
        ins[e.to] += 1;
    }
    let mut size: Vec<(i64, i64)> = d.nodes.iter().map(|x| node_size(&x.lines)).collect();
    for (i, s) in size.iter_mut().enumerate() {
        s.1 = s.1.max((ins[i].max(outs[i]) + 1) * PORT);
    }
    let mut cw = vec![140i64; cols.len()];
    for (i, x) in d.nodes.iter().enumerate() {
        cw[ci(x.col)] = cw[ci(x.col)].max(size[i].0);
    }

    // Columns, with gaps sized for the lanes and labels of the edges entering them.
    let mut col_x = vec![0i64; cols.len()];
    let mut label_right = vec![0i64; cols.len()];
    let mut lane0 = vec![0i64; cols.len()];
    let mut x = MARGIN;
    for c in 0..cols.len() {
        let into: Vec<_> = d.edges.iter().filter(|e| ci(d.nodes[e.to].col) == c).collect();
        let lab =
            into.iter().filter_map(|e| e.label.as_deref()).map(|l| text_w(l, EDGE_SIZE, false) + 8).max().unwrap_or(0);
        let group_pad = if Some(c) == first_group_col { 2 * PAD } else { 0 };
        if c > 0 {
            lane0[c] = x + 16;
            x += 16 + into.len() as i64 * 10 + 14 + lab + 10;
            x = x.max(lane0[c] + 40);
        }
        label_right[c] = x - 8;
        x += group_pad;
        col_x[c] = x;
        x += cw[c];
    }
    let group_left = first_group_col.map(|c| col_x[c]).unwrap_or(MARGIN);
    // Wide enough for every group's label.
    let mut right = x;
    for g in &d.groups {
        let (w, depth) = if g.parent.is_none() {
            (text_w(&g.label, TEXT_SIZE, true), 2)
        } else {
            (text_w(&g.label, TEXT_SIZE, false), 1)
        };
        right = right.max(group_left - depth * PAD + w + 24 - depth * PAD);
    }

    // Rows: the tiers of each network, in order.
    let mut rects = vec![Rect::default(); n];
    let mut groups = Vec::new();
    let mut y = MARGIN + TITLE_H;
    let place_row = |members: &[usize], top: i64, rects: &mut Vec<Rect>| -> i64 {
        let mut row_h = 30;
        for c in 0..cols.len() {
            let cell: Vec<usize> = members.iter().copied().filter(|&i| ci(d.nodes[i].col) == c).collect();
            let h: i64 = cell.iter().map(|&i| size[i].1).sum::<i64>() + VGAP * (cell.len() as i64 - 1).max(0);
            row_h = row_h.max(h);
        }
        for c in 0..cols.len() {
            let cell: Vec<usize> = members.iter().copied().filter(|&i| ci(d.nodes[i].col) == c).collect();
            let h: i64 = cell.iter().map(|&i| size[i].1).sum::<i64>() + VGAP * (cell.len() as i64 - 1).max(0);
            let mut yy = top + (row_h - h) / 2;
            for i in cell {
                rects[i] = Rect { x: col_x[c], y: yy, w: cw[c], h: size[i].1 };
                yy += size[i].1 + VGAP;
            }
        }
        row_h
    };
    for g in d.children(None) {
        let net_top = y;
        y += HEADER;
        for t in d.children(Some(g)) {
            let tier_top = y;
            y += HEADER;
            let members: Vec<usize> = (0..n).filter(|&i| d.nodes[i].group == Some(t)).collect();
            y += place_row(&members, y, &mut rects) + PAD;
            groups.push((
                Rect { x: group_left - PAD, y: tier_top, w: right - group_left + 2 * PAD, h: y - tier_top },
                d.groups[t].label.clone(),
                1,
            ));
            y += 10;
        }
        y += PAD - 10;
        groups.push((
            Rect { x: group_left - 2 * PAD, y: net_top, w: right - group_left + 4 * PAD, h: y - net_top },
            d.groups[g].label.clone(),
            0,
        ));
        y += 24;
    }
    let loose: Vec<usize> =
        (0..n).filter(|&i| d.nodes[i].group.is_none() && d.nodes[i].kind != NodeKind::Internet).collect();
    if !loose.is_empty() {
        y += place_row(&loose, y, &mut rects) + 24;
    }
    // The internet, level with what it reaches.
    for i in 0..n {
        if d.nodes[i].kind == NodeKind::Internet {
            let targets: Vec<i64> = d.edges.iter().filter(|e| e.from == i).map(|e| rects[e.to].cy()).collect();
            let cy = if targets.is_empty() {
                MARGIN + TITLE_H + size[i].1 / 2
            } else {
                targets.iter().sum::<i64>() / targets.len() as i64
            };
            let c = ci(d.nodes[i].col);
            rects[i] = Rect { x: col_x[c], y: cy - size[i].1 / 2, w: cw[c], h: size[i].1 };
        }
    }

    // Ports, ordered by the other end's height so that edges leave without crossing.
    let mut out_port = vec![0i64; d.edges.len()];
    let mut in_port = vec![0i64; d.edges.len()];
    for i in 0..n {
        let mut o: Vec<usize> = (0..d.edges.len()).filter(|&e| d.edges[e].from == i).collect();
        o.sort_by_key(|&e| (rects[d.edges[e].to].cy(), e));
        for (k, &e) in o.iter().enumerate() {
            out_port[e] = rects[i].y + rects[i].h * (k as i64 + 1) / (o.len() as i64 + 1);
        }
        let mut inn: Vec<usize> = (0..d.edges.len()).filter(|&e| d.edges[e].to == i).collect();
        inn.sort_by_key(|&e| (rects[d.edges[e].from].cy(), e));
        for (k, &e) in inn.iter().enumerate() {
            in_port[e] = rects[i].y + rects[i].h * (k as i64 + 1) / (inn.len() as i64 + 1);
        }
    }
    let mut edges = Vec::new();
    for c in 0..cols.len() {
        let mut into: Vec<usize> = (0..d.edges.len()).filter(|&e| ci(d.nodes[d.edges[e].to].col) == c).collect();
        into.sort_by_key(|&e| (in_port[e], out_port[e], e));
        for (lane, &e) in into.iter().enumerate() {
            let de = &d.edges[e];
            let (sx, sy) = (rects[de.from].right(), out_port[e]);
            let (tx, ty) = (rects[de.to].x, in_port[e]);
            let lx = lane0[c] + lane as i64 * 10;
            let points = if sy == ty { vec![(sx, sy), (tx, ty)] } else { vec![(sx, sy), (lx, sy), (lx, ty), (tx, ty)] };
            edges.push(EdgeDraw {
                from: de.from,
                to: de.to,
                kind: de.kind,
                points,
                label: de.label.clone().map(|l| (l, label_right[c], ty - 5)),
            });
        }
    }
    let bottom = rects.iter().map(Rect::bottom).chain(groups.iter().map(|g| g.0.bottom())).max().unwrap_or(y);
    Layout { width: right + 2 * PAD + MARGIN, nodes: rects, groups, edges, legend_y: bottom + 20 }
}

#[derive(Clone, Copy, PartialEq)]
enum Item {
    Node(usize),
    /// A point of a long edge: the edge and the layer.
    Dummy(usize),
}

fn resources(d: &Diagram) -> Layout {
    let n = d.nodes.len();
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in &d.edges {
        preds[e.to].push(e.from);
    }
    // Longest-path layering; a cycle (which the IR never has) is cut where it is found.
    let mut layer: Vec<Option<usize>> = vec![None; n];
    fn visit(v: usize, preds: &[Vec<usize>], layer: &mut Vec<Option<usize>>, on: &mut Vec<bool>) -> usize {
        if let Some(l) = layer[v] {
            return l;
        }
        on[v] = true;
        let mut l = 0;
        for &p in &preds[v] {
            if !on[p] {
                l = l.max(visit(p, preds, layer, on) + 1);
            }
        }
        on[v] = false;
        layer[v] = Some(l);
        l
    }
    let mut on = vec![false; n];
    for v in 0..n {
        visit(v, &preds, &mut layer, &mut on);
    }
    let layer: Vec<usize> = layer.into_iter().map(Option::unwrap_or_default).collect();
    let layers = layer.iter().max().map_or(0, |m| m + 1);

    // Items per layer, and chains of items per edge.
    let mut items: Vec<Vec<Item>> = vec![Vec::new(); layers];
    for v in 0..n {
        items[layer[v]].push(Item::Node(v));
    }
    let mut chains: Vec<Vec<(usize, usize)>> = Vec::new(); // (layer, item id) along each edge
    let mut dummies: Vec<(usize, usize)> = Vec::new(); // (edge, layer)
    for (k, e) in d.edges.iter().enumerate() {
        let (a, b) = (layer[e.from], layer[e.to]);
        let mut chain = vec![(a, e.from)];
        if b > a {
            for l in a + 1..b {
                dummies.push((k, l));
                items[l].push(Item::Dummy(dummies.len() - 1));
                chain.push((l, n + dummies.len() - 1));
            }
        }
        chain.push((b, e.to));
        chains.push(chain);
    }
    let key = |it: Item| match it {
        Item::Node(v) => v,
        Item::Dummy(k) => n + k,
    };
    let total = n + dummies.len();
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); total];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); total];
    for chain in &chains {
        for w in chain.windows(2) {
            if w[1].0 == w[0].0 + 1 {
                down[w[0].1].push(w[1].1);
                up[w[1].1].push(w[0].1);
            }
        }
    }
    // Barycenter sweeps.
    let mut pos = vec![0f64; total];
    let set_pos = |items: &Vec<Vec<Item>>, pos: &mut Vec<f64>| {
        for layer in items {
            for (k, &it) in layer.iter().enumerate() {
                pos[key(it)] = k as f64;
            }
        }
    };
    set_pos(&items, &mut pos);
    for _ in 0..4 {
        for l in 1..layers {
            sort_layer(&mut items[l], &up, &pos, key);
            set_pos(&items, &mut pos);
        }
        for l in (0..layers.saturating_sub(1)).rev() {
            sort_layer(&mut items[l], &down, &pos, key);
            set_pos(&items, &mut pos);
        }
    }

    // Coordinates.
    let size: Vec<(i64, i64)> = d.nodes.iter().map(|x| node_size(&x.lines)).collect();
    let gap = 90;
    let mut lx = vec![0i64; layers];
    let mut lw = vec![0i64; layers];
    let mut x = MARGIN;
    for l in 0..layers {
        lw[l] = items[l]
            .iter()
            .filter_map(|&it| if let Item::Node(v) = it { Some(size[v].0) } else { None })
            .max()
            .unwrap_or(40);
        lx[l] = x;
        x += lw[l] + gap;
    }
    let item_h = |it: Item| match it {
        Item::Node(v) => size[v].1,
        Item::Dummy(_) => 8,
    };
    let layer_h: Vec<i64> =
        items.iter().map(|l| l.iter().map(|&it| item_h(it)).sum::<i64>() + 14 * (l.len() as i64 - 1).max(0)).collect();
    let max_h = layer_h.iter().copied().max().unwrap_or(0);
    let mut rects = vec![Rect::default(); n];
    let mut dummy_y = vec![0i64; dummies.len()];
    let top = MARGIN + TITLE_H;
    for l in 0..layers {
        let mut y = top + (max_h - layer_h[l]) / 2;
        for &it in &items[l] {
            match it {
                Item::Node(v) => rects[v] = Rect { x: lx[l], y, w: lw[l], h: size[v].1 },
                Item::Dummy(k) => dummy_y[k] = y + 4,
            }
            y += item_h(it) + 14;
        }
    }
    let mut edges = Vec::new();
    for (k, e) in d.edges.iter().enumerate() {
        let mut points = vec![(rects[e.from].right(), rects[e.from].cy())];
        for (dk, &(edge, l)) in dummies.iter().enumerate() {
            if edge == k {
                points.push((lx[l], dummy_y[dk]));
                points.push((lx[l] + lw[l], dummy_y[dk]));
            }
        }
        points.push((rects[e.to].x, rects[e.to].cy()));
        edges.push(EdgeDraw { from: e.from, to: e.to, kind: e.kind, points, label: None });
    }
    let width = (x - gap + MARGIN).max(2 * MARGIN);
    let bottom = top + max_h;
    Layout { width, nodes: rects, groups: Vec::new(), edges, legend_y: bottom + 24 }
}

fn sort_layer(layer: &mut [Item], nbrs: &[Vec<usize>], pos: &[f64], key: impl Fn(Item) -> usize) {
    let mut keyed: Vec<(f64, f64, Item)> = layer
        .iter()
        .map(|&it| {
            let k = key(it);
            let ns = &nbrs[k];
            let bary = if ns.is_empty() { pos[k] } else { ns.iter().map(|&m| pos[m]).sum::<f64>() / ns.len() as f64 };
            (bary, pos[k], it)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    for (slot, (_, _, it)) in layer.iter_mut().zip(keyed) {
        *slot = it;
    }
}

fn write(d: &Diagram, l: &Layout, level: Level) -> String {
    // The legend: swatches for node kinds, then edge kinds.
    let mut legend: Vec<(String, &'static str, &'static str, Option<EdgeKind>)> = Vec::new();
    match level {
        Level::Architecture => {
            for (kind, name) in [
                (NodeKind::Internet, "internet"),
                (NodeKind::Balancer, "load balancer"),
                (NodeKind::Service, "service (Fargate)"),
                (NodeKind::Database, "database (RDS)"),
                (NodeKind::Gateway, "NAT gateway / VPC endpoints"),
            ] {
                if d.nodes.iter().any(|x| x.kind == kind) {
                    let (f, s) = colors(kind);
                    legend.push((name.to_string(), f, s, None));
                }
            }
            for (kind, name) in [
                (EdgeKind::Traffic, "listener traffic"),
                (EdgeKind::Route, "route: path or host → service"),
                (EdgeKind::Access, "database access"),
            ] {
                if d.edges.iter().any(|e| e.kind == kind) {
                    let (s, _) = edge_stroke(kind);
                    legend.push((name.to_string(), "none", s, Some(kind)));
                }
            }
        }
        Level::Resources => {
            let mut seen: Vec<Concern> = Vec::new();
            for x in &d.nodes {
                if let NodeKind::Resource(c) = x.kind
                    && !seen.contains(&c)
                {
                    seen.push(c);
                }
            }
            seen.sort();
            for c in seen {
                let (f, s) = colors(NodeKind::Resource(c));
                legend.push((concern_name(c).to_string(), f, s, None));
            }
            let (s, _) = edge_stroke(EdgeKind::Depends);
            legend.push(("A → B: B refers to A".to_string(), "none", s, Some(EdgeKind::Depends)));
        }
    }
    let mut legend_w = MARGIN + text_w("Legend", TEXT_SIZE, true) + 16;
    for (name, ..) in &legend {
        legend_w += 40 + text_w(name, TEXT_SIZE, false) + 20;
    }
    let width = l.width.max(legend_w + MARGIN).max(MARGIN * 2 + text_w(&d.title, 15, true));
    let height = l.legend_y + 28 + MARGIN;

    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"{FONT}\" font-size=\"{TEXT_SIZE}\">"
    );
    let _ = writeln!(o, "<title>{}</title>", esc(&d.title));
    o.push_str("<defs>\n");
    for (name, color) in [("traffic", "#495057"), ("route", "#7048e8"), ("access", "#e8590c"), ("depends", "#868e96")] {
        let _ = writeln!(
            o,
            "<marker id=\"arrow-{name}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{color}\"/></marker>"
        );
    }
    o.push_str("</defs>\n");
    let _ = writeln!(
        o,
        "<rect class=\"background\" x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    let _ = writeln!(
        o,
        "<text class=\"title\" x=\"{MARGIN}\" y=\"{}\" font-size=\"15\" font-weight=\"bold\" fill=\"#212529\">{}</text>",
        MARGIN + 14,
        esc(&d.title)
    );

    let mut groups: Vec<&(Rect, String, usize)> = l.groups.iter().collect();
    groups.sort_by_key(|g| g.2);
    let group_style = |depth: usize| {
        if depth == 0 { ("#f8f9fa", "#495057", "") } else { ("#ffffff", "#adb5bd", " stroke-dasharray=\"5 3\"") }
    };
    for (r, _, depth) in &groups {
        let (fill, stroke, dash) = group_style(*depth);
        let _ = writeln!(
            o,
            "<rect class=\"group\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\"{dash}/>",
            r.x, r.y, r.w, r.h
        );
    }

    for e in &l.edges {
        let (stroke, dash) = edge_stroke(e.kind);
        let marker = match e.kind {
            EdgeKind::Traffic => "traffic",
            EdgeKind::Route => "route",
            EdgeKind::Access => "access",
            EdgeKind::Depends => "depends",
        };
        let mut path = String::new();
        for (k, (x, y)) in e.points.iter().enumerate() {
            let _ = write!(path, "{}{x},{y}", if k == 0 { "M" } else { " L" });
        }
        let _ = write!(
            o,
            "<g class=\"edge\" data-from=\"{}\" data-to=\"{}\"><path d=\"{path}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"1.5\"{dash} marker-end=\"url(#arrow-{marker})\"/>",
            esc(&d.nodes[e.from].key),
            esc(&d.nodes[e.to].key)
        );
        if let Some((text, right, base)) = &e.label {
            let w = text_w(text, EDGE_SIZE, false);
            let _ = write!(
                o,
                "<rect class=\"label\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"15\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\"/><text x=\"{right}\" y=\"{base}\" font-size=\"{EDGE_SIZE}\" text-anchor=\"end\" fill=\"#343a40\">{}</text>",
                right - w - 3,
                base - 11,
                w + 6,
                esc(text)
            );
        }
        o.push_str("</g>\n");
    }

    // Group labels over the edges that pass under them.
    for (r, label, depth) in &groups {
        let (fill, ..) = group_style(*depth);
        let bold = *depth == 0;
        let w = text_w(label, TEXT_SIZE, bold);
        let _ = writeln!(
            o,
            "<g class=\"group-label\"><rect class=\"group-label\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\" fill=\"{fill}\"/><text x=\"{}\" y=\"{}\" font-size=\"{TEXT_SIZE}\" font-weight=\"{}\" fill=\"#495057\">{}</text></g>",
            r.x + 6,
            r.y + 5,
            w + 8,
            r.x + 10,
            r.y + 17,
            if bold { "bold" } else { "normal" },
            esc(label)
        );
    }

    for (i, r) in l.nodes.iter().enumerate() {
        let node = &d.nodes[i];
        let (fill, stroke) = colors(node.kind);
        let dash = if node.kind == NodeKind::Gateway { " stroke-dasharray=\"4 3\"" } else { "" };
        let rx = if node.kind == NodeKind::Internet { r.h / 2 } else { 6 };
        let _ = write!(
            o,
            "<g class=\"node\" data-key=\"{}\"><rect class=\"node\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{rx}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"{dash}/>",
            esc(&node.key),
            r.x,
            r.y,
            r.w,
            r.h
        );
        let lines_h = TITLE_SIZE + 16 * (node.lines.len() as i64 - 1);
        let mut y = r.y + (r.h - lines_h) / 2 + TITLE_SIZE - 2;
        for (k, line) in node.lines.iter().enumerate() {
            let (size, weight, color) =
                if k == 0 { (TITLE_SIZE, "bold", "#212529") } else { (TEXT_SIZE, "normal", "#495057") };
            let _ = write!(
                o,
                "<text x=\"{}\" y=\"{y}\" font-size=\"{size}\" font-weight=\"{weight}\" text-anchor=\"middle\" fill=\"{color}\">{}</text>",
                r.x + r.w / 2,
                esc(line)
            );
            y += 16;
        }
        o.push_str("</g>\n");
    }

    // Legend.
    let y = l.legend_y;
    let _ = write!(
        o,
        "<g class=\"legend\"><text x=\"{MARGIN}\" y=\"{}\" font-weight=\"bold\" fill=\"#495057\">Legend</text>",
        y + 13
    );
    let mut x = MARGIN + text_w("Legend", TEXT_SIZE, true) + 16;
    for (name, fill, stroke, edge) in &legend {
        match edge {
            None => {
                let _ = write!(
                    o,
                    "<rect class=\"legend\" x=\"{x}\" y=\"{y}\" width=\"30\" height=\"18\" rx=\"4\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>"
                );
            }
            Some(kind) => {
                let (_, dash) = edge_stroke(*kind);
                let _ = write!(
                    o,
                    "<path d=\"M{x},{} L{},{}\" stroke=\"{stroke}\" stroke-width=\"1.5\"{dash} fill=\"none\"/>",
                    y + 9,
                    x + 30,
                    y + 9
                );
            }
        }
        let _ = write!(o, "<text x=\"{}\" y=\"{}\" fill=\"#343a40\">{}</text>", x + 38, y + 13, esc(name));
        x += 40 + text_w(name, TEXT_SIZE, false) + 20;
    }
    o.push_str("</g>\n</svg>\n");
    o
}
