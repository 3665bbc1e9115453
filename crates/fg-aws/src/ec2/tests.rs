//! The EC2 module against moto (`python3 -m moto.server`, started here on a free port;
//! skipped when it cannot start): a rule added by hand is read as `unmanaged_rules` and
//! revoked, a rule and an endpoint change in place, and an adoption never takes another
//! resource's place when the emulator ignores a tag filter.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_ec2::types::{IpPermission, IpRange};
use fg_deploy::{AttrChange, Deployed, Origin, Resolved, State};
use serde_json::{Value, json};

use super::{create, read, update};
use crate::changes::Changes;
use crate::{Aws, Target};

/// The moto server of one test, stopped when dropped.
struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn moto() -> Option<(Moto, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = Command::new("python3")
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let server = Moto(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((server, format!("http://127.0.0.1:{port}")));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}

async fn connect(endpoint: String) -> Aws {
    let target = Target {
        region: "eu-west-1".into(),
        profile: None,
        endpoint: Some(endpoint),
        credentials: Some(("testing".into(), "testing".into())),
    };
    let tags =
        BTreeMap::from([("fgc:app".to_string(), "net".to_string()), ("fgc:env".to_string(), "test".to_string())]);
    Aws::connect(&target, tags).await
}

fn resolved(id: &str, kind: &str, attrs: Value) -> Resolved {
    let attrs = attrs.as_object().map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    Resolved { id: id.into(), kind: kind.into(), attrs }
}

fn deployed(r: &Resolved, c: &fg_deploy::Created) -> Deployed {
    Deployed {
        kind: r.kind.clone(),
        physical: c.physical.clone(),
        attrs: json!([]),
        outputs: c.outputs.clone(),
        depends_on: Vec::new(),
    }
}

fn change(name: &str, live: Option<Value>) -> AttrChange {
    AttrChange {
        name: name.into(),
        before: None,
        after: None,
        forces_replacement: false,
        origin: Origin::Outside,
        live,
    }
}

/// What a read saw, by attribute.
async fn seen(aws: &Aws, have: &Deployed, state: &State) -> BTreeMap<String, Value> {
    let r = Resolved { id: String::new(), kind: have.kind.clone(), attrs: Vec::new() };
    let observed = read(aws, have, &r, state).await.expect("read").expect("exists");
    observed.into_iter().collect()
}

#[tokio::test]
async fn network_reads_drift_and_converges_against_moto() {
    let Some((_server, endpoint)) = moto().await else {
        eprintln!("moto did not start: skipped");
        return;
    };
    let aws = connect(endpoint).await;
    let mut state = State::new("net", "test", "eu-west-1");

    let vpc = resolved(
        "network.main/vpc",
        "aws_vpc",
        json!({"cidr_block": "10.1.0.0/16", "enable_dns_support": true, "enable_dns_hostnames": true,
               "tags": {"Name": "main"}}),
    );
    let vpc = deployed(&vpc, &create(&aws, &vpc).await.expect("vpc"));
    let v = seen(&aws, &vpc, &state).await;
    assert_eq!(v["enable_dns_hostnames"], json!(true));
    assert_eq!(v["cidr_block"], json!("10.1.0.0/16"));
    assert_eq!(v["tags_all"]["fgc:id"], json!("network.main/vpc"));

    let sg = resolved(
        "network.main/sg",
        "aws_security_group",
        json!({"name": "web", "description": "web", "vpc_id": vpc.physical}),
    );
    let sg = deployed(&sg, &create(&aws, &sg).await.expect("group"));
    // A new group's "all out" is taken away: nothing unmanaged.
    assert!(!seen(&aws, &sg, &state).await.contains_key("unmanaged_rules"));

    let rule = resolved(
        "network.main/sg/ingress/https",
        "aws_vpc_security_group_ingress_rule",
        json!({"security_group_id": sg.physical, "description": "HTTPS", "ip_protocol": "tcp",
               "from_port": 443, "to_port": 443, "cidr_ipv4": "10.1.0.0/16", "tags": {}}),
    );
    let rule_have = deployed(&rule, &create(&aws, &rule).await.expect("rule"));
    state.resources.insert(rule.id.clone(), rule_have.clone());
    assert!(!seen(&aws, &sg, &state).await.contains_key("unmanaged_rules"));

    // A rule added by hand is unmanaged, and the update revokes exactly it.
    aws.ec2
        .authorize_security_group_ingress()
        .group_id(&sg.physical)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .expect("rule by hand");
    let unmanaged = seen(&aws, &sg, &state).await.remove("unmanaged_rules").expect("unmanaged");
    let listed = unmanaged.as_array().expect("a list");
    assert_eq!(listed.len(), 1, "{unmanaged}");
    assert_eq!(listed[0]["from_port"], json!(22));
    assert_eq!(listed[0]["egress"], json!(false));
    let list = [change("unmanaged_rules", Some(unmanaged.clone()))];
    let mut ch = Changes::new(&list);
    let r = resolved("network.main/sg", "aws_security_group", json!({}));
    update(&aws, &r, &sg, &mut ch).await.expect("revoke");
    assert!(ch.left().is_empty());
    assert!(!seen(&aws, &sg, &state).await.contains_key("unmanaged_rules"));
    assert_eq!(seen(&aws, &rule_have, &state).await["from_port"], json!(443), "the managed rule stays");

    // A rule's ports and description change in place.
    let mut moved = rule.clone();
    for (k, v) in &mut moved.attrs {
        match k.as_str() {
            "from_port" | "to_port" => *v = json!(8443),
            "description" => *v = json!("HTTPS alt"),
            _ => {}
        }
    }
    let list = [change("from_port", None), change("to_port", None), change("description", None)];
    let mut ch = Changes::new(&list);
    update(&aws, &moved, &rule_have, &mut ch).await.expect("modify rule");
    assert!(ch.left().is_empty());
    let live = seen(&aws, &rule_have, &state).await;
    assert_eq!(
        (&live["from_port"], &live["to_port"], &live["description"]),
        (&json!(8443), &json!(8443), &json!("HTTPS alt"))
    );

    // An endpoint's subnets change in place, from what AWS has.
    let mut subnets = Vec::new();
    for (k, cidr) in ["10.1.1.0/24", "10.1.2.0/24"].iter().enumerate() {
        let s = resolved(
            &format!("network.main/subnet/{k}"),
            "aws_subnet",
            json!({"vpc_id": vpc.physical, "cidr_block": cidr, "availability_zone": "eu-west-1a",
                   "map_public_ip_on_launch": false}),
        );
        let s = deployed(&s, &create(&aws, &s).await.expect("subnet"));
        assert_eq!(seen(&aws, &s, &state).await["map_public_ip_on_launch"], json!(false));
        subnets.push(s.physical);
    }
    let ep = resolved(
        "network.main/endpoint/ssm",
        "aws_vpc_endpoint",
        json!({"vpc_id": vpc.physical, "service_name": "com.amazonaws.eu-west-1.ssm", "vpc_endpoint_type": "Interface",
               "subnet_ids": [subnets[0]], "security_group_ids": [sg.physical], "private_dns_enabled": true}),
    );
    let ep_have = deployed(&ep, &create(&aws, &ep).await.expect("endpoint"));
    assert_eq!(seen(&aws, &ep_have, &state).await["subnet_ids"], json!([subnets[0]]));
    let mut ep2 = ep.clone();
    for (k, v) in &mut ep2.attrs {
        if k == "subnet_ids" {
            *v = json!([subnets[1]]);
        }
    }
    let list = [change("subnet_ids", None)];
    let mut ch = Changes::new(&list);
    update(&aws, &ep2, &ep_have, &mut ch).await.expect("modify endpoint");
    assert!(ch.left().is_empty());
    assert_eq!(seen(&aws, &ep_have, &state).await["subnet_ids"], json!([subnets[1]]));

    // moto ignores tag filters on NAT gateways: adopting `nat/1` must not find `nat/0`.
    let eip = resolved("network.main/eip/0", "aws_eip", json!({"domain": "vpc", "tags": {}}));
    let eip = create(&aws, &eip).await.expect("eip");
    let nat = resolved(
        "network.main/nat/0",
        "aws_nat_gateway",
        json!({"allocation_id": eip.physical, "subnet_id": subnets[0], "tags": {}}),
    );
    let nat_have = deployed(&nat, &create(&aws, &nat).await.expect("nat"));
    assert_eq!(seen(&aws, &nat_have, &state).await["allocation_id"], json!(eip.physical));
    let other = resolved("network.main/nat/1", "aws_nat_gateway", json!({}));
    assert_eq!(super::adopt(&aws, &other).await.expect("adopt"), None);
    assert_eq!(super::adopt(&aws, &nat).await.expect("adopt").map(|c| c.physical), Some(nat_have.physical.clone()));

    // Deleted outside fgc: gone, not an error.
    super::delete(&aws, &nat_have).await.expect("delete nat");
    let r = Resolved { id: String::new(), kind: nat_have.kind.clone(), attrs: Vec::new() };
    assert_eq!(read(&aws, &nat_have, &r, &state).await.expect("read"), None);
    super::delete(&aws, &rule_have).await.expect("revoke rule");
    super::delete(&aws, &rule_have).await.expect("already gone is deleted");
    let r = Resolved { id: String::new(), kind: rule_have.kind.clone(), attrs: Vec::new() };
    assert_eq!(read(&aws, &rule_have, &r, &state).await.expect("read"), None);
}
