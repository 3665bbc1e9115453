//! Unit tests through one helper: source in, diagnostic codes (and lines) out.

use crate::{MemoryHost, Options, analyze};

const HEADER: &str = "app \"shop\" { region = \"eu-west-1\" }\nnetwork main {}\n";

/// Codes and 1-based lines of the diagnostics for `src` (after a standard header).
fn codes(src: &str) -> Vec<(String, u32)> {
    let text = format!("{HEADER}{src}");
    let host = MemoryHost::new().with("main.fg", &text);
    let a = analyze(&host, "main.fg", &Options { env: None, all_envs: true });
    a.diagnostics
        .iter()
        .map(|d| {
            (d.code.0.to_string(), a.sources.get(d.primary.span.file).line_col(d.primary.span.start as usize).line)
        })
        .collect()
}

fn check(src: &str, expect: &[(&str, u32)]) {
    let got = codes(src);
    let want: Vec<(String, u32)> = expect.iter().map(|(c, l)| ((*c).to_string(), *l)).collect();
    assert_eq!(got, want, "\n{src}");
}

#[test]
fn clean_service() {
    check("service web { image = \"nginx\" }", &[]);
}

#[test]
fn memory_is_derived_from_cpu() {
    let host = MemoryHost::new().with("m.fg", &format!("{HEADER}service web {{ image = \"x\", cpu = 1024 }}"));
    let a = analyze(&host, "m.fg", &Options::default());
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    assert_eq!(a.model.services[0].memory_mib, 2048);
    assert!(a.model.services[0].memory_derived);
}

#[test]
fn fargate_memory_table() {
    check("service web { image = \"x\", cpu = 256, memory = 4GiB }", &[("FG0302", 3)]);
    check("service web { image = \"x\", cpu = 300 }", &[("FG0301", 3)]);
    check("service web { image = \"x\", cpu = 0.5vcpu, memory = 3GiB }", &[]);
}

#[test]
fn units() {
    check("service web { image = \"x\", memory = 512 }", &[("FG0203", 3)]);
    check("service web { image = \"x\", log_retention = 7days }", &[("FG0202", 3)]);
    check("service web { image = \"x\", count = 1.5 }", &[("FG0204", 3)]);
}

#[test]
fn names_and_fields() {
    check("service web { image = \"x\", memroy = 1GiB }", &[("FG0105", 3)]);
    check("servce web { image = \"x\" }", &[("FG0101", 3)]);
    check("service web { cpu = 256 }", &[("FG0107", 3)]);
    check("service web { image = \"x\" }\nservice web { image = \"y\" }", &[("FG0102", 4)]);
}

#[test]
fn spread_and_env() {
    check("let base = { cpu = 512, memory = 1GiB }\nservice web { ...base, image = \"x\", memory = 2GiB }", &[]);
    check("let a = { ...b }\nlet b = { ...a }", &[("FG0110", 4)]);
}

#[test]
fn step_intervals() {
    check(
        "service web {\n image = \"x\"\n scale {\n  max = 4\n  step cpu >= 80% => +1\n  step cpu >= 90% => +2\n }\n}",
        &[("FG0402", 8)],
    );
    check(
        "service web {\n image = \"x\"\n scale {\n  max = 4\n  step cpu >= 80% < 85% => +1\n  step cpu >= 90% => +2\n }\n}",
        &[("FG0403", 8)],
    );
    check(
        "service web {\n image = \"x\"\n scale {\n  max = 4\n  step cpu >= 80% < 90% => +1\n  step cpu >= 90% => +2\n  step cpu <= 10% => -1\n }\n}",
        &[],
    );
}

#[test]
fn database_access() {
    check("database db { engine = postgres }", &[("FG0501", 3)]);
    check(
        "database db { engine = postgres, access = [web] }\nservice web { image = \"x\", secrets = { P = db.password }, environment = { H = db.address } }",
        &[],
    );
    check(
        "database db { engine = postgres, access = [web] }\nservice web { image = \"x\" }\nservice api { image = \"x\", environment = { H = \"${db.address}\" } }",
        &[("FG0503", 5)],
    );
    check(
        "database db { engine = postgres, access = [web], password = \"hunter2\" }\nservice web { image = \"x\" }",
        &[("FG0502", 3)],
    );
}

#[test]
fn long_let_chains_do_not_exhaust_the_stack() {
    let mut src = String::new();
    for i in 0..5000 {
        src.push_str(&format!("let l{i} = l{}\n", i + 1));
    }
    src.push_str("let l5000 = 1\n");
    let got = codes(&src);
    assert!(got.iter().any(|(c, _)| c == "FG0110"), "{got:?}");
}

/// What `fgc deploy` refuses before releasing: images the service's tasks could not pull.
#[test]
fn released_images_must_be_pullable_by_the_service() {
    use crate::image::{ImageError, PullProblem, pull_problem};
    let src = "app \"shop\" { region = \"eu-west-1\" }
network open { nat = single }
network closed { nat = none, endpoints = [ecr, logs, s3], cidr = 10.1.0.0/16 }
repository images { name = \"shop/api\" }
service hub { image = \"nginx:1.27\", network = open }
service own { image = \"${images.url}:v1\", network = closed }
service ecr {
  image = \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/ecr:1\"
  network = open
  sidecar log { image = \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/log:1\" }
}
";
    let host = MemoryHost::new().with("m.fg", src);
    let a = analyze(&host, "m.fg", &Options::default());
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    let problem = |svc: &str, image: &str| pull_problem(&a.model, a.model.service(svc).expect(svc), image);
    let ecr = |repo: &str| format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/{repo}:2");

    // Public registries need a way out; ECR needs the execution role's permission.
    assert_eq!(problem("hub", "nginx:1.28"), None);
    let not_permitted = |repository: &str, allowed: &[&str]| PullProblem::NotPermitted {
        repository: repository.into(),
        allowed: allowed.iter().map(|a| a.to_string()).collect(),
    };
    assert_eq!(problem("hub", &ecr("acme/hub")), Some(not_permitted("acme/hub", &[])));
    assert_eq!(problem("ecr", &ecr("acme/ecr")), None);
    assert_eq!(problem("ecr", &ecr("acme/log")), None);
    assert_eq!(problem("ecr", &ecr("acme/other")), Some(not_permitted("acme/other", &["acme/ecr", "acme/log"])));
    assert_eq!(problem("own", &ecr("shop/api")), None);
    // Behind endpoints only, nothing outside the region's ECR.
    let outside = PullProblem::OutsideRegion { network: "closed".into(), region: "eu-west-1".into() };
    assert_eq!(problem("own", "nginx:1.28"), Some(outside.clone()));
    assert_eq!(problem("own", "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:2"), Some(outside.clone()));
    assert_eq!(problem("own", "shop api"), Some(PullProblem::Malformed(ImageError::Character(' '))));
    for p in [outside, not_permitted("a", &[]), not_permitted("a", &["b"])] {
        assert!(!p.reason("own", "x").is_empty() && !p.help("own").is_empty());
    }
}

#[test]
fn cors_origins_are_scheme_host_and_port() {
    use crate::aws::cors_origin_problem as problem;
    for ok in ["*", "https://app.example.com", "http://localhost:3000", "https://*.example.com", "app-scheme+x://h"] {
        assert_eq!(problem(ok), None, "{ok}");
    }
    for bad in
        ["app.example.com", "https://app.example.com/", "https://a.com/x", "https://a.com:80a", "https://a b", "://a"]
    {
        assert!(problem(bad).is_some(), "{bad}");
    }
}
