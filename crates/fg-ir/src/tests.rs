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

const INGRESS: &str = r#"
app "shop" { region = "eu-west-1" }
network main { nat = none, endpoints = [ecr, logs, s3] }
repository images { keep = 5 }
balancer lb {
  scheme = internal
  listener http { route "/v1/*" -> api }
}
api gw {
  balancer = lb
  stage    = "v1"
  route "GET /a-b" -> api
  route "GET /a/b" -> api
  route "$default" -> api
}
service api {
  image = "${images.url}:abc"
  port  = 8080
  deployment {
    strategy        = blue_green
    shift           = SHIFT
    test_port       = 9000
    rollback_alarms = [unhealthy]
    alarms          = ["shop-latency"]
  }
}
"#;

fn attr<'a>(ir: &'a crate::Ir, id: &str, name: &str) -> &'a crate::Val {
    let r = ir.get(id).unwrap_or_else(|| panic!("no resource {id}"));
    r.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v).unwrap_or_else(|| panic!("{id} has no {name}"))
}

#[test]
fn an_api_reaches_only_its_balancer_through_the_vpc_link() {
    let ir = ir_of(&INGRESS.replace("SHIFT", "all_at_once"));
    let routes: Vec<&str> =
        ir.resources.iter().filter(|r| r.kind == "aws_apigatewayv2_route").map(|r| r.id.as_str()).collect();
    assert_eq!(routes, ["api.gw/route/get-a-b", "api.gw/route/get-a-b-2", "api.gw/route/default"], "ids stay unique");
    assert_eq!(
        *attr(&ir, "api.gw/integration/80", "integration_uri"),
        crate::Val::reference("balancer.lb/listener/80", "arn")
    );
    assert_eq!(*attr(&ir, "api.gw/integration/80", "connection_id"), crate::Val::reference("api.gw/vpc-link", "id"));
    let egress: Vec<&crate::Resource> =
        ir.resources.iter().filter(|r| r.id.starts_with("api.gw/sg/") && r.kind.ends_with("_rule")).collect();
    assert_eq!(egress.len(), 1, "one rule: out to the balancer's listener port");
    assert_eq!(
        *attr(&ir, "api.gw/sg/egress/80", "referenced_security_group_id"),
        crate::Val::reference("balancer.lb/sg", "id")
    );
    assert_eq!(*attr(&ir, "api.gw/stage", "name"), crate::Val::str("v1"));
    // The execution role pulls from the stack's repository, by reference.
    let policy = format!("{:?}", attr(&ir, "service.api/execution-policy", "policy"));
    assert!(policy.contains("repository.images/repo"), "{policy}");
}

#[test]
fn traffic_shifting_uses_aws_configurations_where_they_match() {
    let ir = ir_of(&INGRESS.replace("SHIFT", "canary"));
    assert_eq!(
        *attr(&ir, "service.api/deployment-group", "deployment_config_name"),
        crate::Val::str("CodeDeployDefault.ECSCanary10Percent5Minutes")
    );
    assert!(ir.get("service.api/deployment-config").is_none());
    let ir = ir_of(&INGRESS.replace("SHIFT", "linear\n    shift_percent = 25%\n    shift_interval = 2m"));
    assert_eq!(
        *attr(&ir, "service.api/deployment-group", "deployment_config_name"),
        crate::Val::reference("service.api/deployment-config", "deployment_config_name")
    );
    let routing = format!("{:?}", attr(&ir, "service.api/deployment-config", "traffic_routing_config"));
    assert!(
        routing.contains("TimeBasedLinear") && routing.contains("Int(25)") && routing.contains("Int(2)"),
        "{routing}"
    );
    // The test listener, the alarms on both target groups, and the rollback events.
    assert_eq!(
        ir.get("balancer.lb/listener/9000").map(|r| r.managed_elsewhere.clone()),
        Some(vec!["default_action".to_string()])
    );
    assert!(
        ir.get("service.api/alarm/unhealthy-blue").is_some() && ir.get("service.api/alarm/unhealthy-green").is_some()
    );
    let group = format!("{:?}", ir.get("service.api/deployment-group").map(|r| &r.attrs));
    assert!(
        group.contains("DEPLOYMENT_STOP_ON_ALARM")
            && group.contains("shop-latency")
            && group.contains("test_traffic_route"),
        "{group}"
    );
    assert_eq!(
        ir.get("balancer.lb/listener/80/rule/10").map(|r| r.managed_elsewhere.clone()),
        Some(vec!["action".to_string()])
    );
}
