//! The engine against a fake cloud: plans, idempotence, replacement, deletion order,
//! bounded parallelism, crash convergence and the lock.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;

use super::*;
use crate::refresh::Observed;

/// A resource in the fake cloud.
#[derive(Debug, Clone)]
struct Thing {
    id: String,
    created: Created,
    attrs: Vec<(String, serde_json::Value)>,
}

/// A cloud in memory. Resources are "tagged" with their id, so adopt finds them; the
/// `crash_at`-th mutating call does its work and then fails, like a process killed
/// between the call and the state write. `strict` refuses to delete what another resource
/// still names (as AWS refuses a revision's deregistration... or a group in use).
#[derive(Default)]
struct Fake {
    live: Mutex<BTreeMap<String, Thing>>,
    creates: Mutex<BTreeMap<String, usize>>,
    mutating: AtomicUsize,
    reads: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    crash_at: Option<usize>,
    /// An update fails when it reaches this attribute, after applying those before it.
    fail_on: Option<&'static str>,
    strict: bool,
    log: Mutex<Vec<String>>,
}

impl Fake {
    fn crashing_at(n: usize) -> Fake {
        Fake { crash_at: Some(n), ..Fake::default() }
    }

    async fn call<T>(&self, what: String, f: impl FnOnce() -> Result<T, CloudError>) -> Result<T, CloudError> {
        let n = self.mutating.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        let out = f();
        self.log.lock().unwrap().push(what);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if self.crash_at == Some(n) { Err(CloudError::new("crashed after the call")) } else { out }
    }

    /// The live things of an id.
    fn of(&self, id: &str) -> Vec<Thing> {
        self.live.lock().unwrap().values().filter(|t| t.id == id).cloned().collect()
    }

    /// Changes an attribute behind fgc's back.
    fn edit(&self, id: &str, name: &str, value: serde_json::Value) {
        let mut live = self.live.lock().unwrap();
        let t = live.values_mut().find(|t| t.id == id).expect("live thing");
        match t.attrs.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => t.attrs.push((name.into(), value)),
        }
    }
}

static THING: KindSpec = KindSpec {
    kind: "aws_thing",
    replace: Order::DeleteFirst("its name must be free"),
    attrs: &[
        ("cidr_block", Handling::Replace),
        ("vpc_id", Handling::Replace),
        ("az", Handling::Update("thing:Update")),
        ("subnet_id", Handling::Update("thing:Update")),
        ("subnets", Handling::Update("thing:Update")),
        ("image", Handling::Update("thing:Update")),
        ("count", Handling::Update("thing:Update")),
        ("desired_count", Handling::Update("thing:Update")),
        ("name", Handling::Update("thing:Update")),
        ("key", Handling::Update("thing:Update")),
        ("a", Handling::Update("thing:Update")),
        ("b", Handling::Update("thing:Update")),
        ("task", Handling::Update("thing:Update")),
        ("authorizer_id", Handling::Update("thing:Update")),
        ("authorization_type", Handling::Update("thing:Update")),
        ("container_definitions", Handling::Replace),
        ("keep_on_delete", Handling::Elsewhere("used by fgc when it deletes")),
        ("arn", Handling::ReadOnly),
    ],
};

/// Replaced create-first, like a task definition revision.
static TASK: KindSpec = KindSpec {
    kind: "aws_task",
    replace: Order::CreateFirst,
    attrs: &[("image", Handling::Replace), ("name", Handling::Update("task:Tag"))],
};

impl Contracts for Fake {
    fn contract(&self, kind: &str) -> Option<&'static KindSpec> {
        [&THING, &TASK].into_iter().find(|k| k.kind == kind)
    }
}

impl Cloud for Fake {
    async fn adopt(&self, r: &Resolved) -> Result<Option<Created>, CloudError> {
        Ok(self.of(&r.id).last().map(|t| t.created.clone()))
    }

    async fn create(&self, r: &Resolved) -> Result<Created, CloudError> {
        self.call(format!("create {}", r.id), || {
            let mut creates = self.creates.lock().unwrap();
            let n = creates.entry(r.id.clone()).or_default();
            *n += 1;
            let physical = format!("phys-{}-{n}", r.id);
            let created =
                Created { physical: physical.clone(), outputs: BTreeMap::from([("id".to_string(), physical.clone())]) };
            let thing = Thing { id: r.id.clone(), created: created.clone(), attrs: r.attrs.clone() };
            self.live.lock().unwrap().insert(physical, thing);
            Ok(created)
        })
        .await
    }

    async fn update(&self, r: &Resolved, have: &Deployed, changes: &[AttrChange]) -> Result<Created, Partial> {
        let mut applied = Vec::new();
        let out = self
            .call(format!("update {}", r.id), || {
                let mut live = self.live.lock().unwrap();
                let t = live.get_mut(&have.physical).ok_or_else(|| CloudError::new("NotFound"))?;
                for c in changes {
                    if self.fail_on == Some(c.name.as_str()) {
                        return Err(CloudError::new(format!("refused {}", c.name)));
                    }
                    t.attrs.retain(|(k, _)| k != &c.name);
                    t.attrs.extend(r.attrs.iter().filter(|(k, _)| k == &c.name).cloned());
                    applied.push(c.name.clone());
                }
                Ok(t.created.clone())
            })
            .await;
        out.map_err(|error| Partial { error, applied })
    }

    async fn delete(&self, id: &str, have: &Deployed) -> Result<(), CloudError> {
        self.call(format!("delete {id}"), || {
            let mut live = self.live.lock().unwrap();
            if self.strict {
                let users: Vec<&String> = live
                    .values()
                    .filter(|t| t.created.physical != have.physical)
                    .filter(|t| t.attrs.iter().any(|(_, v)| v.to_string().contains(&have.physical)))
                    .map(|t| &t.id)
                    .collect();
                if !users.is_empty() {
                    return Err(CloudError::new(format!("{} is in use by {users:?}", have.physical)));
                }
            }
            live.remove(&have.physical);
            Ok(())
        })
        .await
    }

    async fn read(&self, have: &Deployed, _: &Resolved, _: &State) -> Result<Option<Observed>, CloudError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.live.lock().unwrap().get(&have.physical).map(|t| t.attrs.clone()))
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
    let p = plan("app", "dev", want, &state, None, &**fake);
    let (_, outcome) = apply(fake.clone(), &p, want, &Data::new(), state, &file, &settings(4)).await;
    (p, outcome)
}

fn settings(parallel: usize) -> Settings<'static> {
    Settings { parallel, events: &|_| {}, keep_deposed: &|_| false }
}

/// Like `run`, with a refresh first: drift is seen and converged.
async fn run_refreshed(fake: &Arc<Fake>, want: &[Desired], path: &std::path::Path) -> (Plan, Outcome) {
    let (file, state) = StateFile::open(path, || State::new("app", "dev", "eu-west-1")).expect("lock");
    let r = refresh(fake.clone(), &state, &Data::new(), want, 4).await.expect("refresh");
    let p = plan("app", "dev", want, &state, Some(&r), &**fake);
    let (_, outcome) = apply(fake.clone(), &p, want, &Data::new(), state, &file, &settings(4)).await;
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
    assert_eq!(
        fake.of("service")[0].attrs[0].1,
        json!(["phys-subnet/0-1", "phys-subnet/1-1", "phys-subnet/2-1", "phys-subnet/3-1"])
    );
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
    let p = plan("a", "e", &[td("nginx:1.27")], &state, None, &Fake::default());
    let text = render(&p);
    assert!(
        text.contains(r#"~ container_definitions[0].image = "nginx:1.26" -> "nginx:1.27" # forces replacement"#),
        "{text}"
    );
    assert!(!text.contains("name"), "{text}");
}

/// Changes made outside fgc are shown as such, apart from the source's, and an apply
/// restores the source's values; a second refreshed plan is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_is_seen_told_apart_and_converged() {
    let path = temp("drift");
    let fake = Arc::new(Fake::default());
    run(&fake, &stack("10.0.0.0/16", 2), &path).await;
    fake.edit("service", "image", json!("nginx:evil"));
    fake.edit("rt/1", "subnet_id", json!("subnet-by-hand"));
    // Without a refresh nothing is seen.
    let (file, state) = StateFile::open(&path, || State::new("app", "dev", "eu-west-1")).unwrap();
    assert!(plan("app", "dev", &stack("10.0.0.0/16", 3), &state, None, &*fake).changes.len() == 1);
    let before = fake.reads.load(Ordering::SeqCst);
    let r = refresh(fake.clone(), &state, &Data::new(), &stack("10.0.0.0/16", 3), 4).await.unwrap();
    assert_eq!(fake.reads.load(Ordering::SeqCst) - before, 10, "one read per resource");
    drop(file);
    assert_eq!(r.drift.len(), 2, "{:?}", r.drift);
    let p = plan("app", "dev", &stack("10.0.0.0/16", 3), &state, Some(&r), &*fake);
    let text = render(&p);
    assert!(text.contains(r#"~ image = "nginx:evil" -> "nginx:1.27" # changed outside fgc"#), "{text}");
    assert!(text.contains("~ count = 2 -> 3\n"), "{text}");
    assert!(text.contains("~ subnet_id = \"subnet-by-hand\" -> <subnet/1.id> # changed outside fgc"), "{text}");
    assert!(text.contains("2 of these undo changes made outside fgc"), "{text}");
    let service = p.changes.iter().find(|c| c.id == "service").unwrap();
    let Action::Update { changes } = &service.action else { panic!("{service:?}") };
    let origin = |n: &str| changes.iter().find(|c| c.name == n).map(|c| c.origin);
    assert_eq!((origin("count"), origin("image")), (Some(Origin::Source), Some(Origin::Outside)));

    let (_, outcome) = run_refreshed(&fake, &stack("10.0.0.0/16", 3), &path).await;
    assert!(matches!(outcome, Outcome::Done { changed: 2 }), "{outcome:?}");
    assert!(fake.of("service")[0].attrs.contains(&("image".into(), json!("nginx:1.27"))));
    assert!(fake.of("rt/1")[0].attrs.contains(&("subnet_id".into(), json!("phys-subnet/1-1"))));
    let (p, _) = run_refreshed(&fake, &stack("10.0.0.0/16", 3), &path).await;
    assert!(p.is_empty(), "{}", render(&p));

    // Both changed: the source wins, and the plan says what fgc had applied.
    fake.edit("service", "count", json!(7));
    let (p, _) = run_refreshed(&fake, &stack("10.0.0.0/16", 4), &path).await;
    assert!(render(&p).contains("~ count = 7 -> 4 # changed outside fgc; fgc applied 3"), "{}", render(&p));
    assert!(fake.of("service")[0].attrs.contains(&("count".into(), json!(4))));
}

/// A resource deleted outside fgc is created again, and what referred to it through an
/// attribute that cannot change is replaced, the rest updated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_was_deleted_outside_is_created_again() {
    let path = temp("gone");
    let fake = Arc::new(Fake::default());
    run(&fake, &stack("10.0.0.0/16", 2), &path).await;
    fake.live.lock().unwrap().remove("phys-subnet/2-1");
    let (p, outcome) = run_refreshed(&fake, &stack("10.0.0.0/16", 2), &path).await;
    let text = render(&p);
    assert!(text.contains("# subnet/2 will be created again (deleted outside fgc)"), "{text}");
    assert_eq!(p.counts(), (1, 2, 0, 0), "{text}");
    assert!(matches!(outcome, Outcome::Done { .. }), "{outcome:?}");
    assert_eq!(fake.of("subnet/2").len(), 1);
    assert!(fake.of("rt/2")[0].attrs.contains(&("subnet_id".into(), json!("phys-subnet/2-2"))));
    let (p, _) = run_refreshed(&fake, &stack("10.0.0.0/16", 2), &path).await;
    assert!(p.is_empty(), "{}", render(&p));
}

fn task_stack(image: &str) -> Vec<Desired> {
    let task = Desired {
        id: "task".into(),
        kind: "aws_task".into(),
        attrs: json!([["image", {"type": "str", "value": image}]]),
        depends_on: vec![],
        managed_elsewhere: vec![],
    };
    vec![task, res("service", json!([["task", r("task")]]), &["task"])]
}

/// A create-first replacement: the new revision exists and the service moves to it
/// before the old one is deleted; the fake refuses to delete what is still named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_first_replacements_leave_no_gap() {
    let path = temp("cbd");
    let fake = Arc::new(Fake { strict: true, ..Fake::default() });
    run(&fake, &task_stack("v1"), &path).await;
    fake.log.lock().unwrap().clear();
    let (p, outcome) = run(&fake, &task_stack("v2"), &path).await;
    assert!(render(&p).contains("+/- aws_task \"task\""), "{}", render(&p));
    assert!(matches!(outcome, Outcome::Done { changed: 3 }), "{outcome:?}");
    let log = fake.log.lock().unwrap().clone();
    assert_eq!(log, ["create task", "update service", "delete task"]);
    assert!(fake.of("service")[0].attrs.contains(&("task".into(), json!("phys-task-2"))));
    assert_eq!(fake.of("task").len(), 1);
    let s = state::read(&path).unwrap().unwrap();
    assert!(s.deposed.is_empty());
    assert_eq!(s.resources["task"].physical, "phys-task-2");
}

/// A crash at every point of a create-first replacement, then another apply: one new
/// revision, the old one deleted once, the service on the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_create_first_replacement_converges() {
    for k in 0..3 {
        let path = temp(&format!("cbd-crash-{k}"));
        let fake = Arc::new(Fake { strict: true, ..Fake::default() });
        run(&fake, &task_stack("v1"), &path).await;
        let base = fake.mutating.load(Ordering::SeqCst);
        let crashing = Arc::new(Fake {
            crash_at: Some(base + k),
            strict: true,
            live: Mutex::new(fake.live.lock().unwrap().clone()),
            creates: Mutex::new(fake.creates.lock().unwrap().clone()),
            mutating: AtomicUsize::new(base),
            ..Fake::default()
        });
        let (_, outcome) = run(&crashing, &task_stack("v2"), &path).await;
        assert!(matches!(outcome, Outcome::Failed { .. }), "crash at {k}: {outcome:?}");
        let (p, outcome) = run(&crashing, &task_stack("v2"), &path).await;
        assert!(matches!(outcome, Outcome::Done { .. }), "after crash at {k}: {outcome:?}\n{}", render(&p));
        assert_eq!(crashing.of("task").len(), 1, "crash at {k}: {:?}", crashing.of("task"));
        assert_eq!(crashing.creates.lock().unwrap()["task"], 2, "crash at {k}");
        assert!(crashing.of("service")[0].attrs.contains(&("task".into(), json!("phys-task-2"))), "crash at {k}");
        let (p, _) = run(&crashing, &task_stack("v2"), &path).await;
        assert!(p.is_empty(), "crash at {k}: {}", render(&p));
    }
}

/// An attribute the contract gives no call (undeclared, or read-only) fails the update
/// by name before any call, and the state keeps what was applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_nothing_would_send_fails_by_name() {
    let path = temp("uncovered");
    let fake = Arc::new(Fake::default());
    let thing = |extra: &str, v: i64| {
        vec![res("x", json!([["a", {"type": "int", "value": 1}], [extra, {"type": "int", "value": v}]]), &[])]
    };
    run(&fake, &thing("mystery", 1), &path).await;
    let before = fake.mutating.load(Ordering::SeqCst);
    let (_, outcome) = run(&fake, &thing("mystery", 2), &path).await;
    let Outcome::Failed { failures, .. } = outcome else { panic!("{outcome:?}") };
    assert!(failures[0].1.message.contains("`mystery` of `aws_thing`"), "{failures:?}");
    assert_eq!(fake.mutating.load(Ordering::SeqCst), before, "a call was made");
    let s = state::read(&path).unwrap().unwrap();
    assert!(s.resources["x"].attrs.to_string().contains(r#"["mystery",{"type":"int","value":1}]"#));
    // An attribute applied elsewhere is recorded without a call.
    let path = temp("elsewhere");
    run(&fake, &thing("keep_on_delete", 1), &path).await;
    let before = fake.mutating.load(Ordering::SeqCst);
    let (p, outcome) = run(&fake, &thing("keep_on_delete", 2), &path).await;
    assert_eq!(p.counts(), (0, 1, 0, 0));
    assert!(matches!(outcome, Outcome::Done { changed: 1 }), "{outcome:?}");
    assert_eq!(fake.mutating.load(Ordering::SeqCst), before);
    let s = state::read(&path).unwrap().unwrap();
    assert!(s.resources["x"].attrs.to_string().contains(r#"["keep_on_delete",{"type":"int","value":2}]"#));
}

/// An update that fails part way records what it applied, and only that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_update_records_only_what_was_applied() {
    let path = temp("partial");
    let ok = Arc::new(Fake::default());
    let thing = |a: i64, b: i64| {
        vec![res("x", json!([["a", {"type": "int", "value": a}], ["b", {"type": "int", "value": b}]]), &[])]
    };
    run(&ok, &thing(1, 1), &path).await;
    let failing =
        Arc::new(Fake { fail_on: Some("b"), live: Mutex::new(ok.live.lock().unwrap().clone()), ..Fake::default() });
    let (_, outcome) = run(&failing, &thing(2, 2), &path).await;
    assert!(matches!(outcome, Outcome::Failed { .. }), "{outcome:?}");
    let s = state::read(&path).unwrap().unwrap();
    let attrs = s.resources["x"].attrs.to_string();
    assert!(attrs.contains(r#"["a",{"type":"int","value":2}]"#), "{attrs}");
    assert!(attrs.contains(r#"["b",{"type":"int","value":1}]"#), "{attrs}");
    let (file, state) = StateFile::open(&path, State::default).unwrap();
    let p = plan("app", "dev", &thing(2, 2), &state, None, &*failing);
    drop(file);
    assert!(render(&p).contains("~ b = 1 -> 2") && !render(&p).contains("~ a ="), "{}", render(&p));
}

/// A name repeated inside a block is a list of blocks once resolved: none is lost (two
/// step adjustments of one policy, two target groups of a blue/green pair).
#[test]
fn repeated_blocks_inside_a_block_all_resolve() {
    let step = |lower: i64| json!({"type": "block", "value": [["metric_interval_lower_bound", {"type": "int", "value": lower}]]});
    let d = Desired {
        id: "p".into(),
        kind: "aws_thing".into(),
        attrs: json!([["config", {"type": "block", "value": [["step_adjustment", step(0)], ["step_adjustment", step(15)], ["cooldown", {"type": "int", "value": 60}]]}]]),
        depends_on: vec![],
        managed_elsewhere: vec![],
    };
    let r = exec::resolve(&d, &State::default(), &Data::new());
    assert_eq!(
        r.get("config"),
        Some(
            &json!({"step_adjustment": [{"metric_interval_lower_bound": 0}, {"metric_interval_lower_bound": 15}], "cooldown": 60})
        )
    );
}

/// An update whose answer changes an output (an ARN) is followed, in the same apply, by
/// the updates of what refers to it and was not in the plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_refers_to_a_changed_output_follows_it() {
    let path = temp("follow");
    let fake = Arc::new(Fake::default());
    let policy = |v: i64| res("policy", json!([["a", {"type": "int", "value": v}]]), &[]);
    let alarm = res("alarm", json!([["key", r("policy")]]), &["policy"]);
    run(&fake, &[policy(1), alarm.clone()], &path).await;
    // The cloud gives the policy a new id on update (moto does for scaling policies).
    let (file, state) = StateFile::open(&path, State::default).unwrap();
    let want = [policy(2), alarm];
    let p = plan("app", "dev", &want, &state, None, &*fake);
    assert_eq!(p.counts(), (0, 1, 0, 0));
    let before = state.clone();
    let (mut after, _) = apply(fake.clone(), &p, &want, &Data::new(), state, &file, &settings(2)).await;
    after.resources.get_mut("policy").unwrap().outputs.insert("id".into(), "phys-policy-new".into());
    let f = follow_up(&want, &p, &before, &after, &Data::new(), &*fake);
    assert_eq!(f.changes.len(), 1, "{}", render(&f));
    assert_eq!(f.changes[0].id, "alarm");
    let Action::Update { changes } = &f.changes[0].action else { panic!("{f:?}") };
    assert_eq!(changes[0].after, Some(json!("phys-policy-new")));
    // Nothing moved: nothing follows.
    assert!(follow_up(&want, &p, &after, &after, &Data::new(), &*fake).is_empty());
}
