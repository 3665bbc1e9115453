//! Every diagnostic code fgc emits, with its long explanation (`fgc explain CODE`).
//!
//! Codes are stable: once published a code keeps its meaning. Ranges:
//! `FG00xx` syntax, `FG01xx` names and references, `FG02xx` types and units,
//! `FG03xx` AWS rules for networks, balancers and services, `FG04xx` scaling,
//! `FG05xx` databases and secrets, `FG06xx` policy plugins, `FG07xx` APIs, image
//! repositories and blue/green releases, `FG08xx` preflight: what the source names outside
//! the stack, looked up in AWS before `fgc plan` or `fgc apply` changes anything.

/// A stable diagnostic code such as `FG0302`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(pub &'static str);

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// A code, its short name and its long explanation.
#[derive(Debug)]
pub struct CodeInfo {
    pub code: &'static str,
    pub name: &'static str,
    pub explanation: &'static str,
}

impl Code {
    /// The registry entry of this code.
    pub fn info(self) -> Option<&'static CodeInfo> {
        lookup(self.0)
    }
}

/// Finds a code in the registry, case-insensitively (`fg0302` works too).
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

macro_rules! codes {
    ($( $id:ident = $code:literal $name:literal $explain:literal; )*) => {
        $( #[doc = $name] pub const $id: Code = Code($code); )*
        /// The registry, in code order.
        pub static CODES: &[CodeInfo] = &[ $( CodeInfo { code: $code, name: $name, explanation: $explain } ),* ];
    };
}

codes! {
    SYNTAX = "FG0001" "syntax-error"
"The parser could not read the file at this point.

Why: fgc reads `.fg` files with one grammar; text that does not fit it cannot be
understood. The message lists what the parser expected at that position.

Example:
    service web {
      cpu = 256 +      // `+` is not an operator in .fg
    }";
    COLON_ASSIGN = "FG0002" "colon-instead-of-equals"
"An attribute was written with `:` where `.fg` uses `=`.

Why: one spelling keeps files uniform and searchable; `:` is used only for field types
in the standard library.

Example:
    cpu: 256     // write `cpu = 256`";
    BAD_NUMBER = "FG0003" "invalid-number"
"A number literal is too large or malformed.

Example:
    count = 99999999999999999999";
    BAD_CIDR = "FG0004" "invalid-cidr"
"A CIDR block is malformed: an octet above 255, a prefix above 32, or host bits set
below the prefix (`10.0.0.1/16` names the same network as `10.0.0.0/16`, and AWS rejects it).

Example:
    cidr = 10.0.0.300/16";
    BAD_ESCAPE = "FG0005" "invalid-escape"
"A string contains an escape that does not name a character.

Example:
    image = \"registry\\q\"   // valid escapes: \\n \\t \\r \\\" \\\\ \\$ \\u{…}";

    UNKNOWN_KIND = "FG0101" "unknown-kind"
"A declaration uses a kind the standard library does not define.

Why: every declaration is checked against its kind's schema; the kinds are `service`,
`network`, `balancer`, `database` (and `app`, written `app \"name\" { … }`).

Example:
    servce web { … }     // did you mean `service`?";
    DUPLICATE_NAME = "FG0102" "duplicate-name"
"Two declarations or `let` bindings share a name.

Why: names are how declarations refer to each other and become part of AWS resource names;
they must be unique across all files of a stack, whatever their kind.";
    UNKNOWN_REFERENCE = "FG0103" "unknown-reference"
"A name does not refer to any declaration, `let` binding or allowed value.

Example:
    route \"/api/*\" -> apii     // did you mean `api`?";
    WRONG_KIND = "FG0104" "reference-to-wrong-kind"
"A reference names a declaration of the wrong kind, such as a database where a service is
expected.

Example:
    route \"/*\" -> main     // `main` is a network, routes go to services";
    UNKNOWN_FIELD = "FG0105" "unknown-field"
"A block sets a field its schema does not define. Usually a misspelling; the help names
the closest field. `fgc` never ignores unknown fields, because a silently ignored
`memroy = 2GiB` deploys the wrong task size.";
    DUPLICATE_FIELD = "FG0106" "duplicate-field"
"A field is set twice in one block. Spreads (`...base`) may be overridden by a field
written in the block; two written fields may not.";
    MISSING_FIELD = "FG0107" "missing-field"
"A required field is not set and has no default.

Example:
    service web { cpu = 256 }   // `image` is required";
    APP_DECL = "FG0108" "app-declaration"
"A stack needs exactly one `app \"name\" { region = … }` declaration across its files.";
    IMPORT_FAILED = "FG0109" "import-failed"
"An imported file could not be read. Paths are relative to the importing file.

Example:
    import \"./shared.fg\"";
    CYCLE = "FG0110" "cycle"
"Definitions refer to each other in a circle: `let` bindings that spread each other, or
containers whose `depends_on` lead back to themselves. Such a value has no meaning and
ECS rejects container dependency cycles at deploy time.";
    UNKNOWN_ATTRIBUTE = "FG0111" "unknown-attribute"
"A reference asks a declaration for an attribute it does not export, as in `${db.adress}`.
The help lists what the kind exports (for a database: `address`, `port`, `endpoint`,
`name`, `username`, `password`).";
    ENVIRONMENT = "FG0112" "unknown-environment"
"An `env { … }` selection names an environment the app does not declare, misses one the
app declares (and has no `_` case), or `--env` names an unknown environment.

Example:
    app \"shop\" { region = \"eu-west-1\", environments = [dev, prod] }
    service web { count = env { dev = 1, prd = 3 } }   // `prd` is not declared";
    UNKNOWN_FUNCTION = "FG0113" "unknown-function"
"A call names a function that does not exist or passes the wrong arguments. The functions
are `ssm(name)`, `secret(name_or_arn, key?)`, `forward(service)`,
`respond(status, body?, content_type?)` and `redirect(url, status?)`.";
    UNKNOWN_VARIANT = "FG0114" "unknown-value"
"A bare word is not one of the values the field accepts.

Example:
    nat = singel     // one of `none`, `single`, `per_zone`";
    SCHEMA_IN_USER_CODE = "FG0115" "schema-outside-stdlib"
"`kind`, `schema` and `enum` definitions belong to the standard library; stacks reuse
configuration with `let` bindings and `...spread` instead.";
    BAD_LABEL = "FG0116" "misplaced-block"
"A block was written with a label where none is expected, or without one where the field
needs it (`listener https { … }`, `sidecar envoy { … }`), or a statement such as `route`
appears in a block that does not take it.";

    TYPE_MISMATCH = "FG0201" "type-mismatch"
"A value has the wrong type for its field, such as a string where a number is expected.";
    UNKNOWN_UNIT = "FG0202" "unknown-unit"
"A number carries a unit fgc does not know. Sizes: `KiB`, `MiB`, `GiB`, `TiB`; durations:
`ms`, `s`, `m`, `h`, `d`; percentages: `%`; CPU: `vcpu`.";
    MISSING_UNIT = "FG0203" "missing-unit"
"A size, duration or percentage was written as a bare number. Units are part of the type:
`memory = 512` could be MiB or GiB, so fgc asks for `512MiB`.";
    OUT_OF_RANGE = "FG0204" "value-out-of-range"
"A number is outside the range its field allows, or is fractional where a whole number is
needed (a task count of 1.5).";
    BAD_GRANULARITY = "FG0205" "unit-granularity"
"A duration or size is finer than AWS accepts for this field, such as `1500ms` for a
health check interval (whole seconds) or `1.5MiB` of memory.";
    BAD_SPREAD = "FG0206" "spread-of-non-record"
"`...x` spreads the fields of a record into a block; `x` must be a record.";
    BAD_INTERPOLATION = "FG0207" "invalid-interpolation"
"`${…}` inside a string must name a value that has a text form: a `let` bound to a string
or number, `env`, or an exported attribute such as `${db.address}`. Secrets (`db.password`)
never appear in text; pass them through `secrets` instead.";
    BAD_IMAGE = "FG0208" "invalid-image-reference"
"An image is `[registry[:port]/]path[:tag][@digest]`: lowercase path components of letters
and digits joined by `.`, `_`, `__` or `-`; a tag of up to 128 letters, digits, `_`, `.`
and `-`; a digest such as `sha256:` and its hex digits. ECS takes any text as an image and
fails only when a task pulls it, so fgc rejects a malformed one before it is deployed.
An image may interpolate a repository of the stack, as `\"${images.url}:v1\"`, and only
its `url`.";

    FARGATE_CPU = "FG0301" "invalid-fargate-cpu"
"Fargate accepts these CPU sizes only: 256 (.25 vCPU), 512, 1024, 2048, 4096, 8192 and
16384 units (`0.25vcpu` … `16vcpu` work too).";
    FARGATE_MEMORY = "FG0302" "invalid-fargate-memory"
"The memory is not allowed for the task's CPU size. Fargate's table:
    256   → 512MiB, 1GiB, 2GiB
    512   → 1GiB … 4GiB in 1GiB steps
    1024  → 2GiB … 8GiB in 1GiB steps
    2048  → 4GiB … 16GiB in 1GiB steps
    4096  → 8GiB … 30GiB in 1GiB steps
    8192  → 16GiB … 60GiB in 4GiB steps
    16384 → 32GiB … 120GiB in 8GiB steps
Why: ECS rejects the task definition at deploy time. The help names the nearest valid
sizes, and the editor offers them as fixes.";
    NAME_TOO_LONG = "FG0303" "aws-name-too-long"
"A name fgc derives for AWS is longer than AWS allows: load balancers and target groups
take 32 characters. Derived names are `<app>-<env>-<name>` (blue/green target groups add `-b` and `-g`);
shorten the app or declaration name, or set `name` explicitly.";
    NAME_INVALID = "FG0304" "aws-name-invalid"
"A name fgc derives for AWS contains characters AWS rejects. Load balancer and target
group names take letters, digits and hyphens only and must not start or end with a hyphen
or start with `internal-`.";
    HEALTH_INTERVAL = "FG0305" "health-check-interval"
"A load balancer health check interval must be between 5s and 300s.";
    HEALTH_TIMEOUT = "FG0306" "health-check-timeout"
"A health check timeout must be between 2s and 120s and shorter than the interval; a
container health check timeout between 2s and 60s, interval between 5s and 300s.";
    HEALTH_THRESHOLD = "FG0307" "health-check-threshold"
"Healthy and unhealthy thresholds must be between 2 and 10 (container health checks:
retries between 1 and 10).";
    DUPLICATE_PRIORITY = "FG0308" "duplicate-rule-priority"
"Two routes on one listener have the same priority. Priorities are derived in order
(10, 20, 30 …) unless written with `priority N`; AWS requires them unique per listener.";
    PRIORITY_RANGE = "FG0309" "rule-priority-range"
"Listener rule priorities must be between 1 and 50000.";
    SUBNET_OUTSIDE_VPC = "FG0310" "subnet-outside-vpc"
"A subnet's CIDR block is not inside the VPC's CIDR block.";
    SUBNET_OVERLAP = "FG0311" "subnet-overlap"
"Two subnets of one network overlap; AWS rejects the second.";
    PORT_RANGE = "FG0312" "port-range"
"Ports are between 1 and 65535.";
    ROUTE_WITHOUT_PORT = "FG0313" "route-to-service-without-port"
"A route sends traffic to a service that declares no `port`, so the load balancer has
nowhere to send it. Add `port = …` to the service.";
    SUBNET_COUNT = "FG0314" "subnet-count"
"Explicit subnet lists must have one CIDR per zone, and derived subnets must fit: with
`subnet_bits = N` a VPC holds 2^N subnets and fgc derives two per zone.";
    VPC_CIDR = "FG0315" "vpc-cidr-size"
"A VPC CIDR block must be between /16 and /28, and subnets between /16 and /28 too.";
    LISTENER_TLS = "FG0316" "listener-certificate"
"An `https` listener needs a `certificate` (an ACM certificate ARN); an `http` listener
takes no certificate or TLS policy.";
    DUPLICATE_PORT = "FG0317" "duplicate-listener-port"
"Two listeners of one load balancer use the same port (an `https` listener also takes
port 80 for its HTTP→HTTPS redirect unless `redirect_http = false`).";
    NO_EGRESS = "FG0318" "no-image-pull-path"
"Tasks must reach their image registry and CloudWatch Logs to start: through NAT from
private subnets, through their own public address in public subnets (`public_ip = true`),
or through VPC endpoints for `ecr`, `logs` and `s3`. A service with none of these never
starts a task. Endpoints reach ECR in the stack's region and nothing else, so behind them
every image must come from there: a repository of the stack (`\"${images.url}:v1\"`) or
another private ECR repository of the region, not Docker Hub, GitHub or public ECR.";
    LOG_RETENTION = "FG0319" "log-retention"
"CloudWatch Logs accepts these retention periods only: 1, 3, 5, 7, 14, 30, 60, 90, 120,
150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 and 3653 days.";
    MATCHER = "FG0320" "health-check-matcher"
"A health check matcher is an HTTP code (`\"200\"`), a list (`\"200,302\"`) or a range
(`\"200-299\"`) of codes between 200 and 499.";
    DEPLOYMENT = "FG0321" "deployment-percent"
"Rolling deployments need `min_healthy` between 0% and 100% and `max` between 100% and
200%, with room to replace tasks (not both 100%).";
    CONTAINER_NAME = "FG0322" "container-name"
"Container names within a task must be unique and must not reuse the service's own name,
which names its main container.";
    CAPACITY = "FG0323" "capacity-mix"
"A capacity mix needs a positive weight on at least one of `on_demand` and `spot`, and a
`base` no larger than the task count.";
    NO_LISTENER = "FG0324" "balancer-without-listener"
"A load balancer has no listener, so it accepts no traffic.";
    LISTENER_DEFAULT = "FG0325" "listener-without-default"
"A listener with no routes needs a `default` action: `forward(service)`,
`respond(404, \"Not Found\")` or `redirect(\"https://…\")`.";
    UNROUTED_HEALTH = "FG0326" "health-check-without-balancer"
"A service sets a load balancer `health` check but no route sends it traffic, so the check
would never run. Route traffic to it or use `container_health`.";
    WILDCARD_ACTION = "FG0327" "wildcard-permission"
"A task permission grants `*` actions. fgc keeps IAM least-privilege: name the actions.";
    AMBIGUOUS_NETWORK = "FG0328" "ambiguous-network"
"A balancer, service or database does not say which network it lives in and the stack has
several (or none). Set `network = …`.";
    PUBLIC_IP_PRIVATE = "FG0329" "public-ip-in-private-subnet"
"`public_ip = true` only makes sense in public subnets; in private subnets the address is
unreachable. Set `subnets = public` or drop `public_ip`.";
    SERVICE_BALANCER_NETWORK = "FG0330" "cross-network-route"
"A route sends traffic to a service in a different network than the load balancer.";

    SCALE_RANGE = "FG0401" "scaling-range"
"Scaling bounds must satisfy 0 ≤ min ≤ count ≤ max.";
    STEP_OVERLAP = "FG0402" "step-intervals-overlap"
"Two steps on the same metric and direction cover the same values, so AWS could not decide
which adjustment applies.

Example:
    step cpu >= 80% => +1
    step cpu >= 90% => +2    // write the first as `>= 80% < 90%`";
    STEP_GAP = "FG0403" "step-intervals-gap"
"Steps on the same metric and direction leave values between them that trigger no
adjustment, which AWS rejects for one alarm's step adjustments.";
    STEP_DIRECTION = "FG0404" "step-direction"
"A step's bounds and adjustment disagree: `>=`/`>` steps scale out and need a positive
adjustment, `<=`/`<` steps scale in and need a negative one; a second bound must close the
interval on the other side.";
    REQUESTS_WITHOUT_BALANCER = "FG0405" "requests-metric-without-balancer"
"Scaling on `requests` (ALB requests per target) needs a route from a load balancer to the
service.";
    ADJUSTMENT_SIGN = "FG0406" "adjustment-sign"
"A step adjustment is written with its sign, `+1` or `-1` (`+10%` for a percentage).";
    SCHEDULE = "FG0407" "schedule-expression"
"A scheduled action takes `cron = \"…\"` with six fields as Application Auto Scaling
expects (`0 8 ? * MON-FRI *`), or `rate = 1h`, and at least one of `min` and `max`.";
    NO_POLICY = "FG0408" "scaling-without-policy"
"A `scale` block sets bounds but no `target`, `step` or `schedule`, so nothing would ever
change the task count.";
    TARGET_VALUE = "FG0409" "target-value"
"A target tracking value is a percentage between 1% and 100% for `cpu` and `memory`, and
a positive request count per target for `requests`.";

    DB_UNREACHABLE = "FG0501" "database-unreachable"
"A database grants `access` to no service, so nothing could ever connect to it.";
    DB_PASSWORD = "FG0502" "database-password-in-source"
"fgc never takes a database password: RDS generates it and keeps it in Secrets Manager.
Services receive it with `secrets = { DB_PASSWORD = db.password }`.";
    DB_ACCESS = "FG0503" "database-used-without-access"
"A service refers to a database that does not list it in `access`; its tasks could not
connect.";
    DB_VERSION = "FG0504" "database-engine-version"
"The engine version is not one RDS offers for the engine.";
    DB_BACKUP = "FG0505" "database-backup"
"Backup retention is between 0 and 35 days; windows are written `hh:mm-hh:mm` in UTC
(maintenance windows `ddd:hh:mm-ddd:hh:mm`), at least 30 minutes long.";
    DB_STORAGE = "FG0506" "database-storage"
"Allocated storage is between 20GiB and 64TiB, and `max_storage` (storage autoscaling)
above it.";
    SECRET_IN_ENV = "FG0507" "secret-in-environment"
"A secret was placed in `environment`, which is stored in plain text in the task
definition. Use `secrets`.";
    PLAINTEXT_SECRET = "FG0508" "plaintext-secret"
"An environment variable whose name says it holds a secret (PASSWORD, SECRET, TOKEN, KEY)
is set to a literal. Literals end up in plain text in the task definition and in state;
store the value in SSM or Secrets Manager and use `secrets = { NAME = ssm(\"…\") }`.";

    POLICY_FINDING = "FG0601" "policy-finding"
"A policy plugin's rule found a problem in the resources this declaration produces. The
message names the policy and its rule; the plugin's help says how to comply.

Why: policies encode an organisation's rules (minimum task counts, required tags, cost
ceilings) as WebAssembly components, run by fgc over the IR of every environment. Under
`level = deny` an error finding fails `check`, `build` and `apply`; under `level = warn`
every finding is a warning.

Example:
    policy min-tasks {
      source = \"policies/min_tasks.wasm\"
      config = { min = env { prod = 2, _ = 1 } }
    }";
    POLICY_READ = "FG0602" "policy-not-found"
"The policy's component could not be read: the path is relative to the `.fg` file that
declares the policy (or to the working directory for `--policy`).

Example:
    policy tags { source = \"policies/tags.wasm\" }   // build it with
                                                      // cargo build --target wasm32-wasip2";
    POLICY_INVALID = "FG0603" "policy-not-a-component"
"The file is not a WebAssembly component fgc can run: it is malformed, it is a core
module rather than a component, or it imports interfaces fgc does not provide (plugins get
WASI 0.2 with nothing in it, and nothing else).

Build plugins with the `fg-policy-sdk` crate and `cargo build --target wasm32-wasip2`.";
    POLICY_VERSION = "FG0604" "policy-interface-version"
"The component does not export the policy interface this fgc speaks, `fg:policy/rules`
at version 0.1.0. It was built against another version of the interface (or is not a
policy plugin at all). Rebuild it with a matching `fg-policy-sdk`.";
    POLICY_TRAP = "FG0605" "policy-crashed"
"The plugin stopped with a trap: a panic, an `unreachable`, an out-of-bounds access. The
message carries what the plugin printed, such as its panic message. Its findings are
lost; fix the plugin.";
    POLICY_FUEL = "FG0606" "policy-out-of-fuel"
"The plugin used up its fuel budget, a count of WebAssembly instructions, before it
finished: an endless loop, or more work than the budget allows. The budget makes runs
deterministic; raise it with `fuel = …` (millions of instructions) if the plugin is
legitimately slow.";
    POLICY_DEADLINE = "FG0607" "policy-deadline"
"The plugin ran past its wall-clock deadline. This backstop catches what fuel cannot,
such as a host call that does not return.";
    POLICY_MEMORY = "FG0608" "policy-out-of-memory"
"The plugin tried to grow its memory past its cap (`memory = …` on the policy, 256MiB by
default).";
    POLICY_SANDBOX = "FG0609" "policy-sandbox-violation"
"The plugin tried to reach outside its sandbox: the filesystem, environment variables,
command-line arguments, the clock or the network. Plugins see only the IR and their
config, so that a policy gives the same answer on every machine and cannot leak data.
It was stopped at the attempt.";
    POLICY_ERROR = "FG0610" "policy-failed"
"The plugin returned an error instead of findings, typically because its config is
missing a field or has the wrong type. The message is the plugin's.";
    POLICY_LIMITS = "FG0611" "policy-limits"
"A policy's limits are out of range: `fuel` is at least 1 (million instructions) and
`memory` between 1MiB and 4GiB (a 32-bit WebAssembly memory).";
    API_BALANCER = "FG0701" "api-balancer"
"An `api` reaches its balancer through a VPC link, so the balancer must be internal and
in the API's network. A public balancer would leave a second way in that skips the API's
throttling and logs.

Example:
    balancer lb { scheme = internal  listener http { route \"/dev/*\" -> backend } }
    api public  { balancer = lb  stage = \"dev\"  route \"/dev/{proxy+}\" -> backend }";
    API_STAGE = "FG0702" "api-stage-name"
"A stage name is 1–128 letters, digits, `-` and `_`, or `$default` (served from the root
of the API's URL). The stage name is the first path segment of every request.";
    API_ROUTE = "FG0703" "api-route"
"An API route key is a method and a path (`GET /items/{id}`), a path alone (any method),
or `$default`. Path parameters take whole segments; a greedy `{proxy+}` must be last.
API routes take no `host` or `priority`, and each key appears once.";
    API_UNROUTED = "FG0704" "api-service-unrouted"
"An API route names a service, but the API's balancer has no `http` listener with a route
to it. The API forwards requests to the balancer's listener and the balancer's rules pick
the service, so the balancer must route to it.";
    API_LIMIT = "FG0705" "api-throttle-limit"
"`rate_limit` and `burst_limit` are requests per second and requests at once, 0–100000.";
    API_CORS = "FG0706" "api-cors"
"An API's `cors { … }` lists origins as `scheme://host[:port]` (no path) or `\"*\"`,
methods as HTTP methods or `\"*\"`, headers as header names or `\"*\"`, and a
`max_age` of whole seconds up to a day. Browsers refuse credentials with a wildcard
origin, and so does API Gateway: list the origins when `credentials = true`.";
    API_JWT = "FG0707" "api-jwt"
"`auth = jwt` needs a `jwt { issuer = \"https://…\", audience = [\"…\"] }` block naming
the tokens to accept, and a `jwt` block does nothing without `auth = jwt`. The issuer is
an `https://` URL (API Gateway fetches its keys from it), with at least one audience.";
    REPOSITORY = "FG0710" "repository"
"An ECR repository name is 2–256 lowercase letters and digits separated by `.`, `_`, `-`
or `/`; `keep` is 1–10000 images. A service that takes a fixed tag such as `latest` from
a repository with immutable tags can only ever be pushed once.";
    BLUE_GREEN_ONLY = "FG0720" "blue-green-only"
"`shift`, `shift_percent`, `shift_interval`, `test_port`, `rollback_alarms` and `alarms`
configure CodeDeploy blue/green deployments. On a rolling deployment they would silently
do nothing. Likewise `rollback_5xx` and `rollback_unhealthy_after` tune the `http_5xx` and
`unhealthy` rollback alarms, and do nothing unless `rollback_alarms` lists them.";
    TRAFFIC_SHIFT = "FG0721" "traffic-shift"
"A canary or linear blue/green deployment moves a whole percentage of traffic, 1%–99%,
per step, and waits whole minutes (1m–2880m) between steps. The `unhealthy` rollback
alarm fires after whole minutes of failed health checks (`rollback_unhealthy_after`,
1m–60m).";
    TEST_PORT = "FG0722" "test-port-conflict"
"A blue/green service's `test_port` adds a listener on each balancer that routes to it.
The port must not be used by another listener or test listener of that balancer.";
    CERTIFICATE_UNUSABLE = "FG0801" "certificate-unusable"
"An HTTPS listener names an ACM certificate that does not exist, or is not issued yet
(pending validation, expired, revoked, failed).

Why: the balancer refuses the listener (`CertificateNotFound`, `UnsupportedCertificate`),
after everything before it was created. fgc looks the certificate up before the first
change and creates nothing.

Fix: issue the certificate (validate its domain), or name one that is issued:
    listener https { certificate = \"arn:aws:acm:eu-west-1:123456789012:certificate/…\" }";
    CERTIFICATE_REGION = "FG0802" "certificate-in-another-region"
"A balancer can only use an ACM certificate of its own region. The certificate's ARN
names another one.

Fix: request or import the certificate in the stack's region (CloudFront is the one
service that takes certificates from us-east-1 only; balancers do not).";
    PARAMETER_MISSING = "FG0803" "ssm-parameter-missing"
"A secret comes from an SSM parameter that does not exist in the stack's region.

Why: ECS starts no task whose secret it cannot read; the service would keep failing to
start after a successful apply. Create the parameter (`aws ssm put-parameter`), or fix
its name.";
    SECRET_MISSING = "FG0804" "secret-missing"
"A secret comes from a Secrets Manager secret that does not exist in the stack's region.

Why: ECS starts no task whose secret it cannot read. Create the secret, or fix its name.";
    SECRET_KEY_MISSING = "FG0805" "secret-key-missing"
"`secret(\"name:key\")` takes one key of a secret whose value is a JSON object; the
secret's value has no such key.

Why: ECS fails the task at start with `ResourceInitializationError`. Add the key to the
secret's value, or fix the key's name.";
    IMAGE_MISSING = "FG0806" "image-missing"
"The image names a repository of this region's ECR, or a tag or digest in it, that does
not exist.

Why: the tasks could not pull it, and the deployment would roll back (or never become
stable). Push the image first (`docker push`), or name a tag that exists.";
    ALARM_MISSING = "FG0807" "alarm-missing"
"A blue/green deployment lists an existing CloudWatch alarm (`alarms = [...]`) that does
not exist in the stack's region.

Why: CodeDeploy would refuse the deployment group, or a rollback would never trigger.
Create the alarm first, or fix its name.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_explained() {
        for pair in CODES.windows(2) {
            assert!(pair[0].code < pair[1].code, "{} before {}", pair[0].code, pair[1].code);
        }
        for c in CODES {
            assert!(c.code.len() == 6 && c.code.starts_with("FG"), "{}", c.code);
            assert!(!c.explanation.trim().is_empty());
        }
        assert_eq!(lookup("fg0302").map(|c| c.name), Some("invalid-fargate-memory"));
    }
}
