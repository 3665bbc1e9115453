//! The engine against a fake cloud: plans, idempotence, replacement, deletion order,
//! bounded parallelism, crash convergence and the lock.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;

use super::*;

/// A cloud in memory. Resources are "tagged" with their id, so adopt finds them; the
/// `crash_at`-th mutating call does its work and then fails, like a process killed
/// between the call and the state write.
#[derive(Default)]
struct Fake {
    live: Mutex<BTreeMap<String, Created>>,
    creates: Mutex<BTreeMap<String, usize>>,
    mutating: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    crash_at: Option<usize>,
    log: Mutex<Vec<String>>,
}

impl Fake {
    fn crashing_at(n: usize) -> Fake {
        Fake { crash_at: Some(n), ..Fake::default() }
    }

    async fn call<T>(&self, what: String, f: impl FnOnce() -> T) -> Result<T, CloudError> {
        let n = self.mutating.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        let out = f();
        self.log.lock().unwrap().push(what);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if self.crash_at == Some(n) { Err(CloudError::new("crashed after the call")) } else { Ok(out) }
    }
}

impl Cloud for Fake {
    async fn adopt(&self, r: &Resolved) -> Result<Option<Created>, CloudError> {
        Ok(self.live.lock().unwrap().get(&r.id).cloned())
    }

    async fn create(&self, r: &Resolved) -> Result<Created, CloudError> {
        let created = Created {
            physical: format!("phys-{}", r.id),
            outputs: BTreeMap::from([("id".to_string(), format!("phys-{}", r.id))]),
        };
        self.call(format!("create {}", r.id), || {
            *self.creates.lock().unwrap().entry(r.id.clone()).or_default() += 1;
            self.live.lock().unwrap().insert(r.id.clone(), created.clone());
            created.clone()
        })
        .await
    }

    async fn update(&self, r: &Resolved, have: &Deployed, _: &[AttrChange]) -> Result<Created, CloudError> {
        let created = Created { physical: have.physical.clone(), outputs: have.outputs.clone() };
        self.call(format!("update {}", r.id), || created.clone()).await
    }

    async fn delete(&self, id: &str, _: &Deployed) -> Result<(), CloudError> {
        self.call(format!("delete {id}"), || {
            self.live.lock().unwrap().remove(id);
        })
        .await
    }

    fn immutable(&self, _kind: &str, attr: &str) -> bool {
        attr == "cidr_block" || attr == "vpc_id"
    }
}

fn res(id: &str, attrs: serde_json::Value, deps: &[&str]) -> Desired {
    Desired {
        id: id.into(),
        kind: "aws_thing".into(),
        attrs,
        depends_on: deps.iter().map(|d| d.to_string()).collect(),
        managed_elsewhere: vec!["desired_count".into()],
    }
}

fn r(id: &str) -> serde_json::Value {
    json!({"type": "ref", "value": {"id": id, "attr": "id"}})
}

/// A VPC, four subnets in it, a route table per subnet and a service on all subnets.
fn stack(cidr: &str, count: i64) -> Vec<Desired> {
    let mut v = vec![res("vpc", json!([["cidr_block", {"type": "str", "value": cidr}]]), &[])];
    for i in 0..4 {
        let s = format!("subnet/{i}");
        v.push(res(&s, json!([["vpc_id", r("vpc")], ["az", {"type": "int", "value": i}]]), &["vpc"]));
        v.push(res(&format!("rt/{i}"), json!([["subnet_id", r(&s)]]), &[&s]));
    }
    v.push(res(
        "service",
        json!([["subnets", {"type": "list", "value": [r("subnet/0"), r("subnet/1"), r("subnet/2"), r("subnet/3")]}],
               ["image", {"type": "str", "value": "nginx:1.27"}],
               ["count", {"type": "int", "value": count}]]),
        &["subnet/0", "subnet/1", "subnet/2", "subnet/3"],
    ));
    v
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fg-deploy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("state.json")
}

async fn run(fake: &Arc<Fake>, want: &[Desired], path: &std::path::Path) -> (Plan, Outcome) {
    let (file, state) = StateFile::open(path, || State::new("app", "dev", "eu-west-1")).expect("lock");
    let p = plan("app", "dev", want, &state, &|k, a| fake.immutable(k, a));
    let (_, outcome) = apply(fake.clone(), &p, want, &Data::new(), state, &file, 4, &|_| {}).await;
    (p, outcome)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_everything_then_nothing_changes() {
    let path = temp("idempotent");
    let fake = Arc::new(Fake::default());
    let (p, outcome) = run(&fake, &stack("10.0.0.0/16", 2), &path).await;
    assert_eq!(p.counts(), (10, 0, 0, 0));
    assert!(matches!(outcome, Outcome::Done { changed: 10 }), "{outcome:?}");
    let state = state::read(&path).unwrap().unwrap();
    assert_eq!(state.resources.len(), 10);
    // The service was created with its subnets' ids resolved.
    assert_eq!(fake.live.lock().unwrap().len(), 10);
    let before = fake.mutating.load(Ordering::SeqCst);
    let (p, outcome) = run(&fake, &stack("10.0.0.0/16", 2), &path).await;
    assert!(p.is_empty(), "{}", render(&p));
    assert!(render(&p).starts_with("No changes"));
    assert!(matches!(outcome, Outcome::Done { changed: 0 }));
    assert_eq!(fake.mutating.load(Ordering::SeqCst), before, "a second apply made mutating calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_field_one_call_and_managed_attributes_are_left_alone() {
    let path = temp("one-field");
    let fake = Arc::new(Fake::default());
    run(&fake, &stack("10.0.0.0/16", 2), &path).await;
    // `count` changed: one update. `desired_count` is managed elsewhere: nothing.
    let mut want = stack("10.0.0.0/16", 3);
    let before = fake.mutating.load(Ordering::SeqCst);
    let (p, _) = run(&fake, &want, &path).await;
    assert_eq!(p.counts(), (0, 1, 0, 0), "{}", render(&p));
    assert!(render(&p).contains("~ count = 2 -> 3"), "{}", render(&p));
    assert_eq!(fake.mutating.load(Ordering::SeqCst), before + 1);
    want[0].attrs = json!([["cidr_block", {"type": "str", "value": "10.0.0.0/16"}], ["desired_count", {"type": "int", "value": 9}]]);
    want[0].managed_elsewhere = vec!["desired_count".into()];
    let (p, _) = run(&fake, &want, &path).await;
    assert!(p.is_empty(), "{}", render(&p));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacement_cascades_through_immutable_references() {
    let path = temp("replace");
    let fake = Arc::new(Fake::default());
    run(&fake, &stack("10.0.0.0/16", 2), &path).await;
    fake.log.lock().unwrap().clear();
    let (p, outcome) = run(&fake, &stack("10.1.0.0/16", 2), &path).await;
    // The VPC's CIDR forces a new VPC; subnets hold `vpc_id` (immutable) and are replaced;
    // route tables and the service refer to subnets through mutable attributes: updated.
    assert_eq!(p.counts(), (0, 5, 5, 0), "{}", render(&p));
    assert!(matches!(outcome, Outcome::Done { .. }), "{outcome:?}");
    let log = fake.log.lock().unwrap().clone();
    let pos = |s: &str| log.iter().position(|l| l == s).unwrap_or_else(|| panic!("{s} not in {log:?}"));
    // Old subnets go before the old VPC; the new VPC comes before new subnets.
    assert!(pos("delete subnet/0") < pos("delete vpc"));
    assert!(pos("create vpc") < pos("create subnet/0"));
    assert!(pos("create subnet/0") < pos("update rt/0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_resources_are_deleted_dependents_first() {
    let path = temp("delete");
    let fake = Arc::new(Fake::default());
    run(&fake, &stack("10.0.0.0/16", 2), &path).await;
    fake.log.lock().unwrap().clear();
    let (p, _) = run(&fake, &[], &path).await;
    assert_eq!(p.counts(), (0, 0, 0, 10));
    let log = fake.log.lock().unwrap().clone();
    let pos = |s: &str| log.iter().position(|l| l == s).unwrap();
    assert!(pos("delete service") < pos("delete subnet/2"));
    assert!(pos("delete rt/1") < pos("delete subnet/1"));
    assert!(pos("delete subnet/3") < pos("delete vpc"));
    assert!(fake.live.lock().unwrap().is_empty());
    assert!(state::read(&path).unwrap().unwrap().resources.is_empty());
}

/// A removed resource that a staying one used until this apply (an authorizer its route
/// stops naming) is deleted after that update, with what it depends on after it; AWS
/// refuses to delete what is still in use. Without users left, deletes still come first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_stays_lets_go_before_what_it_used_is_deleted() {
    let path = temp("in-use");
    let fake = Arc::new(Fake::default());
    let key = res("key", json!([["name", {"type": "str", "value": "k"}]]), &[]);
    let auth = res("auth", json!([["key", r("key")]]), &["key"]);
    let other = res("other", json!([["name", {"type": "str", "value": "o"}]]), &[]);
    let route = |uses: &[&str]| {
        let attrs = match uses.first() {
            Some(id) => json!([["authorizer_id", r(id)]]),
            None => json!([["authorization_type", {"type": "str", "value": "NONE"}]]),
        };
        res("route", attrs, uses)
    };
    run(&fake, &[key.clone(), auth.clone(), other.clone(), route(&["auth"])], &path).await;
    fake.log.lock().unwrap().clear();
    let (p, outcome) = run(&fake, &[route(&[])], &path).await;
    assert_eq!(p.counts(), (0, 1, 0, 3), "{}", render(&p));
    assert!(matches!(outcome, Outcome::Done { changed: 4 }), "{outcome:?}");
    let log = fake.log.lock().unwrap().clone();
    let pos = |s: &str| log.iter().position(|l| l == s).unwrap_or_else(|| panic!("{s} not in {log:?}"));
    assert!(pos("update route") < pos("delete auth"), "{log:?}");
    assert!(pos("delete auth") < pos("delete key"), "{log:?}");
    // Nothing used `other`: it went first, with the deletes.
    assert!(pos("delete other") < pos("update route"), "{log:?}");
    assert_eq!(state::read(&path).unwrap().unwrap().resources.len(), 1);

    // Route and authorizer both removed: the route goes first, in the first phase.
    run(&fake, &[key, auth, route(&["auth"])], &path).await;
    fake.log.lock().unwrap().clear();
    run(&fake, &[], &path).await;
    let log = fake.log.lock().unwrap().clone();
    assert_eq!(log.first().map(String::as_str), Some("delete route"), "{log:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallelism_is_bounded_and_used() {
    let path = temp("parallel");
    let fake = Arc::new(Fake::default());
    run(&fake, &stack("10.0.0.0/16", 2), &path).await;
    let max = fake.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=4).contains(&max), "max in flight {max}");
}

/// A crash at every point of an apply, then another apply: the same resources, each
/// created once, all recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_anywhere_converges() {
    for k in 0..10 {
        let path = temp(&format!("crash-{k}"));
        let fake = Arc::new(Fake::crashing_at(k));
        let (_, outcome) = run(&fake, &stack("10.0.0.0/16", 2), &path).await;
        assert!(matches!(outcome, Outcome::Failed { .. }), "crash at {k}: {outcome:?}");
        let (_, outcome) = run(&fake, &stack("10.0.0.0/16", 2), &path).await;
        assert!(matches!(outcome, Outcome::Done { .. }), "after crash at {k}: {outcome:?}");
        assert_eq!(fake.live.lock().unwrap().len(), 10, "crash at {k}");
        assert!(fake.creates.lock().unwrap().values().all(|n| *n == 1), "duplicates after crash at {k}");
        let (p, _) = run(&fake, &stack("10.0.0.0/16", 2), &path).await;
        assert!(p.is_empty(), "crash at {k}: {}", render(&p));
    }
}

#[test]
fn the_lock_keeps_out_a_second_apply_and_stale_locks_are_taken_over() {
    let path = temp("lock");
    let (first, _) = StateFile::open(&path, State::default).expect("first");
    let second = StateFile::open(&path, State::default);
    assert!(matches!(second, Err(StateError::Locked { .. })), "{second:?}");
    drop(first);
    let (again, _) = StateFile::open(&path, State::default).expect("after release");
    drop(again);
    // A lock whose process is gone.
    std::fs::write(path.with_file_name("state.json.lock"), "pid 4294967294\n").unwrap();
    assert!(StateFile::open(&path, State::default).is_ok());
}

#[test]
fn saves_are_atomic_and_versioned() {
    let path = temp("atomic");
    let (file, mut state) = StateFile::open(&path, || State::new("a", "e", "r")).unwrap();
    file.save(&mut state).unwrap();
    file.save(&mut state).unwrap();
    assert_eq!(state::read(&path).unwrap().unwrap().serial, 2);
    assert!(!path.with_extension("json.tmp").exists());
    std::fs::write(&path, r#"{"version": 9, "app": "", "env": "", "region": "", "serial": 0, "resources": {}}"#)
        .unwrap();
    assert!(matches!(state::read(&path), Err(StateError::Unreadable { .. })));
}

#[test]
fn order_and_depth() {
    let deps = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (a, b, c) = (deps(&[]), deps(&["a"]), deps(&["a", "b"]));
    let nodes = [("c", c.as_slice()), ("b", b.as_slice()), ("a", a.as_slice())];
    assert_eq!(graph::order(nodes), ["a", "b", "c"]);
    assert_eq!(graph::depth(nodes), 3);
}

/// A real stack: every resource of seed 002's IR created once, in dependency order, and a
/// second plan that is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_ir_applies_and_converges() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let entry = root.join("examples/two-services-path-routing.fg");
    let host = fg_check::MemoryHost::new().with("stack.fg", &std::fs::read_to_string(&entry).expect("read example"));
    let a = fg_check::analyze(&host, "stack.fg", &fg_check::Options::default());
    let ir = fg_ir::lower(&a.model, &a.sources);
    let want = desired(&ir);
    assert_eq!(want.len(), ir.resources.iter().filter(|r| !r.data).count());
    let path = temp("real");
    let fake = Arc::new(Fake::default());
    let (p, outcome) = run(&fake, &want, &path).await;
    assert_eq!(p.counts().0, want.len());
    assert!(matches!(outcome, Outcome::Done { .. }), "{outcome:?}");
    let log = fake.log.lock().unwrap().clone();
    for d in &want {
        let at = log.iter().position(|l| *l == format!("create {}", d.id)).expect("created");
        for dep in &d.depends_on {
            let dep_at = log.iter().position(|l| *l == format!("create {dep}")).expect("dependency created");
            assert!(dep_at < at, "{} created before its dependency {dep}", d.id);
        }
    }
    let (p, _) = run(&fake, &want, &path).await;
    assert!(p.is_empty(), "{}", render(&p));
    assert!(graph::depth(want.iter().map(|d| (d.id.as_str(), d.depends_on.as_slice()))) >= 4);
}

/// A nested value shows only the leaves that changed, with their path.
#[test]
fn plans_show_the_leaves_that_changed() {
    let td = |image: &str| {
        res(
            "task",
            json!([["container_definitions", {"type": "json", "value": {"type": "list", "value": [
                {"type": "map", "value": [["name", {"type": "str", "value": "web"}], ["image", {"type": "str", "value": image}]]}
            ]}}]]),
            &[],
        )
    };
    let mut state = State::new("a", "e", "r");
    state.resources.insert(
        "task".into(),
        Deployed {
            kind: "aws_thing".into(),
            physical: "p".into(),
            attrs: td("nginx:1.26").attrs,
            outputs: BTreeMap::new(),
            depends_on: vec![],
        },
    );
    let p = plan("a", "e", &[td("nginx:1.27")], &state, &|_, _| true);
    let text = render(&p);
    assert!(
        text.contains(r#"~ container_definitions[0].image = "nginx:1.26" -> "nginx:1.27" # forces replacement"#),
        "{text}"
    );
    assert!(!text.contains("name"), "{text}");
}
