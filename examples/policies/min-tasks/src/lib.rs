//! Every service runs at least `min` tasks: its desired count, or its scaling minimum when
//! it scales. Per environment with `config = { min = env { prod = 2, _ = 1 } }`.

use fg_policy_sdk::*;

struct MinTasks;

impl Policy for MinTasks {
    fn metadata() -> Metadata {
        Metadata::new("min-tasks", env!("CARGO_PKG_VERSION"))
            .rule("min-tasks", "every service runs at least `min` tasks")
    }

    fn evaluate(ir: &Ir, config: &Config) -> Result<Vec<Finding>, String> {
        let min: i64 = config.get("min")?;
        let mut findings = Vec::new();
        for svc in ir.resources_of("aws_ecs_service") {
            // A scaled service's floor is its scaling target's minimum.
            let scaling = ir.referrers(&svc.id).find(|r| r.kind == "aws_appautoscaling_target");
            let (at, attr, tasks) = match scaling {
                Some(t) => (t, "min_capacity", t.int("min_capacity").unwrap_or(0)),
                None => (svc, "desired_count", svc.int("desired_count").unwrap_or(0)),
            };
            if tasks < min {
                findings.push(
                    Finding::error("min-tasks", format!("`{}` runs {tasks} task(s) in `{}`, fewer than {min}", svc.decl(), ir.env))
                        .on(at)
                        .attribute(attr)
                        .help(format!("set `count = {min}` (or `scale {{ min = {min} }}`) so one failed task does not take the service down")),
                );
            }
        }
        Ok(findings)
    }
}

export_policy!(MinTasks);
