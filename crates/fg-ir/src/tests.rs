use fg_check::{MemoryHost, Options, analyze};

use crate::lower;

fn ir_of(src: &str) -> crate::Ir {
    let host = MemoryHost::new().with("m.fg", src);
    let a = analyze(&host, "m.fg", &Options::default());
    assert!(!a.has_errors(), "{:#?}", a.diagnostics);
    lower(&a.model, &a.sources)
}

const STACK: &str = r#"
app "shop" { region = "eu-west-1" }
network main { nat = per_zone, zones = 2 }
balancer web {
  listener https {
    certificate = "arn:aws:acm:eu-west-1:123456789012:certificate/x"
    route "/api/*" -> api
  }
}
database db { engine = postgres, access = [api] }
service api {
  image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1"
  port = 8080
  secrets = { DB_PASSWORD = db.password, TOKEN = ssm("/shop/token") }
  environment = { DB_HOST = db.address }
  health { path = "/health" }
  scale { min = 2, max = 4, target cpu 70%, step memory >= 90% => +2 }
}
"#;

#[test]
fn ids_are_stable_and_references_resolve() {
    let ir = ir_of(STACK);
    let ids: Vec<&str> = ir.resources.iter().map(|r| r.id.as_str()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "duplicate ids");
    for r in &ir.resources {
        for d in &r.depends_on {
            assert!(ids.contains(&d.as_str()), "{} refers to missing {d}", r.id);
        }
    }
    for want in [
        "network.main/vpc",
        "network.main/nat/1",
        "network.main/route-table/private/1",
        "balancer.web/listener/443",
        "balancer.web/listener/80",
        "balancer.web/listener/443/rule/10",
        "service.api/tg",
        "service.api/task",
        "service.api/service",
        "service.api/scaling/target-cpu",
        "service.api/scaling/step-memory-out",
        "service.api/alarm/memory-high",
        "database.db/instance",
        "database.db/sg/ingress/api",
    ] {
        assert!(ids.contains(&want), "missing {want}: {ids:?}");
    }
}

#[test]
fn lowering_is_deterministic() {
    let a = serde_json::to_string(&ir_of(STACK)).unwrap();
    let b = serde_json::to_string(&ir_of(STACK)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn execution_role_reads_exactly_its_secrets_and_logs() {
    let ir = ir_of(STACK);
    let policy = ir.get("service.api/execution-policy").unwrap();
    let text = serde_json::to_string(policy.attr("policy").unwrap()).unwrap();
    assert!(text.contains("ssm:GetParameters"));
    assert!(text.contains("secretsmanager:GetSecretValue"));
    assert!(text.contains("master_user_secret[0].secret_arn"));
    assert!(text.contains("repository/api"));
    assert!(!text.contains("\"*\"") || text.contains("ecr:GetAuthorizationToken"));
}
