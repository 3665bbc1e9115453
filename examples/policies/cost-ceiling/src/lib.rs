//! The stack's Fargate compute stays under a monthly ceiling, computed from each service's
//! task size, task count (its scaling maximum by default) and capacity mix (on-demand and
//! spot), at the region's published per-hour prices:
//! `config = { max = 400, basis = "max" }` (dollars a month; `basis = "desired"` to price
//! the usual count instead of the worst case).

use fg_policy_sdk::*;

struct CostCeiling;

/// Hours in an average month.
const HOURS: f64 = 730.0;

/// Linux Fargate prices in USD (2025 price lists): on-demand per vCPU-hour and per
/// GB-hour for x86_64, then ARM64, then spot (x86_64).
#[rustfmt::skip]
const PRICES: &[(&str, [f64; 6])] = &[
    ("us-east-1",      [0.04048, 0.004445, 0.03238, 0.00356, 0.012144, 0.0013335]),
    ("us-east-2",      [0.04048, 0.004445, 0.03238, 0.00356, 0.012144, 0.0013335]),
    ("us-west-2",      [0.04048, 0.004445, 0.03238, 0.00356, 0.012144, 0.0013335]),
    ("eu-west-1",      [0.04048, 0.004445, 0.03238, 0.00356, 0.012144, 0.0013335]),
    ("eu-west-2",      [0.04656, 0.00511,  0.03725, 0.00409, 0.013968, 0.001533]),
    ("eu-central-1",   [0.04656, 0.00511,  0.03725, 0.00409, 0.013968, 0.001533]),
    ("ap-southeast-1", [0.05056, 0.00553,  0.04045, 0.00442, 0.015168, 0.001659]),
    ("ap-northeast-1", [0.05056, 0.00553,  0.04045, 0.00442, 0.015168, 0.001659]),
];

impl Policy for CostCeiling {
    fn metadata() -> Metadata {
        Metadata::new("cost-ceiling", env!("CARGO_PKG_VERSION"))
            .rule("cost-ceiling", "Fargate compute stays under the monthly ceiling")
    }

    fn evaluate(ir: &Ir, config: &Config) -> Result<Vec<Finding>, String> {
        let max: f64 = config.get("max")?;
        let basis: String = config.get_or("basis", "max".to_string())?;
        let Some((_, p)) = PRICES.iter().find(|(r, _)| *r == ir.region) else {
            let known: Vec<&str> = PRICES.iter().map(|(r, _)| *r).collect();
            return Err(format!("no Fargate prices for `{}`; known regions: {}", ir.region, known.join(", ")));
        };
        let mut costs: Vec<(f64, &Resource, String)> = Vec::new();
        for svc in ir.resources_of("aws_ecs_service") {
            let task = svc.attr("task_definition").and_then(Val::as_ref_id).and_then(|id| ir.get(id));
            let Some(task) = task else { continue };
            let vcpu = task.str("cpu").and_then(|c| c.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0;
            let gb = task.str("memory").and_then(|m| m.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0;
            let arm = task.blocks("runtime_platform").any(|b| b.str("cpu_architecture") == Some("ARM64"));
            let scaling = ir.referrers(&svc.id).find(|r| r.kind == "aws_appautoscaling_target");
            let tasks = match (scaling, basis.as_str()) {
                (Some(t), "max") => t.int("max_capacity").unwrap_or(0),
                (Some(t), _) => t.int("min_capacity").unwrap_or(0).max(svc.int("desired_count").unwrap_or(0)),
                (None, _) => svc.int("desired_count").unwrap_or(0),
            } as f64;
            let spot = spot_share(svc, tasks);
            let on_demand = if arm { p[2] * vcpu + p[3] * gb } else { p[0] * vcpu + p[1] * gb };
            let spot_price = p[4] * vcpu + p[5] * gb;
            let monthly = HOURS * tasks * ((1.0 - spot) * on_demand + spot * spot_price);
            costs.push((monthly, svc, format!("{} ${monthly:.0}", svc.decl())));
        }
        let total: f64 = costs.iter().map(|c| c.0).sum();
        costs.sort_by(|a, b| b.0.total_cmp(&a.0));
        let Some((_, top, _)) = costs.first().filter(|_| total > max) else {
            return Ok(Vec::new());
        };
        let breakdown: Vec<&str> = costs.iter().map(|c| c.2.as_str()).collect();
        Ok(vec![
            Finding::error(
                "cost-ceiling",
                format!("Fargate compute costs ${total:.0} a month in `{}` ({basis} task counts), above the ceiling of ${max:.0}", ir.env),
            )
            .on(top)
            .help(format!("by service: {}; use smaller tasks, fewer tasks, spot capacity or ARM64", breakdown.join(", "))),
        ])
    }
}

/// The share of a service's tasks on FARGATE_SPOT under its capacity provider strategy.
fn spot_share(svc: &Resource, tasks: f64) -> f64 {
    let strategy: Vec<(bool, f64, f64)> = svc
        .blocks("capacity_provider_strategy")
        .map(|b| {
            let spot = b.str("capacity_provider") == Some("FARGATE_SPOT");
            (spot, b.num("base").unwrap_or(0.0), b.num("weight").unwrap_or(0.0))
        })
        .collect();
    if strategy.is_empty() || tasks <= 0.0 {
        return 0.0;
    }
    // `base` tasks go first to their provider; the rest split by weight.
    let base_spot: f64 = strategy.iter().filter(|s| s.0).map(|s| s.1).sum();
    let base: f64 = strategy.iter().map(|s| s.1).sum::<f64>().min(tasks);
    let weights: f64 = strategy.iter().map(|s| s.2).sum();
    let weight_spot: f64 = strategy.iter().filter(|s| s.0).map(|s| s.2).sum();
    let rest = tasks - base;
    let spot = base_spot.min(base) + if weights > 0.0 { rest * weight_spot / weights } else { 0.0 };
    spot / tasks
}

export_policy!(CostCeiling);
