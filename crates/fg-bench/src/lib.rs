//! Generated workloads for the benchmarks: stacks of N services with realistic bodies,
//! and a tiny measurement helper (median and p95 of repeated runs).

use std::time::{Duration, Instant};

/// A stack of `n` services behind one load balancer, each with a health check,
/// environment, secrets and scaling, split over `files` files joined by imports.
pub fn stack(n: usize) -> String {
    let mut s = String::from(
        "app \"bench\" {\n  region = \"eu-west-1\"\n  environments = [dev, prod]\n}\n\nnetwork main {\n  cidr = 10.0.0.0/16\n  zones = 3\n  nat = per_zone\n}\n\nlet base = {\n  cpu = 512\n  memory = 1GiB\n  port = 8080\n  health { path = \"/health\", interval = 15s, timeout = 5s }\n}\n\n",
    );
    s.push_str("balancer web {\n  listener https {\n    certificate = \"arn:aws:acm:eu-west-1:123456789012:certificate/abc\"\n");
    for i in 0..n {
        s.push_str(&format!("    route \"/s{i}/*\" -> s{i}\n"));
    }
    s.push_str("  }\n}\n\n");
    for i in 0..n {
        s.push_str(&format!(
            "service s{i} {{\n  ...base\n  image = \"registry.example.com/s{i}:1.0.{i}\"\n  count = env {{ dev = 1, prod = 2 }}\n  environment = {{ SERVICE = \"s{i}\", LOG_LEVEL = \"info\" }}\n  secrets = {{ API_TOKEN = ssm(\"/bench/s{i}/token\") }}\n  scale {{\n    min = env {{ dev = 1, prod = 2 }}\n    max = 10\n    target cpu 70%\n  }}\n}}\n\n"
        ));
    }
    s
}

/// A stack of `n` services on one load balancer, as the Terraform benchmark needs:
/// each with a route, a health check, environment, a secret and CPU target tracking.
pub fn balanced_stack(n: usize) -> String {
    let mut s = String::from(
        "app \"bench\" { region = \"eu-west-1\" }\n\nnetwork main {\n  zones = 3\n}\n\nbalancer web {\n  listener https {\n    certificate = \"arn:aws:acm:eu-west-1:123456789012:certificate/abc\"\n",
    );
    for k in 0..n {
        s.push_str(&format!("    route \"/s{k}/*\" -> s{k}\n"));
    }
    s.push_str("  }\n}\n\n");
    for k in 0..n {
        s.push_str(&format!(
            "service s{k} {{\n  image = \"registry.example.com/s{k}:1.0\"\n  cpu = 512\n  memory = 1GiB\n  port = 8080\n  count = 2\n  environment = {{ SERVICE = \"s{k}\" }}\n  secrets = {{ TOKEN = ssm(\"/bench/s{k}/token\") }}\n  health {{ path = \"/health\" }}\n  scale {{\n    min = 2\n    max = 6\n    target cpu 70%\n  }}\n}}\n\n"
        ));
    }
    s
}

/// Runs `f` `iters` times after a warm-up and returns (min, median, p95). The minimum is
/// the steadiest figure on a shared machine; the median and p95 show the spread.
pub fn measure(iters: usize, mut f: impl FnMut()) -> (Duration, Duration, Duration) {
    for _ in 0..iters.div_ceil(10) {
        f();
    }
    let mut times: Vec<Duration> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[0], times[times.len() / 2], times[(times.len() * 95 / 100).min(times.len() - 1)])
}

/// Builds the example and test policy plugins (`examples/policies`) for `wasm32-wasip2`
/// into `examples/policies/target`, and returns the folder of `.wasm` files. Cargo only
/// rebuilds what changed, so calling it often is cheap.
pub fn policy_plugins() -> Result<std::path::PathBuf, String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("examples/policies");
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "--release", "--target", "wasm32-wasip2", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "building the policy plugins failed (is `rustup target add wasm32-wasip2` done?):\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(dir.join("target/wasm32-wasip2/release"))
}
