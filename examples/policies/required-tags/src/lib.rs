//! Every resource carries the tags an organisation requires (cost allocation, ownership),
//! with one of the allowed values where a list is given:
//! `config = { required = ["team", "cost-center"], allowed = { team = ["payments", "search"] } }`.

use std::collections::BTreeMap;

use fg_policy_sdk::*;

struct RequiredTags;

impl Policy for RequiredTags {
    fn metadata() -> Metadata {
        Metadata::new("required-tags", env!("CARGO_PKG_VERSION"))
            .rule("missing-tag", "every resource carries the required tags")
            .rule("tag-value", "tags take one of their allowed values")
    }

    fn evaluate(ir: &Ir, config: &Config) -> Result<Vec<Finding>, String> {
        let required: Vec<String> = config.get("required")?;
        let allowed: BTreeMap<String, Vec<String>> = config.get_or("allowed", BTreeMap::new())?;
        let mut findings = Vec::new();
        // Stack-wide tags reach every resource, so a missing one is reported once, at the app.
        let anchor = ir.resources.iter().find(|r| r.decl() == "app" && !r.data);
        for key in &required {
            if !ir.tags.contains_key(key) && !ir.resources.iter().any(|r| r.tags().contains_key(key.as_str())) {
                let mut f = Finding::error("missing-tag", format!("no resource of the stack is tagged `{key}`"))
                    .help(format!("add it to the app: `tags = {{ {key} = \"…\" }}`"));
                if let Some(a) = anchor {
                    f = f.on(a).attribute("tags");
                }
                findings.push(f);
            }
        }
        for (key, values) in &allowed {
            let bad = |v: &str| !values.iter().any(|a| a == v);
            if let Some(v) = ir.tags.get(key).filter(|v| bad(v)) {
                let mut f = Finding::error(
                    "tag-value",
                    format!("the stack's tag `{key}` is `{v}`, not one of {}", values.join(", ")),
                );
                if let Some(a) = anchor {
                    f = f.on(a).attribute(format!("tags.{key}"));
                }
                findings.push(f);
            }
            for r in ir.resources.iter().filter(|r| !r.data) {
                if let Some(v) = r.tags().get(key.as_str()).filter(|v| bad(v)) {
                    findings.push(
                        Finding::error(
                            "tag-value",
                            format!("tag `{key}` of `{}` is `{v}`, not one of {}", r.id, values.join(", ")),
                        )
                        .on(r)
                        .attribute(format!("tags.{key}")),
                    );
                }
            }
        }
        Ok(findings)
    }
}

export_policy!(RequiredTags);
