//! Every diagnostic the checker reports, one named constructor each. Messages are
//! lowercase with no final period; the fix goes in `help`.

use fg_diag::{Code, Diagnostic, Span, codes};

use crate::aws;
use crate::eval::fmt_num;
use crate::types::Ty;
use crate::value::Value;

fn suggest(d: Diagnostic, span: Span, suggestion: Option<&str>, otherwise: impl Into<String>) -> Diagnostic {
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`?")).with_fix(format!("use `{s}`"), span, s),
        None => d.with_help(otherwise),
    }
}

/// "a" or "an" before a word.
fn a(word: &str) -> &'static str {
    if word.trim_start_matches('`').starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}

pub(crate) fn list(items: &[&str]) -> String {
    items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

fn secs(ms: u64) -> String {
    if ms.is_multiple_of(1000) { format!("{}s", ms / 1000) } else { format!("{ms}ms") }
}

// ---------------------------------------------------------------- names and references

pub fn unknown_kind(span: Span, kind: &str, kinds: &[&str], suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error(codes::UNKNOWN_KIND, span, format!("unknown kind `{kind}`"), "not a kind of declaration");
    suggest(d, span, suggestion, format!("declarations are {}", list(kinds)))
}

pub fn duplicate_name(span: Span, prev: Span, name: &str) -> Diagnostic {
    Diagnostic::error(codes::DUPLICATE_NAME, span, format!("`{name}` is declared twice"), "declared again here")
        .with_label(prev, "first declared here")
        .with_help("rename one of them; names are shared by all declarations and `let`s of a stack")
}

pub fn unknown_reference(span: Span, name: &str, what: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error(
        codes::UNKNOWN_REFERENCE,
        span,
        format!("unknown reference `{name}`"),
        format!("no {what} is named `{name}`"),
    );
    suggest(d, span, suggestion, format!("declare a {what} named `{name}`, or check the spelling"))
}

pub fn wrong_kind(span: Span, expected: &str, found: &str, name: &str, decl: Option<Span>) -> Diagnostic {
    let d = Diagnostic::error(
        codes::WRONG_KIND,
        span,
        format!("expected {} `{expected}`, found {found} `{name}`", a(expected)),
        format!("this is a `{found}`"),
    )
    .with_help(format!("refer to {} `{expected}` declaration here", a(expected)));
    match decl {
        Some(s) => d.with_label(s, format!("`{name}` is declared here as a `{found}`")),
        None => d,
    }
}

pub fn unknown_field(span: Span, schema: &str, key: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error(
        codes::UNKNOWN_FIELD,
        span,
        format!("unknown field `{key}` in `{schema}`"),
        "not a field of this block",
    );
    suggest(d, span, suggestion, format!("`fgc explain FG0105`; the fields of `{schema}` are documented in stdlib/"))
}

pub fn set_attribute(span: Span, schema: &str, name: &str) -> Diagnostic {
    Diagnostic::error(
        codes::UNKNOWN_FIELD,
        span,
        format!("`{name}` is an attribute of a `{schema}`, not a setting"),
        "set by AWS",
    )
    .with_help(format!("remove it; other declarations can read it as `<name>.{name}`"))
}

pub fn duplicate_field(span: Span, prev: Span, key: &str) -> Diagnostic {
    Diagnostic::error(codes::DUPLICATE_FIELD, span, format!("`{key}` is set twice"), "set again here")
        .with_label(prev, "first set here")
        .with_help("remove one of them")
}

pub fn missing_field(span: Span, schema: &str, field: &str, ty: &Ty) -> Diagnostic {
    Diagnostic::error(
        codes::MISSING_FIELD,
        span,
        format!("missing field `{field}` in `{schema}`"),
        format!("`{field}` is required"),
    )
    .with_help(format!("add `{field} = …` ({})", ty.describe()))
}

pub fn missing_app(span: Span) -> Diagnostic {
    Diagnostic::error(codes::APP_DECL, span, "missing `app` declaration", "no `app` in this stack")
        .with_help("add `app \"name\" { region = \"eu-west-1\" }` to one of the stack's files")
}

pub fn duplicate_app(span: Span, prev: Span) -> Diagnostic {
    Diagnostic::error(codes::APP_DECL, span, "a stack has one `app` declaration", "second `app`")
        .with_label(prev, "first `app` here")
        .with_help("remove one of them")
}

pub fn app_name(span: Span, name: &str) -> Diagnostic {
    Diagnostic::error(codes::APP_DECL, span, format!("invalid app name `{name}`"), "used in every AWS name")
        .with_help("use lowercase letters, digits and `-`, starting with a letter, at most 24 characters")
}

pub fn import_failed(span: Span, path: &str, why: &str) -> Diagnostic {
    Diagnostic::error(codes::IMPORT_FAILED, span, format!("cannot import `{path}`"), why.to_string())
        .with_help("import paths are relative to the importing file")
}

pub fn let_cycle(span: Span, use_span: Span, chain: &[String]) -> Diagnostic {
    let mut path = chain.to_vec();
    if let Some(first) = chain.first() {
        path.push(first.clone());
    }
    Diagnostic::error(
        codes::CYCLE,
        use_span,
        format!("`{}` refers to itself", chain.first().map_or("", String::as_str)),
        "used here while being defined",
    )
    .with_label(span, format!("cycle: {}", path.join(" → ")))
    .with_help("break the cycle: one of these bindings must not use the others")
}

pub fn let_too_deep(span: Span, max: usize) -> Diagnostic {
    Diagnostic::error(
        codes::CYCLE,
        span,
        format!("`let` bindings refer to each other more than {max} deep"),
        "too deep",
    )
    .with_help("shorten the chain of bindings")
}

pub fn container_cycle(span: Span, cycle: &[String]) -> Diagnostic {
    let (message, label) = if cycle.len() <= 2 {
        (format!("container `{}` depends on itself", cycle[0]), "depends on itself".to_string())
    } else {
        ("containers depend on each other in a cycle".to_string(), cycle.join(" → "))
    };
    Diagnostic::error(codes::CYCLE, span, message, label)
        .with_help("remove one `depends_on` entry of the cycle; ECS rejects cyclic container dependencies")
}

pub fn unknown_attribute(
    span: Span,
    kind: &str,
    name: &str,
    attr: &str,
    outs: &[&str],
    suggestion: Option<&str>,
) -> Diagnostic {
    let d = Diagnostic::error(
        codes::UNKNOWN_ATTRIBUTE,
        span,
        format!("`{name}` has no attribute `{attr}`"),
        format!("not exported by `{kind}`"),
    );
    suggest(d, span, suggestion, format!("{} `{kind}` exports {}", a(kind), list(outs)))
}

pub fn unknown_let_field(span: Span, name: &str, field: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error(
        codes::UNKNOWN_ATTRIBUTE,
        span,
        format!("`{name}` has no field `{field}`"),
        "not in this record",
    );
    suggest(d, span, suggestion, format!("add `{field}` to `{name}`"))
}

pub fn field_of_non_record(span: Span, field: &str, found: &str) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_ATTRIBUTE, span, format!("cannot read `{field}` of {found}"), "not a record")
        .with_help("only records and declarations have fields")
}

pub fn unknown_environment(span: Span, name: &str, envs: &[&str], suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error(
        codes::ENVIRONMENT,
        span,
        format!("unknown environment `{name}`"),
        "not in the app's `environments`",
    );
    suggest(d, span, suggestion, format!("the app declares {}; add `{name}` to `environments`", list(envs)))
}

pub fn missing_environment(span: Span, env: &str) -> Diagnostic {
    Diagnostic::error(
        codes::ENVIRONMENT,
        span,
        format!("no value for environment `{env}`"),
        format!("`{env}` has no case here"),
    )
    .with_help(format!("add `{env} = …`, or `_ = …` for every other environment"))
}

pub fn duplicate_environment(span: Span, env: &str) -> Diagnostic {
    Diagnostic::error(codes::ENVIRONMENT, span, format!("environment `{env}` is listed twice"), "listed again")
        .with_help("remove the duplicate")
}

pub fn env_flag(span: Span, env: &str, envs: &[&str]) -> Diagnostic {
    Diagnostic::error(
        codes::ENVIRONMENT,
        span,
        format!("unknown environment `{env}` given to `--env`"),
        "environments are declared here",
    )
    .with_help(format!("use one of {}", list(envs)))
}

pub fn unknown_function(span: Span, name: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error(codes::UNKNOWN_FUNCTION, span, format!("unknown function `{name}`"), "not a function");
    suggest(d, span, suggestion, "the functions are `ssm`, `secret`, `forward`, `respond` and `redirect`")
}

pub fn bad_call(span: Span, name: &str, signature: &str) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_FUNCTION, span, format!("wrong arguments to `{name}`"), "called here")
        .with_help(format!("write `{signature}`"))
}

pub fn unknown_variant(
    span: Span,
    word: &str,
    enum_name: &str,
    names: &[&str],
    suggestion: Option<&str>,
) -> Diagnostic {
    let d = Diagnostic::error(
        codes::UNKNOWN_VARIANT,
        span,
        format!("unknown value `{word}`"),
        format!("not {} `{enum_name}`", a(enum_name)),
    );
    suggest(d, span, suggestion, format!("use one of {}", list(names)))
}

pub fn unknown_region(span: Span, region: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error(codes::UNKNOWN_VARIANT, span, format!("unknown region `{region}`"), "not an AWS region");
    suggest(d, span, suggestion, "use a region code such as `\"eu-west-1\"`")
}

pub fn schema_in_user_code(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        codes::SCHEMA_IN_USER_CODE,
        span,
        format!("`{what}` definitions belong to the standard library"),
        "not allowed here",
    )
    .with_help("reuse configuration with `let name = { … }` and `...name` instead")
}

pub fn block_needs_label(span: Span, key: &str) -> Diagnostic {
    let example = match key {
        "listener" => "listener https { … }",
        "sidecar" => "sidecar envoy { … }",
        "allow" => "allow read_uploads { … }",
        _ => "schedule nightly { … }",
    };
    Diagnostic::error(codes::BAD_LABEL, span, format!("`{key}` blocks need a label"), "label missing")
        .with_help(format!("write `{example}`"))
}

pub fn block_takes_no_label(span: Span, key: &str) -> Diagnostic {
    Diagnostic::error(codes::BAD_LABEL, span, format!("`{key}` takes no label"), "unexpected label")
        .with_help(format!("write `{key} {{ … }}` or `{key} = …`"))
}

pub fn misplaced_statement(span: Span, stmt: &str, schema: &str) -> Diagnostic {
    let place = match stmt {
        "route" => "a balancer's `listener` block",
        _ => "a service's `scale` block",
    };
    Diagnostic::error(codes::BAD_LABEL, span, format!("`{stmt}` is not allowed in a `{schema}` block"), "misplaced")
        .with_help(format!("`{stmt}` belongs in {place}"))
}

// ---------------------------------------------------------------- types and units

pub fn type_mismatch(span: Span, ty: &Ty, found: &Value) -> Diagnostic {
    let d = Diagnostic::error(
        codes::TYPE_MISMATCH,
        span,
        format!("expected {}, found {}", ty.describe(), found.describe()),
        "wrong type",
    );
    let help = match (ty, &found.kind) {
        (Ty::String | Ty::Text, crate::value::V::Word(w)) => format!("quote it: `\"{w}\"`"),
        (Ty::Text, crate::value::V::Ref(r)) => {
            format!("interpolate one of its attributes, such as `\"${{{}.address}}\"`", r.name)
        }
        (Ty::String, crate::value::V::Number { .. } | crate::value::V::Bool(_)) => "quote it".to_string(),
        _ => format!("write {}", ty.describe()),
    };
    d.with_help(help)
}

pub fn missing_unit(span: Span, ty: &Ty, fixed: &str) -> Diagnostic {
    Diagnostic::error(codes::MISSING_UNIT, span, format!("expected {}, found a bare number", ty.describe()), "no unit")
        .with_help(format!("units are part of the type: write `{fixed}`"))
        .with_fix(format!("use `{fixed}`"), span, fixed)
}

pub fn unknown_unit(span: Span, unit: &str, valid: &[&str], suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error(codes::UNKNOWN_UNIT, span, format!("unknown unit `{unit}`"), "not a unit");
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`? units here: {}", list(valid))),
        None => d.with_help(format!("units here: {}", list(valid))),
    }
}

pub fn granularity(span: Span, text: &str, what: &str) -> Diagnostic {
    Diagnostic::error(codes::BAD_GRANULARITY, span, format!("`{text}` is not {what}"), "too fine")
        .with_help("use a smaller unit with a whole number, such as `700MiB` instead of `0.7GiB`")
}

pub fn fractional(span: Span, text: &str, what: &str) -> Diagnostic {
    Diagnostic::error(codes::OUT_OF_RANGE, span, format!("`{text}` is not {what}"), "fractional")
        .with_help("use a whole number, or a smaller unit")
}

pub fn out_of_range(span: Span, what: &str, value: &str, lo: &str, hi: &str) -> Diagnostic {
    range_in(codes::OUT_OF_RANGE, span, what, value, lo, hi)
}

pub fn range_in(code: Code, span: Span, what: &str, value: &str, lo: &str, hi: &str) -> Diagnostic {
    Diagnostic::error(code, span, format!("{what} must be between {lo} and {hi}, found {value}"), "out of range")
        .with_help(format!("use a value from {lo} to {hi}"))
}

pub fn whole_seconds(span: Span, what: &str, ms: u64) -> Diagnostic {
    let s = ms.div_ceil(1000);
    Diagnostic::error(codes::BAD_GRANULARITY, span, format!("{what} must be whole seconds, found {ms}ms"), "too fine")
        .with_help(format!("use `{s}s`"))
        .with_fix(format!("use `{s}s`"), span, format!("{s}s"))
}

pub fn bad_spread(span: Span, found: &str) -> Diagnostic {
    Diagnostic::error(codes::BAD_SPREAD, span, format!("cannot spread {found}"), "not a record")
        .with_help("spread a record: `let base = { cpu = 256 }` then `...base`")
}

pub fn bad_interpolation(span: Span, shown: &str) -> Diagnostic {
    Diagnostic::error(codes::BAD_INTERPOLATION, span, format!("cannot interpolate {shown}"), "has no text form")
        .with_help("interpolate a string, a number or an attribute such as `${db.address}`")
}

pub fn interpolate_declaration(span: Span, kind: &str, name: &str, outs: &[&str]) -> Diagnostic {
    let first = outs.iter().find(|o| **o != "password").copied().unwrap_or("name");
    Diagnostic::error(
        codes::BAD_INTERPOLATION,
        span,
        format!("cannot interpolate {kind} `{name}` itself"),
        "a declaration",
    )
    .with_help(format!("interpolate one of its attributes ({}), such as `${{{name}.{first}}}`", list(outs)))
}

pub fn secret_interpolated(span: Span, name: &str, attr: &str) -> Diagnostic {
    Diagnostic::error(
        codes::BAD_INTERPOLATION,
        span,
        format!("`{name}.{attr}` is a secret and cannot appear in text"),
        "secret",
    )
    .with_help(format!("pass it as a secret: `secrets = {{ DB_PASSWORD = {name}.{attr} }}`"))
}

pub fn deploy_time_value(span: Span) -> Diagnostic {
    Diagnostic::error(
        codes::BAD_INTERPOLATION,
        span,
        "this value is only known at deploy time",
        "refers to an attribute AWS assigns",
    )
    .with_help("this field needs a value known when fgc runs; use a literal, a `let` or `${env}`")
}

pub fn quoted_literal(span: Span, ty: &Ty, text: &str) -> Diagnostic {
    Diagnostic::error(codes::TYPE_MISMATCH, span, format!("expected {}, found a string", ty.describe()), "quoted")
        .with_help(format!("write it without quotes: `{text}`"))
        .with_fix(format!("use `{text}`"), span, text)
}

pub fn expected_list(span: Span, inner: &Ty) -> Diagnostic {
    Diagnostic::error(
        codes::TYPE_MISMATCH,
        span,
        format!("expected a list of {}, found a single value", crate::types::plural(inner)),
        "not a list",
    )
    .with_help("wrap it in brackets: `[…]`")
}

// ---------------------------------------------------------------- AWS rules

pub fn port_range(span: Span, p: i64) -> Diagnostic {
    Diagnostic::error(codes::PORT_RANGE, span, format!("port {p} is outside 1–65535"), "not a port")
        .with_help("use a port from 1 to 65535")
}

pub fn fargate_cpu(span: Span, cpu: u32) -> Diagnostic {
    let nearest =
        aws::FARGATE_CPU.iter().min_by_key(|&&c| (i64::from(c) - i64::from(cpu)).abs()).copied().unwrap_or(256);
    Diagnostic::error(codes::FARGATE_CPU, span, format!("Fargate has no CPU size {cpu}"), "not a Fargate CPU size")
        .with_help(format!("use one of 256, 512, 1024, 2048, 4096, 8192, 16384 (nearest: {nearest})"))
        .with_fix(format!("use `{nearest}`"), span, nearest.to_string())
}

pub fn fargate_memory(span: Span, cpu: u32, mib: u32, cpu_span: Span, cpu_written: bool) -> Diagnostic {
    let nearest = aws::nearest_memory(cpu, mib);
    let options = aws::fargate_memory(cpu);
    let range = match (options.first(), options.last()) {
        (Some(a), Some(b)) => format!("{}–{}", aws::fmt_mib(*a), aws::fmt_mib(*b)),
        _ => String::new(),
    };
    let shown: Vec<String> = nearest.iter().map(|m| format!("`{}`", aws::fmt_mib(*m))).collect();
    let cpus = aws::cpus_for_memory(mib);
    let mut help = if shown.len() == 1 {
        format!("the nearest valid size for {cpu} CPU is {}", shown[0])
    } else {
        format!("the nearest valid sizes for {cpu} CPU are {}", shown.join(" and "))
    };
    if let Some(c) = cpus.first() {
        help.push_str(&format!(", or keep {} with `cpu = {c}`", aws::fmt_mib(mib)));
    }
    let mut d = Diagnostic::error(
        codes::FARGATE_MEMORY,
        span,
        format!("Fargate does not offer {} of memory with {cpu} CPU units", aws::fmt_mib(mib)),
        format!("{cpu} CPU takes {range}"),
    )
    .with_help(help);
    if cpu_written {
        d = d.with_label(cpu_span, "CPU size set here");
    }
    for m in nearest {
        let text = aws::fmt_mib(m);
        d = d.with_fix(format!("use `{text}`"), span, text);
    }
    d
}

pub fn fargate_memory_granularity(span: Span, bytes: u64, cpu: u32) -> Diagnostic {
    let mib = bytes.div_ceil(1 << 20) as u32;
    let near = aws::nearest_memory(cpu, mib);
    let d = Diagnostic::error(codes::BAD_GRANULARITY, span, "task memory must be whole MiB", "not whole MiB");
    match near.first() {
        Some(_) => {
            let shown: Vec<String> = near.iter().map(|m| format!("`{}`", aws::fmt_mib(*m))).collect();
            let mut d = d.with_help(format!("the nearest valid sizes for {cpu} CPU are {}", shown.join(" and ")));
            for m in near {
                let t = aws::fmt_mib(m);
                d = d.with_fix(format!("use `{t}`"), span, t);
            }
            d
        }
        None => d.with_help(format!("use a whole number of MiB, such as `{mib}MiB`")),
    }
}

pub fn elb_name(span: Span, what: &str, name: &str, problem: &str, derived: bool) -> Diagnostic {
    let code = if name.len() > 32 { codes::NAME_TOO_LONG } else { codes::NAME_INVALID };
    let msg = if derived {
        format!("the derived {what} name `{name}` is invalid")
    } else {
        format!("invalid {what} name `{name}`")
    };
    let help = if derived {
        "shorten the app or declaration name, or set `name = \"…\"` on the balancer"
    } else {
        "use at most 32 letters, digits and hyphens"
    };
    Diagnostic::error(code, span, msg, problem.to_string()).with_help(help)
}

pub fn derived_name(span: Span, what: &str, name: &str, max: usize) -> Diagnostic {
    let problem = if name.len() > max {
        format!("{} characters, at most {max} allowed", name.len())
    } else {
        "contains `--`".into()
    };
    Diagnostic::error(codes::NAME_TOO_LONG, span, format!("the derived {what} name `{name}` is invalid"), problem)
        .with_help("shorten the app, environment or declaration name")
}

pub fn target_group_name(span: Span, name: &str, problem: &str) -> Diagnostic {
    let code = if name.len() > 32 { codes::NAME_TOO_LONG } else { codes::NAME_INVALID };
    Diagnostic::error(code, span, format!("the derived target group name `{name}` is invalid"), problem.to_string())
        .with_help("shorten the app or service name; target group names take 32 characters")
}

pub fn timeout_not_below_interval(span: Span, timeout: u32, interval: u32, interval_span: Span) -> Diagnostic {
    Diagnostic::error(
        codes::HEALTH_TIMEOUT,
        span,
        format!("health check timeout {timeout}s must be shorter than the interval {interval}s"),
        "not shorter than the interval",
    )
    .with_label(interval_span, "interval set here")
    .with_help(format!("lower `timeout` below {interval}s or raise `interval`"))
}

pub fn matcher(span: Span, m: &str) -> Diagnostic {
    Diagnostic::error(codes::MATCHER, span, format!("invalid health check matcher `{m}`"), "not HTTP codes")
        .with_help("write `\"200\"`, `\"200,302\"` or `\"200-299\"` with codes from 200 to 499")
}

pub fn health_path(span: Span, p: &str) -> Diagnostic {
    Diagnostic::error(codes::TYPE_MISMATCH, span, format!("health check path `{p}` must start with `/`"), "not a path")
        .with_help(format!("write `\"/{p}\"`"))
}

pub fn duplicate_priority(span: Span, prev: Span, p: u32) -> Diagnostic {
    Diagnostic::error(codes::DUPLICATE_PRIORITY, span, format!("two routes have priority {p}"), "same priority")
        .with_label(prev, "also here")
        .with_help("give each route of a listener its own `priority`; unwritten ones are 10, 20, 30 … in order")
}

pub fn priority_range(span: Span, p: i64) -> Diagnostic {
    Diagnostic::error(codes::PRIORITY_RANGE, span, format!("rule priority {p} is outside 1–50000"), "out of range")
        .with_help("use a priority from 1 to 50000")
}

pub fn vpc_cidr(span: Span, cidr: &str, what: &str) -> Diagnostic {
    Diagnostic::error(codes::VPC_CIDR, span, format!("{what} block `{cidr}` must be between /16 and /28"), "wrong size")
        .with_help("use a prefix from /16 to /28, such as `10.0.0.0/16`")
}

pub fn subnet_outside(span: Span, subnet: &str, vpc: &str, vpc_span: Span) -> Diagnostic {
    Diagnostic::error(
        codes::SUBNET_OUTSIDE_VPC,
        span,
        format!("subnet `{subnet}` is outside the VPC `{vpc}`"),
        "not inside the VPC",
    )
    .with_label(vpc_span, "the VPC's block")
    .with_help(format!("choose a block inside `{vpc}`, or omit the subnets to derive them"))
}

pub fn subnet_overlap(span: Span, prev: Span, a: &str, b: &str) -> Diagnostic {
    Diagnostic::error(codes::SUBNET_OVERLAP, span, format!("subnet `{a}` overlaps `{b}`"), "overlaps")
        .with_label(prev, format!("`{b}` is here"))
        .with_help("give each subnet its own block")
}

pub fn subnet_count(span: Span, key: &str, got: usize, want: usize) -> Diagnostic {
    Diagnostic::error(
        codes::SUBNET_COUNT,
        span,
        format!("`{key}` has {got} blocks for {want} zones"),
        "one block per zone",
    )
    .with_help(format!("write {want} blocks, or change `zones`"))
}

pub fn derived_subnets_do_not_fit(span: Span, cidr: &str, bits: i64, zones: usize) -> Diagnostic {
    Diagnostic::error(
        codes::SUBNET_COUNT,
        span,
        format!("{} subnets of `{cidr}` with {bits} more bits do not fit", 2 * zones),
        "subnets cannot be derived",
    )
    .with_help("use a larger VPC block, fewer zones, or a `subnet_bits` that keeps subnets between /16 and /28")
}

pub fn https_without_certificate(span: Span) -> Diagnostic {
    Diagnostic::error(codes::LISTENER_TLS, span, "`https` listener without a certificate", "needs `certificate`")
        .with_help("add `certificate = \"arn:aws:acm:…\"`, or use `listener http`")
}

pub fn http_with_tls(span: Span, key: &str) -> Diagnostic {
    Diagnostic::error(
        codes::LISTENER_TLS,
        span,
        format!("`{key}` applies to `https` listeners only"),
        "ignored on http",
    )
    .with_help("use `listener https { … }`, or remove it")
}

pub fn duplicate_port(span: Span, prev: Span, port: u16) -> Diagnostic {
    Diagnostic::error(codes::DUPLICATE_PORT, span, format!("two listeners use port {port}"), "port taken")
        .with_label(prev, "first used here")
        .with_help("give each listener its own `port` (an https listener also takes 80 unless `redirect_http = false`)")
}

pub fn route_without_port(span: Span, service: &str, decl: Span) -> Diagnostic {
    Diagnostic::error(
        codes::ROUTE_WITHOUT_PORT,
        span,
        format!("route to service `{service}`, which has no `port`"),
        "traffic sent here",
    )
    .with_label(decl, "declared here without `port`")
    .with_help(format!("add `port = …` to `{service}`"))
}

pub fn no_egress(
    span: Span,
    service: &str,
    network: &str,
    missing: &[&str],
    network_span: Span,
    public: bool,
) -> Diagnostic {
    if public {
        return Diagnostic::error(
            codes::NO_EGRESS,
            span,
            format!("tasks of `{service}` cannot pull their image: public subnets without `public_ip` and no {} endpoint", list(missing)),
            "runs in public subnets without a public address",
        )
        .with_label(network_span, "network declared here")
        .with_help("set `public_ip = true`, move the service to private subnets (the default), or add `endpoints = [ecr, logs, s3]`");
    }
    Diagnostic::error(
        codes::NO_EGRESS,
        span,
        format!(
            "tasks of `{service}` cannot pull their image: `{network}` has no NAT and no {} endpoint",
            list(missing)
        ),
        "runs in private subnets",
    )
    .with_label(network_span, "`nat = none` here")
    .with_help("add `endpoints = [ecr, logs, s3]` to the network, or use `nat = single`")
}

pub fn image_unreachable(
    span: Span,
    service: &str,
    image: &str,
    (network, network_span): (&str, Span),
    region: &str,
    public: bool,
) -> Diagnostic {
    let (way, label) = if public {
        ("they have no public address and the network's", "network declared here")
    } else {
        (&*format!("`{network}` has no NAT and its"), "`nat = none` here")
    };
    Diagnostic::error(
        codes::NO_EGRESS,
        span,
        format!("tasks of `{service}` cannot pull `{image}`: {way} endpoints reach only ECR in {region}"),
        "not an ECR image of this region",
    )
    .with_label(network_span, label)
    .with_help("push the image to a `repository` of the stack and write `\"${images.url}:tag\"`, or give the tasks a way out (`nat = single`)")
}

pub fn log_retention(span: Span, ms: u64, near: u32) -> Diagnostic {
    let days = ms as f64 / 86_400_000.0;
    Diagnostic::error(
        codes::LOG_RETENTION,
        span,
        format!("CloudWatch Logs cannot keep logs for {} days", fmt_num(days)),
        "not a retention period",
    )
    .with_help(format!("the nearest allowed period is `{near}d`"))
    .with_fix(format!("use `{near}d`"), span, format!("{near}d"))
}

pub fn deployment_percent(span: Span, key: &str, value: f64, lo: &str, hi: &str) -> Diagnostic {
    Diagnostic::error(
        codes::DEPLOYMENT,
        span,
        format!("`{key}` must be a whole percentage from {lo} to {hi}, found {}%", fmt_num(value)),
        "out of range",
    )
    .with_help(format!("use a value from {lo} to {hi}"))
}

pub fn deployment_stuck(span: Span) -> Diagnostic {
    Diagnostic::error(
        codes::DEPLOYMENT,
        span,
        "`min_healthy = 100%` with `max = 100%` leaves no room to deploy",
        "no room",
    )
    .with_help("raise `max` (200% is usual) or lower `min_healthy`")
}

pub fn blue_green_without_route(span: Span, service: &str) -> Diagnostic {
    Diagnostic::error(
        codes::DEPLOYMENT,
        span,
        format!("blue/green deployment of `{service}` needs a load balancer route"),
        "no traffic to shift",
    )
    .with_help(format!("route traffic to `{service}` from a balancer, or use `strategy = rolling`"))
}

pub fn container_name(span: Span, name: &str, prev: Span) -> Diagnostic {
    Diagnostic::error(
        codes::CONTAINER_NAME,
        span,
        format!("two containers of the task are named `{name}`"),
        "name taken",
    )
    .with_label(prev, "first named here")
    .with_help("rename the sidecar")
}

pub fn sidecar_budget(span: Span, sidecars: &[Span], what: &str, used: &str, total: &str) -> Diagnostic {
    let mut d = Diagnostic::error(
        codes::CONTAINER_NAME,
        span,
        format!("sidecars reserve {used} of the task's {total} {what}, leaving nothing for the main container"),
        format!("the task's {what}"),
    )
    .with_help(format!("raise the service's {what} or lower the sidecars'"));
    for s in sidecars {
        d = d.with_label(*s, "sidecar");
    }
    d
}

pub fn capacity_weights(span: Span) -> Diagnostic {
    Diagnostic::error(codes::CAPACITY, span, "capacity mix has no positive weight", "all weights are 0")
        .with_help("set `on_demand` or `spot` to 1 or more")
}

pub fn capacity_base(span: Span, base: u32, count: u32) -> Diagnostic {
    Diagnostic::error(
        codes::CAPACITY,
        span,
        format!("capacity `base` {base} exceeds the task count {count}"),
        "too large",
    )
    .with_help("lower `base` to at most `count`")
}

pub fn no_listener(span: Span) -> Diagnostic {
    Diagnostic::warning(codes::NO_LISTENER, span, "load balancer has no listener", "accepts no traffic")
        .with_help("add `listener http { … }` or `listener https { … }`")
}

pub fn listener_without_default(span: Span) -> Diagnostic {
    Diagnostic::error(
        codes::LISTENER_DEFAULT,
        span,
        "listener has no routes and no `default`",
        "nowhere to send requests",
    )
    .with_help("add `default = forward(service)` or a `route \"/*\" -> service`")
}

pub fn unrouted_health(span: Span, service: &str) -> Diagnostic {
    Diagnostic::warning(
        codes::UNROUTED_HEALTH,
        span,
        format!("`{service}` has a load balancer health check but no route"),
        "never checked",
    )
    .with_help("route traffic to it from a balancer, or use `container_health`")
}

pub fn wildcard_action(span: Span, action: &str) -> Diagnostic {
    Diagnostic::error(codes::WILDCARD_ACTION, span, format!("permission grants `{action}`"), "wildcard action")
        .with_help("name the actions the task needs, such as `\"s3:GetObject\"`")
}

pub fn ambiguous_network(span: Span, kind: &str, networks: &[&str]) -> Diagnostic {
    let help = if networks.is_empty() {
        "declare a network: `network main { cidr = 10.0.0.0/16 }`".to_string()
    } else {
        format!("set `network = …` to one of {}", list(networks))
    };
    Diagnostic::error(
        codes::AMBIGUOUS_NETWORK,
        span,
        format!("which network is this `{kind}` in?"),
        "no `network` given",
    )
    .with_help(help)
}

pub fn public_ip_private(span: Span) -> Diagnostic {
    Diagnostic::warning(
        codes::PUBLIC_IP_PRIVATE,
        span,
        "`public_ip` has no effect in private subnets",
        "unreachable address",
    )
    .with_help("set `subnets = public` too, or remove `public_ip`")
}

pub fn cross_network(span: Span, service: &str, snet: &str, bnet: &str, decl: Span) -> Diagnostic {
    Diagnostic::error(
        codes::SERVICE_BALANCER_NETWORK,
        span,
        format!("service `{service}` is in network `{snet}`, the balancer in `{bnet}`"),
        "different networks",
    )
    .with_label(decl, "service declared here")
    .with_help("put both in the same network")
}

// ---------------------------------------------------------------- scaling

pub fn scale_min_max(min_span: Span, max_span: Span, min: i64, max: i64) -> Diagnostic {
    Diagnostic::error(codes::SCALE_RANGE, min_span, format!("scaling `min` {min} is above `max` {max}"), "min here")
        .with_label(max_span, "max here")
        .with_help("make `min` at most `max`, both 0 or more")
}

pub fn scale_count(span: Span, count: u32, min: i64, max: i64) -> Diagnostic {
    Diagnostic::error(
        codes::SCALE_RANGE,
        span,
        format!("`count` {count} is outside the scaling range {min}–{max}"),
        "range here",
    )
    .with_help(format!("set `count` between {min} and {max}"))
}

pub fn step_overlap(span: Span, prev: Span, a: f64, b: f64) -> Diagnostic {
    Diagnostic::error(
        codes::STEP_OVERLAP,
        span,
        format!("step from {}% overlaps the step from {}%", fmt_num(b), fmt_num(a)),
        "overlaps",
    )
    .with_label(prev, "this step has no upper end before it")
    .with_help(format!("end the earlier step where this one starts: `… < {}%`", fmt_num(b)))
}

pub fn step_gap(span: Span, prev: Span, end: f64, start: f64) -> Diagnostic {
    Diagnostic::error(
        codes::STEP_GAP,
        span,
        format!("steps leave {}%–{}% uncovered", fmt_num(end), fmt_num(start)),
        "starts here",
    )
    .with_label(prev, format!("previous step ends at {}%", fmt_num(end)))
    .with_help("make each step start where the previous one ends")
}

pub fn step_until_direction(span: Span, first: &str, second: &str) -> Diagnostic {
    Diagnostic::error(
        codes::STEP_DIRECTION,
        span,
        format!("a step bounded by `{first}` must end with the opposite comparison, found `{second}`"),
        "same direction",
    )
    .with_help(if first.starts_with('>') { "write `>= 80% < 90%`" } else { "write `<= 20% > 10%`" })
}

pub fn step_adjustment_direction(span: Span, cmp: &str, delta: i64) -> Diagnostic {
    let (dir, want) = if cmp.starts_with('>') { ("scale out", "+") } else { ("scale in", "-") };
    Diagnostic::error(
        codes::STEP_DIRECTION,
        span,
        format!("`{cmp}` steps {dir}, but the adjustment is {delta:+}"),
        "wrong sign",
    )
    .with_help(format!("use `{want}{}`", delta.abs()))
    .with_fix(format!("use `{want}{}`", delta.abs()), span, format!("{want}{}", delta.abs()))
}

pub fn step_empty(span: Span, threshold: f64, until: f64) -> Diagnostic {
    Diagnostic::error(
        codes::STEP_DIRECTION,
        span,
        format!("step from {}% to {}% is empty", fmt_num(threshold), fmt_num(until)),
        "ends before it starts",
    )
    .with_help("the second bound must lie beyond the first in the step's direction")
}

pub fn step_metric(span: Span) -> Diagnostic {
    Diagnostic::error(codes::STEP_DIRECTION, span, "step scaling supports `cpu` and `memory`", "not supported")
        .with_help("scale on requests with `target requests 1000`")
}

pub fn step_mixed_adjustments(span: Span) -> Diagnostic {
    Diagnostic::error(codes::STEP_DIRECTION, span, "steps of one alarm mix counts and percentages", "mixed")
        .with_help("write all adjustments as counts (`+1`) or all as percentages (`+10%`)")
}

pub fn alarm_period(span: Span, ms: u64) -> Diagnostic {
    Diagnostic::error(codes::OUT_OF_RANGE, span, format!("alarm period {} is not allowed", secs(ms)), "invalid period")
        .with_help("use 10s, 30s or a multiple of 60s")
}

pub fn adjustment_sign(span: Span, text: &str) -> Diagnostic {
    let fixed = format!("+{}", text.trim_start_matches(['+', '-']));
    Diagnostic::error(
        codes::ADJUSTMENT_SIGN,
        span,
        format!("adjustment `{text}` needs a sign and a non-zero amount"),
        "unsigned",
    )
    .with_help(format!("write `{fixed}` to add tasks or `-…` to remove them"))
    .with_fix(format!("use `{fixed}`"), span, fixed)
}

pub fn requests_without_balancer(span: Span, service: &str) -> Diagnostic {
    Diagnostic::error(
        codes::REQUESTS_WITHOUT_BALANCER,
        span,
        format!("`{service}` scales on requests but no load balancer routes to it"),
        "no requests to count",
    )
    .with_help("route traffic to it, or scale on `cpu` or `memory`")
}

pub fn schedule_cron(span: Span, c: &str, fields: usize) -> Diagnostic {
    Diagnostic::error(
        codes::SCHEDULE,
        span,
        format!("cron expression `{c}` has {fields} fields, not 6"),
        "invalid cron",
    )
    .with_help("write minutes hours day-of-month month day-of-week year, such as `\"0 8 ? * MON-FRI *\"`")
}

pub fn schedule_when(span: Span, name: &str) -> Diagnostic {
    Diagnostic::error(
        codes::SCHEDULE,
        span,
        format!("schedule `{name}` needs exactly one of `cron` and `rate`"),
        "when?",
    )
    .with_help("add `cron = \"0 8 ? * MON-FRI *\"` or `rate = 1h`")
}

pub fn schedule_bounds(span: Span, name: &str) -> Diagnostic {
    Diagnostic::error(
        codes::SCHEDULE,
        span,
        format!("schedule `{name}` changes neither `min` nor `max`"),
        "does nothing",
    )
    .with_help("add `min = …` or `max = …`")
}

pub fn no_policy(span: Span) -> Diagnostic {
    Diagnostic::warning(codes::NO_POLICY, span, "scaling has no `target`, `step` or `schedule`", "nothing scales")
        .with_help("add `target cpu 70%`, or a `step`")
}

pub fn target_value(span: Span, metric: &str, wrong_unit: bool) -> Diagnostic {
    let help = if metric == "requests" {
        "write a request count per target, such as `target requests 1000`"
    } else {
        "write a percentage from 1% to 100%, such as `target cpu 70%`"
    };
    let label = if wrong_unit { "wrong unit" } else { "out of range" };
    Diagnostic::error(codes::TARGET_VALUE, span, format!("invalid target value for `{metric}`"), label).with_help(help)
}

pub fn duplicate_target(span: Span, prev: Span, metric: &str) -> Diagnostic {
    Diagnostic::error(codes::TARGET_VALUE, span, format!("two targets on `{metric}`"), "second target")
        .with_label(prev, "first target")
        .with_help("keep one target per metric")
}

// ---------------------------------------------------------------- databases and secrets

pub fn db_unreachable(span: Span, name: &str) -> Diagnostic {
    Diagnostic::error(codes::DB_UNREACHABLE, span, format!("database `{name}` is reachable by nobody"), "no `access`")
        .with_help("add `access = [service]` naming the services that connect to it")
}

pub fn database_password(span: Span, key: &str) -> Diagnostic {
    Diagnostic::error(codes::DB_PASSWORD, span, format!("`{key}`: fgc never takes a database password"), "remove this")
        .with_help("RDS generates and stores the password; pass it with `secrets = { DB_PASSWORD = <db>.password }`")
}

pub fn db_access(span: Span, service: &str, db: &str, db_span: Span) -> Diagnostic {
    Diagnostic::error(
        codes::DB_ACCESS,
        span,
        format!("service `{service}` uses database `{db}` but has no access to it"),
        "uses the database",
    )
    .with_label(db_span, "`access` is declared here")
    .with_help(format!("add `{service}` to `{db}`'s `access`"))
}

pub fn engine_version(span: Span, engine: &str, v: &str) -> Diagnostic {
    Diagnostic::error(codes::DB_VERSION, span, format!("RDS offers no {engine} version `{v}`"), "unknown version")
        .with_help(format!("use {}", aws::engine_versions(engine)))
}

pub fn backup_retention(span: Span, ms: u64) -> Diagnostic {
    let days = ms as f64 / 86_400_000.0;
    Diagnostic::error(
        codes::DB_BACKUP,
        span,
        format!("backup retention of {} days is not 0–35 whole days", fmt_num(days)),
        "out of range",
    )
    .with_help("use a retention from `0d` to `35d`")
}

pub fn db_window(span: Span, w: &str, format: &str) -> Diagnostic {
    Diagnostic::error(codes::DB_BACKUP, span, format!("invalid window `{w}`"), "not a window")
        .with_help(format!("write `\"{format}\"` in UTC, at least 30 minutes long"))
}

pub fn db_storage(span: Span, bytes: u64) -> Diagnostic {
    let gib = bytes as f64 / (1u64 << 30) as f64;
    Diagnostic::error(
        codes::DB_STORAGE,
        span,
        format!("database storage of {}GiB is outside 20GiB–64TiB", fmt_num(gib)),
        "out of range",
    )
    .with_help("use a whole number of GiB from `20GiB` to `64TiB`")
}

pub fn db_max_storage(span: Span, m: u64, storage: u64) -> Diagnostic {
    Diagnostic::error(
        codes::DB_STORAGE,
        span,
        format!(
            "`max_storage` {}GiB must be whole GiB above `storage` ({}GiB) and at most 64TiB",
            fmt_num(m as f64 / (1u64 << 30) as f64),
            storage >> 30
        ),
        "out of range",
    )
    .with_help("raise `max_storage`, or remove it to turn storage autoscaling off")
}

pub fn db_username(span: Span, u: &str) -> Diagnostic {
    Diagnostic::error(codes::DB_VERSION, span, format!("invalid master user name `{u}`"), "RDS rejects it")
        .with_help("use 1–16 letters, digits and `_`, starting with a letter, not a reserved name (admin, root, postgres, rdsadmin)")
}

pub fn db_name(span: Span, n: &str) -> Diagnostic {
    Diagnostic::error(codes::DB_VERSION, span, format!("invalid database name `{n}`"), "RDS rejects it")
        .with_help("use letters, digits and `_`, starting with a letter (no `-`)")
}

pub fn secret_in_environment(span: Span, name: &str, attr: &str) -> Diagnostic {
    Diagnostic::error(
        codes::SECRET_IN_ENV,
        span,
        format!("`{name}.{attr}` is a secret and cannot go in `environment`"),
        "secret",
    )
    .with_help(format!("move it to `secrets`: `secrets = {{ KEY = {name}.{attr} }}`"))
}

pub fn secret_call_in_environment(span: Span, func: &str) -> Diagnostic {
    Diagnostic::error(
        codes::SECRET_IN_ENV,
        span,
        format!("`{func}(…)` is a secret and cannot go in `environment`"),
        "secret",
    )
    .with_help("move it to `secrets`")
}

pub fn plain_secret(span: Span) -> Diagnostic {
    Diagnostic::error(
        codes::SECRET_IN_ENV,
        span,
        "a secret must come from SSM, Secrets Manager or a database",
        "plain text",
    )
    .with_help("write `ssm(\"/path/to/parameter\")` or `secret(\"name-or-arn\")`; never put a secret's value in source")
}

pub fn plaintext_secret(span: Span, key: &str) -> Diagnostic {
    Diagnostic::warning(
        codes::PLAINTEXT_SECRET,
        span,
        format!("`{key}` looks like a secret but is plain text"),
        "stored in plain text",
    )
    .with_help(format!("store it in SSM or Secrets Manager and use `secrets = {{ {key} = ssm(\"…\") }}`"))
}

pub fn policy_fuel(span: Span, fuel: i64) -> Diagnostic {
    Diagnostic::error(
        codes::POLICY_LIMITS,
        span,
        format!("a fuel budget of {fuel} million instructions runs nothing"),
        "too small",
    )
    .with_help("`fuel` is in millions of WebAssembly instructions; the default is 500")
}

pub fn policy_memory(span: Span, bytes: u64) -> Diagnostic {
    let mib = bytes as f64 / (1u64 << 20) as f64;
    Diagnostic::error(
        codes::POLICY_LIMITS,
        span,
        format!("a policy memory cap of {}MiB is outside 1MiB–4GiB", fmt_num(mib)),
        "out of range",
    )
    .with_help("a plugin's memory is a 32-bit WebAssembly memory: use `1MiB` to `4GiB` (the default is `256MiB`)")
}

// ---------------------------------------------------------------- ingress, images, releases

pub fn blue_green_only(span: Span, key: &str, strategy: Span) -> Diagnostic {
    Diagnostic::error(
        codes::BLUE_GREEN_ONLY,
        span,
        format!("`{key}` applies only to blue/green deployments"),
        "has no effect on a rolling deployment",
    )
    .with_label(strategy, "the strategy is `rolling`")
    .with_help(format!("set `strategy = blue_green`, or remove `{key}`"))
}

pub fn rollback_setting_unused(span: Span, key: &str, alarm: &str) -> Diagnostic {
    Diagnostic::error(
        codes::BLUE_GREEN_ONLY,
        span,
        format!("`{key}` tunes the `{alarm}` rollback alarm, which `rollback_alarms` does not list"),
        "has no effect",
    )
    .with_help(format!("add `{alarm}` to `rollback_alarms`, or remove `{key}`"))
}

pub fn rollback_unhealthy_after(span: Span, ms: u64) -> Diagnostic {
    Diagnostic::error(
        codes::TRAFFIC_SHIFT,
        span,
        format!("`rollback_unhealthy_after` must be whole minutes from 1m to 60m, found {}", secs(ms)),
        "not a whole number of minutes in range",
    )
    .with_help("CloudWatch evaluates the alarm minute by minute: use `2m`, say")
}

pub fn shift_percent(span: Span, percent: f64) -> Diagnostic {
    Diagnostic::error(
        codes::TRAFFIC_SHIFT,
        span,
        format!("`shift_percent` must be a whole percentage from 1% to 99%, found {}%", fmt_num(percent)),
        "not a traffic step",
    )
    .with_help("CodeDeploy moves traffic in whole percentages; use `shift = all_at_once` to move it all at once")
}

pub fn shift_interval(span: Span, ms: u64) -> Diagnostic {
    Diagnostic::error(
        codes::TRAFFIC_SHIFT,
        span,
        format!("`shift_interval` must be whole minutes from 1m to 2880m, found {}", secs(ms)),
        "not a whole number of minutes",
    )
    .with_help("CodeDeploy waits whole minutes between traffic steps, such as `5m`")
}

pub fn test_port_conflict(span: Span, port: u16, balancer: &str, other: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        codes::TEST_PORT,
        span,
        format!("test port {port} is already a port of balancer `{balancer}`"),
        "the test listener would take this port",
    )
    .with_label(other, what.to_string())
    .with_help("choose a port no listener or other test listener of the balancer uses, such as 8443 or 9000")
}

pub fn repository_name(span: Span, name: &str, problem: &str, derived: bool) -> Diagnostic {
    let msg = if derived {
        format!("the derived repository name `{name}` is invalid")
    } else {
        format!("invalid repository name `{name}`")
    };
    Diagnostic::error(codes::REPOSITORY, span, msg, problem.to_string()).with_help(if derived {
        "set `name = \"…\"` on the repository: 2–256 lowercase letters, digits and `.`, `_`, `-`, `/`"
    } else {
        "use 2–256 lowercase letters and digits, separated by `.`, `_`, `-` or `/`"
    })
}

pub fn repository_keep(span: Span, keep: i64) -> Diagnostic {
    Diagnostic::error(
        codes::REPOSITORY,
        span,
        format!("a repository keeps 1 to 10000 images, found {keep}"),
        "not an image count",
    )
    .with_help("set `keep` to how many recent images to keep for rollbacks, such as 30")
}

pub fn image_repository_mutable(span: Span, repo: &str, tag: &str, decl: Span) -> Diagnostic {
    Diagnostic::warning(
        codes::REPOSITORY,
        span,
        format!("tag `{tag}` of repository `{repo}` names a new image on every push, but its tags are immutable"),
        "the second push of this tag fails",
    )
    .with_label(decl, "tags are immutable here")
    .with_help("push each build under its own tag and release it with `fgc deploy`, or set `tags = mutable`")
}

pub fn image_reference(span: Span, kind: &str, name: &str) -> Diagnostic {
    Diagnostic::error(
        codes::BAD_INTERPOLATION,
        span,
        format!("an image can refer to a repository of the stack, not to {} {kind} `{name}`", a(kind)),
        "this value is only known at deploy time",
    )
    .with_help("write the image literally, or as `\"${repo.url}:tag\"` for a `repository repo { … }` of the stack")
}

pub fn image_invalid(span: Span, image: &str, error: &crate::image::ImageError) -> Diagnostic {
    Diagnostic::error(
        codes::BAD_IMAGE,
        span,
        format!("`{}` is not a valid image reference: {}", image.escape_debug(), error.reason()),
        "ECS would accept it and fail to pull it",
    )
    .with_help(error.help())
}

pub fn image_repository_attr(span: Span, repo: &str, attr: &str) -> Diagnostic {
    Diagnostic::error(
        codes::BAD_INTERPOLATION,
        span,
        format!("an image takes the repository's `url`, not its `{attr}`"),
        "not an image location",
    )
    .with_help(format!("write `\"${{{repo}.url}}:tag\"`"))
}

pub fn api_public_balancer(span: Span, balancer: &str, decl: Span) -> Diagnostic {
    Diagnostic::error(
        codes::API_BALANCER,
        span,
        format!("the API sends traffic to `{balancer}`, which faces the internet"),
        "a VPC link reaches internal balancers",
    )
    .with_label(decl, "declared with `scheme = public`")
    .with_help(format!("set `scheme = internal` on `{balancer}`, so that the API is its only way in"))
}

pub fn api_network(span: Span, balancer: &str, bnet: &str, net: &str) -> Diagnostic {
    Diagnostic::error(
        codes::API_BALANCER,
        span,
        format!("balancer `{balancer}` lives in network `{bnet}`, but the API's VPC link is in `{net}`"),
        "different networks",
    )
    .with_help(format!("set `network = {bnet}` on the API, or remove its `network`"))
}

pub fn api_stage(span: Span, stage: &str) -> Diagnostic {
    Diagnostic::error(codes::API_STAGE, span, format!("invalid stage name `{stage}`"), "not a stage name").with_help(
        "use 1–128 letters, digits, `-` and `_`, such as `\"dev\"`, or `\"$default\"` to serve from the root",
    )
}

pub fn api_route_condition(span: Span, key: &str) -> Diagnostic {
    let what = if key == "hosts" { "`host` conditions" } else { "`priority`" };
    Diagnostic::error(codes::API_ROUTE, span, format!("API routes take no {what}"), "balancer routes only")
        .with_help("API Gateway matches the method and path and picks the most specific route; match hosts and set priorities on the balancer's routes")
}

pub fn api_route_key(span: Span, problem: &str) -> Diagnostic {
    if problem.is_empty() {
        return Diagnostic::error(codes::API_ROUTE, span, "API route without a path", "no route key")
            .with_help("write `route \"GET /items\" -> service`, `route \"/dev/{proxy+}\" -> service` or `route \"$default\" -> service`");
    }
    Diagnostic::error(codes::API_ROUTE, span, "invalid API route", problem.to_string())
        .with_help("write a method and path such as `\"GET /items/{id}\"`, a path such as `\"/dev/{proxy+}\"` for any method, or `\"$default\"`")
}

pub fn api_route_duplicate(span: Span, key: &str, prev: Span) -> Diagnostic {
    Diagnostic::error(codes::API_ROUTE, span, format!("the route `{key}` is declared twice"), "declared again here")
        .with_label(prev, "first declared here")
        .with_help("remove one of them; a route key takes one service")
}

pub fn api_unrouted(span: Span, service: &str, balancer: &str, decl: Span) -> Diagnostic {
    Diagnostic::error(
        codes::API_UNROUTED,
        span,
        format!("balancer `{balancer}` has no `http` listener that routes to `{service}`"),
        "the API would reach the balancer but not this service",
    )
    .with_label(decl, "the API's balancer")
    .with_help(format!("add `route \"/path/*\" -> {service}` to an `http` listener of `{balancer}`"))
}

pub fn api_without_routes(span: Span, name: &str) -> Diagnostic {
    Diagnostic::error(codes::API_ROUTE, span, format!("API `{name}` has no routes"), "nothing would reach it")
        .with_help("add `route \"$default\" -> service` to send every request to the balancer")
}

pub fn api_cors_origin(span: Span, origin: &str, problem: &str) -> Diagnostic {
    Diagnostic::error(codes::API_CORS, span, format!("`{origin}` is not a CORS origin"), problem.to_string())
        .with_help("write an origin as `https://app.example.com` (a port may follow the host), or `\"*\"` for any")
}

pub fn api_cors_origins_empty(span: Span) -> Diagnostic {
    Diagnostic::error(codes::API_CORS, span, "`cors` allows no origin", "no origins")
        .with_help("list the origins whose pages call the API, such as `origins = [\"https://app.example.com\"]`")
}

pub fn api_cors_method(span: Span, method: &str) -> Diagnostic {
    Diagnostic::error(codes::API_CORS, span, format!("`{method}` is not an HTTP method"), "not a method")
        .with_help(format!("use {} or `*`", list(&aws::API_METHODS[1..])))
}

pub fn api_cors_header(span: Span, header: &str) -> Diagnostic {
    Diagnostic::error(codes::API_CORS, span, format!("`{header}` is not a header name"), "not a header name")
        .with_help("header names are letters, digits and `-` (such as `content-type`), or `*`")
}

pub fn api_cors_credentials(span: Span, wildcard: Span) -> Diagnostic {
    Diagnostic::error(
        codes::API_CORS,
        span,
        "`credentials = true` needs listed origins, not `*`",
        "browsers send no credentials to a wildcard origin",
    )
    .with_label(wildcard, "any origin")
    .with_help("list the origins that may send credentials, or set `credentials = false`")
}

pub fn api_cors_max_age(span: Span, ms: u64) -> Diagnostic {
    Diagnostic::error(
        codes::API_CORS,
        span,
        format!("`max_age` must be whole seconds from 0s to 86400s, found {}", secs(ms)),
        "out of range",
    )
    .with_help("browsers cap preflight caching at a day (most at two hours); use `max_age = 1h`, say")
}

pub fn api_jwt_missing(span: Span) -> Diagnostic {
    Diagnostic::error(codes::API_JWT, span, "`auth = jwt` without a `jwt` block", "which tokens?").with_help(
        "add `jwt { issuer = \"https://…\", audience = [\"…\"] }` naming the issuer and audience of the tokens",
    )
}

pub fn api_jwt_unused(span: Span, auth: &str) -> Diagnostic {
    Diagnostic::error(codes::API_JWT, span, format!("the `jwt` block is unused: `auth` is `{auth}`"), "checks no token")
        .with_help("set `auth = jwt` to require these tokens, or remove the block")
}

pub fn api_jwt_issuer(span: Span, issuer: &str) -> Diagnostic {
    Diagnostic::error(codes::API_JWT, span, format!("`{issuer}` is not an `https://` issuer URL"), "not an issuer")
        .with_help("API Gateway reads the issuer's keys over HTTPS: write its URL, such as `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf`")
}

pub fn api_jwt_audience(span: Span) -> Diagnostic {
    Diagnostic::error(codes::API_JWT, span, "a JWT authorizer needs at least one audience", "no audience")
        .with_help("list the audiences (or Cognito app client ids) the tokens are issued for")
}

pub fn api_jwt_header(span: Span, header: &str) -> Diagnostic {
    Diagnostic::error(codes::API_JWT, span, format!("`{header}` is not a header name"), "not a header name")
        .with_help("the token usually comes in `Authorization`")
}

pub fn api_limit(span: Span, key: &str, n: i64) -> Diagnostic {
    Diagnostic::error(
        codes::API_LIMIT,
        span,
        format!("`{key}` must be from 0 to 100000 requests, found {n}"),
        "out of range",
    )
    .with_help("API Gateway throttles per stage at up to 10000 requests a second by default; ask AWS for more")
}
