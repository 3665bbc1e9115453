//! AWS facts the checker enforces: the Fargate size table, CloudWatch retention periods,
//! name rules, engine versions, regions.

/// Valid Fargate CPU units.
pub const FARGATE_CPU: &[u32] = &[256, 512, 1024, 2048, 4096, 8192, 16384];

/// The memory sizes (MiB) Fargate accepts for a CPU size, in ascending order; empty for an
/// invalid CPU size.
pub fn fargate_memory(cpu: u32) -> Vec<u32> {
    const G: u32 = 1024;
    let (lo, hi, step) = match cpu {
        256 => return vec![512, G, 2 * G],
        512 => (G, 4 * G, G),
        1024 => (2 * G, 8 * G, G),
        2048 => (4 * G, 16 * G, G),
        4096 => (8 * G, 30 * G, G),
        8192 => (16 * G, 60 * G, 4 * G),
        16384 => (32 * G, 120 * G, 8 * G),
        _ => return Vec::new(),
    };
    (lo..=hi).step_by(step as usize).collect()
}

/// The valid sizes nearest to `memory` for `cpu`: the largest below and the smallest above
/// (one of them when `memory` is outside the range).
pub fn nearest_memory(cpu: u32, memory: u32) -> Vec<u32> {
    let options = fargate_memory(cpu);
    let below = options.iter().rev().find(|&&m| m < memory).copied();
    let above = options.iter().find(|&&m| m > memory).copied();
    below.into_iter().chain(above).collect()
}

/// The CPU sizes whose memory range includes `memory`.
pub fn cpus_for_memory(memory: u32) -> Vec<u32> {
    FARGATE_CPU.iter().copied().filter(|&c| fargate_memory(c).contains(&memory)).collect()
}

/// Formats MiB the way a user would write it: `512MiB`, `2GiB`.
pub fn fmt_mib(mib: u32) -> String {
    if mib.is_multiple_of(1024) { format!("{}GiB", mib / 1024) } else { format!("{mib}MiB") }
}

/// Retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[u32] =
    &[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// Why a load balancer or target group name is invalid, if it is.
pub fn elb_name_problem(name: &str) -> Option<String> {
    if name.len() > 32 {
        return Some(format!("{} characters, at most 32 allowed", name.len()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
        return Some(format!("`{c}` is not allowed: letters, digits and `-` only"));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("must not start or end with `-`".into());
    }
    if name.starts_with("internal-") {
        return Some("must not start with `internal-`".into());
    }
    None
}

/// Why an ECR repository name is invalid, if it is: 2–256 characters, lowercase
/// alphanumeric components separated by one `.`, `_`, `-` or `/`.
pub fn ecr_name_problem(name: &str) -> Option<String> {
    if !(2..=256).contains(&name.len()) {
        return Some(format!("{} characters, 2–256 allowed", name.len()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(*c))) {
        return Some(format!("`{c}` is not allowed: lowercase letters, digits and `.`, `_`, `-`, `/` only"));
    }
    let sep = |c: char| "._-/".contains(c);
    if name.starts_with(sep) || name.ends_with(sep) {
        return Some("must start and end with a letter or digit".into());
    }
    let bytes: Vec<char> = name.chars().collect();
    if bytes.windows(2).any(|w| sep(w[0]) && sep(w[1]) && !(w[0] == '_' && w[1] == '_')) {
        return Some("separators must stand between letters or digits".into());
    }
    None
}

/// Whether an API Gateway stage name is valid: `$default`, or 1–128 letters, digits,
/// `-` and `_`.
pub fn api_stage_valid(stage: &str) -> bool {
    stage == "$default"
        || (!stage.is_empty()
            && stage.len() <= 128
            && stage.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

/// Why a CORS origin is not one API Gateway accepts, if it is not: `*`, or
/// `scheme://host[:port]` with nothing after the host but a port.
pub fn cors_origin_problem(origin: &str) -> Option<&'static str> {
    if origin == "*" {
        return None;
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Some("an origin starts with a scheme, such as `https://`");
    };
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return Some("the scheme is not valid");
    }
    if rest.contains('/') {
        return Some("an origin has no path, not even a final `/`");
    }
    let host = match rest.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()) => host,
        Some(_) => return Some("the port is not a number"),
        None => rest,
    };
    let label = |l: &str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    // `https://*.example.com` is how API Gateway takes every subdomain.
    let host = host.strip_prefix("*.").unwrap_or(host);
    if !host.split('.').all(label) {
        return Some("the host is not a host name");
    }
    None
}

/// Whether `name` is an HTTP header name (an RFC 9110 token), or `*`.
pub fn header_name_valid(name: &str) -> bool {
    name == "*"
        || (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)))
}

/// HTTP methods an API route key may start with.
pub const API_METHODS: &[&str] = &["ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// An API Gateway route key in its canonical form (`ANY /dev/{proxy+}`), or why the
/// text is not one. The method may be omitted (`ANY`).
pub fn api_route_key(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text == "$default" {
        return Ok(text.into());
    }
    let (method, path) = match text.split_once(' ') {
        Some((m, p)) => (m, p.trim()),
        None if text.starts_with('/') => ("ANY", text),
        None => return Err(format!("`{text}` is neither `METHOD /path` nor `$default`")),
    };
    if !API_METHODS.contains(&method) {
        return Err(format!("`{method}` is not a method: {}", API_METHODS.join(", ")));
    }
    if !path.starts_with('/') {
        return Err(format!("the path `{path}` must start with `/`"));
    }
    if path.contains('*') {
        return Err("API paths take `{param}` and a final `{proxy+}`, not `*`".into());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        if seg.is_empty() && segments.len() != 1 {
            return Err(format!("the path `{path}` has an empty segment"));
        }
        if seg.contains(['{', '}']) {
            let inner = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'));
            let Some(inner) = inner else {
                return Err(format!("`{seg}`: a parameter takes a whole segment, `{{name}}`"));
            };
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("`{seg}`: parameter names are letters, digits and `_`"));
            }
            if greedy && i + 1 != segments.len() {
                return Err(format!("`{seg}`: a greedy parameter must be the last segment"));
            }
        }
    }
    Ok(format!("{method} {path}"))
}

/// Whether an RDS engine version is one RDS offers (by major version).
pub fn engine_version_known(engine: &str, version: &str) -> bool {
    let major = |v: &str| v.split('.').next().unwrap_or("").to_string();
    match engine {
        "postgres" => matches!(major(version).as_str(), "11" | "12" | "13" | "14" | "15" | "16" | "17"),
        "mysql" => {
            let mm: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
            matches!(mm.as_str(), "5.7" | "8.0" | "8.4")
        }
        _ => false,
    }
}

/// The versions to suggest for an engine.
pub fn engine_versions(engine: &str) -> &'static str {
    match engine {
        "postgres" => "11 … 17 (such as `\"16.4\"`)",
        _ => "`\"5.7\"`, `\"8.0\"` or `\"8.4\"`",
    }
}

/// AWS regions with Fargate.
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_table_matches_the_documentation() {
        assert_eq!(fargate_memory(256), [512, 1024, 2048]);
        assert_eq!(fargate_memory(512), [1024, 2048, 3072, 4096]);
        assert_eq!(fargate_memory(1024).len(), 7);
        assert_eq!(fargate_memory(2048).first(), Some(&4096));
        assert_eq!(fargate_memory(2048).last(), Some(&16384));
        assert_eq!(fargate_memory(4096).len(), 23); // 8..=30 GiB
        assert_eq!(fargate_memory(8192), (16..=60).step_by(4).map(|g| g * 1024).collect::<Vec<_>>());
        assert_eq!(fargate_memory(16384), (32..=120).step_by(8).map(|g| g * 1024).collect::<Vec<_>>());
        assert!(fargate_memory(300).is_empty());
        // Every CPU size's smallest memory is twice its CPU in MiB.
        for cpu in FARGATE_CPU {
            assert_eq!(fargate_memory(*cpu)[0], cpu * 2);
        }
    }

    #[test]
    fn nearest_sizes() {
        assert_eq!(nearest_memory(256, 768), [512, 1024]);
        assert_eq!(nearest_memory(256, 4096), [2048]);
        assert_eq!(nearest_memory(512, 512), [1024]);
        assert_eq!(nearest_memory(8192, 18 * 1024), [16 * 1024, 20 * 1024]);
        assert_eq!(cpus_for_memory(4096), [512, 1024, 2048]);
        assert_eq!(fmt_mib(1536), "1536MiB");
        assert_eq!(fmt_mib(2048), "2GiB");
    }

    #[test]
    fn names() {
        assert_eq!(elb_name_problem("messages-dotnet-alb"), None);
        assert!(elb_name_problem("a_b").is_some());
        assert!(elb_name_problem(&"x".repeat(33)).is_some());
        assert!(elb_name_problem("internal-web").is_some());
        assert!(engine_version_known("postgres", "16.4"));
        assert!(engine_version_known("mysql", "8.0.35"));
        assert!(!engine_version_known("mysql", "9.1"));
    }
}
