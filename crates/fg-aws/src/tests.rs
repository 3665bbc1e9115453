//! Waiting for services against a scripted ECS on 127.0.0.1 (an emulator never starts a
//! task, so stability and rollbacks are scripted here).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::ecs::{Progress, wait_stable};
use crate::{Aws, Target};

/// Answers each request with the next scripted body (the last one repeats).
fn scripted(bodies: Vec<serde_json::Value>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let bodies = Arc::new(Mutex::new(bodies));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let bodies = bodies.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut stream = stream;
                loop {
                    let mut len = 0;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; len];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let mut answer = {
                        let mut b = bodies.lock().unwrap_or_else(|e| e.into_inner());
                        if b.len() > 1 { b.remove(0) } else { b[0].clone() }
                    };
                    // An error answer carries its HTTP status as `__status`.
                    let status = answer.as_object_mut().and_then(|o| o.remove("__status")).and_then(|s| s.as_u64());
                    let status = status.map_or("200 OK".to_string(), |s| format!("{s} Error"));
                    let answer = answer.to_string();
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                }
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn service(deployments: serde_json::Value, running: i32, events: &[&str]) -> serde_json::Value {
    let events: Vec<serde_json::Value> =
        events.iter().map(|e| json!({"id": e, "message": format!("(service api) {e}"), "createdAt": 1.0})).collect();
    json!({"services": [{
        "serviceName": "api", "serviceArn": "arn:aws:ecs:eu-west-1:1:service/c/api", "status": "ACTIVE",
        "desiredCount": 2, "runningCount": running, "pendingCount": 0,
        "deployments": deployments, "events": events
    }], "failures": []})
}

async fn connect(endpoint: String) -> Aws {
    let target = Target {
        region: "eu-west-1".into(),
        profile: None,
        endpoint: Some(endpoint),
        credentials: Some(("testing".into(), "testing".into())),
    };
    Aws::connect(&target, Default::default()).await
}

fn recorder() -> (Arc<Mutex<Vec<Progress>>>, impl Fn(Progress) + Send + Sync) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    (seen, move |p| s.lock().unwrap_or_else(|e| e.into_inner()).push(p))
}

#[tokio::test]
async fn waits_until_the_service_is_stable_and_reports_new_events() {
    let rolling =
        json!([{"id": "d2", "status": "PRIMARY", "rolloutState": "IN_PROGRESS"}, {"id": "d1", "status": "ACTIVE"}]);
    let done = json!([{"id": "d2", "status": "PRIMARY", "rolloutState": "COMPLETED"}]);
    let endpoint = scripted(vec![
        service(rolling.clone(), 0, &["old"]),
        service(rolling, 1, &["started 1 task", "old"]),
        service(done, 2, &["reached a steady state", "started 1 task", "old"]),
    ]);
    let aws = connect(endpoint).await;
    let (seen, progress) = recorder();
    let services = [("c".to_string(), "api".to_string())];
    let r = wait_stable(&aws, &services, Duration::from_millis(10), Duration::from_secs(10), &progress).await;
    assert!(r.is_ok(), "{r:?}");
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let events: Vec<&str> = seen
        .iter()
        .filter_map(|p| match p {
            Progress::Event { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    // The event from before the wait is not news; the two after it are, in order.
    assert_eq!(events, ["(service api) started 1 task", "(service api) reached a steady state"]);
    assert!(seen.contains(&Progress::Tasks { service: "api".into(), running: 2, desired: 2 }));
}

#[tokio::test]
async fn stops_at_once_when_the_circuit_breaker_rolls_back() {
    let failed = json!([{"id": "d2", "status": "PRIMARY", "rolloutState": "FAILED",
        "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start."},
        {"id": "d1", "status": "ACTIVE"}]);
    let aws = connect(scripted(vec![service(failed, 0, &["task stopped: essential container exited"])])).await;
    let (_, progress) = recorder();
    let services = [("c".to_string(), "api".to_string())];
    let r = wait_stable(&aws, &services, Duration::from_millis(10), Duration::from_secs(600), &progress).await;
    let e = r.expect_err("a failed rollout is an error");
    assert!(e.message.contains("`api` failed and was rolled back: ECS deployment circuit breaker"), "{}", e.message);
}

#[tokio::test]
async fn gives_up_after_its_limit() {
    let rolling =
        json!([{"id": "d2", "status": "PRIMARY", "rolloutState": "IN_PROGRESS"}, {"id": "d1", "status": "ACTIVE"}]);
    let aws = connect(scripted(vec![service(rolling, 0, &[])])).await;
    let (_, progress) = recorder();
    let services = [("c".to_string(), "api".to_string())];
    let r = wait_stable(&aws, &services, Duration::from_millis(10), Duration::from_millis(50), &progress).await;
    assert!(r.expect_err("never stable").message.contains("not stable after"));
}

fn deployed(kind: &str, physical: &str) -> fg_deploy::Deployed {
    fg_deploy::Deployed {
        kind: kind.into(),
        physical: physical.into(),
        attrs: json!({}),
        outputs: [("cluster".to_string(), "c".to_string())].into(),
        depends_on: Vec::new(),
    }
}

/// Destroy stays idempotent: a service deleted outside fgc (or by a run that crashed before
/// writing the state) counts as deleted; any other error still fails the delete.
#[tokio::test]
async fn a_resource_already_gone_counts_as_deleted_and_other_errors_do_not() {
    let gone = json!({"__status": 400, "__type": "ServiceNotFoundException", "message": "Service not found."});
    let aws = connect(scripted(vec![
        gone.clone(),                            // UpdateService to zero tasks
        json!({"services": [], "failures": []}), // DescribeServices: nothing runs
        gone,                                    // DeleteService
    ]))
    .await;
    let r = crate::ecs::delete(&aws, &deployed("aws_ecs_service", "arn:aws:ecs:eu-west-1:1:service/c/api")).await;
    assert!(r.is_ok(), "{r:?}");

    let denied = json!({"__status": 400, "__type": "AccessDeniedException", "message": "not allowed"});
    let aws = connect(scripted(vec![denied])).await;
    let e = crate::ecs::delete(&aws, &deployed("aws_ecs_cluster", "c")).await.expect_err("access denied fails");
    assert!(e.message.contains("`ecs:DeleteCluster` failed: AccessDeniedException"), "{}", e.message);
    assert!(e.help.is_some_and(|h| h.contains("ecs:DeleteCluster")));
}
