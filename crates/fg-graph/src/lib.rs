//! Diagrams of a checked stack, drawn by fgc itself.
//!
//! [`render`] turns the checked [`Model`] and its [`Ir`] into a diagram at one of two
//! levels:
//!
//! - [`Level::Architecture`]: the internet, the load balancers with their listeners, the
//!   routes (path or host → service) as labelled edges, the services (size, count,
//!   scaling range) and the databases with the services that may reach them, grouped in
//!   nested boxes: network (VPC CIDR) → subnet tier (zones and subnet CIDRs in its label).
//! - [`Level::Resources`]: every IR resource (kind and id) and every `depends_on`
//!   reference, laid out in layers (longest-path layering, barycenter ordering).
//!
//! in one of three formats: SVG laid out here (deterministic, no overlapping boxes, edges
//! run only through the gaps between columns), Graphviz DOT and a Mermaid flowchart.
//!
//! What it does not do: any I/O (the caller writes the text), any checking (it trusts the
//! model and IR it is given), or layout of DOT and Mermaid output, which Graphviz and
//! Mermaid lay out themselves.

mod diagram;
mod svg;
mod text;

use fg_check::Model;
use fg_ir::Ir;

pub use diagram::{Diagram, Edge, EdgeKind, Group, Node, NodeKind};

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Mermaid,
    Dot,
}

/// How much to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Balancers, routes, services and databases in their network and subnet tiers.
    Architecture,
    /// Every IR resource and dependency.
    Resources,
}

/// Renders a diagram of the stack. Deterministic: the same inputs give the same text.
pub fn render(model: &Model, ir: &Ir, format: Format, level: Level) -> String {
    let d = diagram(model, ir, level);
    match format {
        Format::Svg => svg::render(&d, level),
        Format::Mermaid => text::mermaid(&d),
        Format::Dot => text::dot(&d),
    }
}

/// The diagram before it is written in a format: nodes, edges and groups.
pub fn diagram(model: &Model, ir: &Ir, level: Level) -> Diagram {
    match level {
        Level::Architecture => diagram::architecture(model),
        Level::Resources => diagram::resources(ir),
    }
}
