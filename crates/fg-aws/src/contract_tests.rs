//! The contract covers the lowering: every (kind, attribute) that any example or Terraform
//! case emits, in every environment, is declared by the kind's module, and the contract
//! says the same as the tables themselves (no kind twice, no attribute twice).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fg_deploy::Contracts;

fn stacks() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["examples", "tests/terraform/cases"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "fg")));
    }
    files.sort();
    files
}

/// The IR of a stack in each of its environments.
fn irs(path: &Path) -> Vec<fg_ir::Ir> {
    let text = std::fs::read_to_string(path).expect("read stack");
    let host = fg_check::MemoryHost::new().with("stack.fg", &text);
    let first = fg_check::analyze(&host, "stack.fg", &fg_check::Options::default());
    let mut envs = first.model.app.environments.clone();
    if envs.is_empty() {
        envs.push(String::new());
    }
    envs.iter()
        .map(|env| {
            let opts = fg_check::Options { env: (!env.is_empty()).then(|| env.clone()), all_envs: false };
            let a = fg_check::analyze(&host, "stack.fg", &opts);
            assert!(!a.has_errors(), "{} ({env}) does not check", path.display());
            fg_ir::lower(&a.model, &a.sources)
        })
        .collect()
}

#[test]
fn every_attribute_the_lowering_emits_is_declared() {
    let mut undeclared: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut seen = 0;
    for path in stacks() {
        for ir in irs(&path) {
            for d in fg_deploy::desired(&ir) {
                let spec = crate::Contract.contract(&d.kind);
                for pair in d.attrs.as_array().map(Vec::as_slice).unwrap_or_default() {
                    let Some(name) = pair.get(0).and_then(|n| n.as_str()) else { continue };
                    seen += 1;
                    if spec.and_then(|k| k.handling(name)).is_none() {
                        undeclared.entry(d.kind.clone()).or_default().insert(name.to_string());
                    }
                }
            }
        }
    }
    assert!(seen > 1000, "only {seen} attributes lowered: are the examples there?");
    assert!(undeclared.is_empty(), "attributes the AWS backend does not declare: {undeclared:#?}");
}

#[test]
fn each_kind_and_attribute_is_declared_once() {
    let mut kinds = BTreeSet::new();
    for k in crate::kinds() {
        assert!(kinds.insert(k.kind), "`{}` is declared twice", k.kind);
        let mut names = BTreeSet::new();
        for (name, _) in k.attrs {
            assert!(names.insert(*name), "`{}.{name}` is declared twice", k.kind);
        }
        // Tags travel together: the plan adds `tags_all` wherever there are `tags`.
        assert_eq!(k.handling("tags").is_some(), k.handling("tags_all").is_some(), "`{}`: tags and tags_all", k.kind);
    }
    assert!(kinds.len() >= 44, "{} kinds", kinds.len());
}
