//! Container image references: `[registry[:port]/]path[:tag][@digest]`.
//!
//! ECS accepts any string of up to 255 characters as an image and only fails when a task
//! tries to pull it, minutes into a rollout. The checker (for `image = …`) and `fgc deploy`
//! (for `--image`) reject malformed references up front with this parser, which follows
//! the grammar Docker and the OCI distribution spec use: lowercase path components joined
//! by `.`, `_`, `__` or dashes; a registry host recognised by a `.` or `:` or as
//! `localhost`; a tag of at most 128 word characters, dots and dashes; a digest
//! `algorithm:hex`. It does not check that the image exists.

/// The parts of a valid reference, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// The registry host (and port), when the reference names one.
    pub registry: Option<&'a str>,
    /// The repository path, such as `library/nginx` or `acme/api`.
    pub path: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

/// A private ECR image's registry: `<account>.dkr.ecr.<region>.amazonaws.com`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ecr<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub repository: &'a str,
}

impl<'a> ImageRef<'a> {
    /// The ECR account, region and repository, when the image is a private ECR image
    /// (FIPS and China endpoints included).
    pub fn ecr(&self) -> Option<Ecr<'a>> {
        let (account, rest) = self.registry?.split_once('.')?;
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let rest = rest.strip_prefix("dkr.ecr.").or_else(|| rest.strip_prefix("dkr.ecr-fips."))?;
        let region = rest.strip_suffix(".amazonaws.com").or_else(|| rest.strip_suffix(".amazonaws.com.cn"))?;
        (!region.is_empty() && !region.contains('.')).then_some(Ecr { account, region, repository: self.path })
    }
}

/// Why a reference is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageError {
    Empty,
    /// A character no part of a reference takes, such as a space.
    Character(char),
    /// Uppercase letters in the repository path.
    Uppercase(String),
    /// A path component that is empty or starts or ends with a separator.
    Component(String),
    Registry(String),
    Tag(String),
    Digest(String),
    /// The name (registry and path) is longer than 255 characters.
    TooLong(usize),
}

const MAX_NAME: usize = 255;
const MAX_TAG: usize = 128;

impl ImageError {
    /// What is wrong, lowercase, for a diagnostic's message.
    pub fn reason(&self) -> String {
        match self {
            ImageError::Empty => "it is empty".into(),
            ImageError::Character(c) if c.is_whitespace() => "it contains whitespace".into(),
            ImageError::Character(c) => format!("`{}` is not allowed in an image reference", c.escape_debug()),
            ImageError::Uppercase(p) => format!("the repository path `{p}` has uppercase letters"),
            ImageError::Component(c) if c.is_empty() => "the repository path has an empty component".into(),
            ImageError::Component(c) => format!("the path component `{c}` starts or ends with a separator"),
            ImageError::Registry(r) => format!("`{r}` is not a registry host"),
            ImageError::Tag(t) if t.is_empty() => "the tag after `:` is empty".into(),
            ImageError::Tag(t) if t.len() > MAX_TAG => format!("the tag is {} characters long", t.len()),
            ImageError::Tag(t) => format!("`{t}` is not a tag"),
            ImageError::Digest(d) => format!("`{d}` is not a digest"),
            ImageError::TooLong(n) => format!("its name is {n} characters long"),
        }
    }

    /// How to fix it.
    pub fn help(&self) -> String {
        match self {
            ImageError::Empty => "name an image, such as `\"nginx:1.27\"` or `\"${images.url}:v1\"`".into(),
            ImageError::Character(_) => {
                "an image is `[registry/]path[:tag][@digest]`, such as `ghcr.io/acme/api:1.4.2`".into()
            }
            ImageError::Uppercase(p) => format!("repository paths are lowercase: `{}`", p.to_ascii_lowercase()),
            ImageError::Component(_) => {
                "path components are lowercase letters and digits joined by `.`, `_`, `__` or `-`, with one `/` between components".into()
            }
            ImageError::Registry(_) => {
                "a registry is a host name with an optional port, such as `registry.example.com:5000`".into()
            }
            ImageError::Tag(_) => format!(
                "a tag is 1 to {MAX_TAG} letters, digits, `_`, `.` and `-`, and does not start with `.` or `-`"
            ),
            ImageError::Digest(_) => "a digest is an algorithm and at least 32 hex digits, such as `sha256:…`".into(),
            ImageError::TooLong(_) => format!("registry and path together are at most {MAX_NAME} characters"),
        }
    }
}

/// Why the tasks of a service could not pull an image released to it (`fgc deploy`),
/// known before anything is registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullProblem {
    Malformed(ImageError),
    /// The tasks reach only ECR in `region`, through the endpoints of `network`.
    OutsideRegion {
        network: String,
        region: String,
    },
    /// The execution role may pull from the `allowed` ECR repositories only (from none
    /// when the source names no ECR image for the service).
    NotPermitted {
        repository: String,
        allowed: Vec<String>,
    },
}

impl PullProblem {
    pub fn reason(&self, service: &str, image: &str) -> String {
        match self {
            PullProblem::Malformed(e) => {
                format!("`{}` is not a valid image reference: {}", image.escape_debug(), e.reason())
            }
            PullProblem::OutsideRegion { network, region } => format!(
                "tasks of `{service}` cannot pull `{image}`: `{network}` gives them no way out but endpoints, which reach only ECR in {region}"
            ),
            PullProblem::NotPermitted { repository, allowed } if allowed.is_empty() => format!(
                "tasks of `{service}` may not pull from ECR repository `{repository}`: the source gives `{service}` no ECR image, so its execution role has no ECR access"
            ),
            PullProblem::NotPermitted { repository, allowed } => format!(
                "tasks of `{service}` may not pull from ECR repository `{repository}`: its execution role allows {}",
                crate::diagnostics::list(&allowed.iter().map(String::as_str).collect::<Vec<_>>())
            ),
        }
    }

    pub fn help(&self, service: &str) -> String {
        match self {
            PullProblem::Malformed(e) => e.help(),
            PullProblem::OutsideRegion { region, .. } => {
                format!("push the image to an ECR repository in {region}, such as a `repository` of the stack")
            }
            PullProblem::NotPermitted { repository, .. } => format!(
                "release an image of a repository the role allows, or write an image of `{repository}` as `{service}`'s `image` and run `fgc apply` first"
            ),
        }
    }
}

/// What keeps the tasks of `service` from pulling `image` once released to them, if
/// anything: a malformed reference, a registry their network cannot reach, or an ECR
/// repository their execution role (derived from the source's images) may not read.
pub fn pull_problem(model: &crate::model::Model, service: &crate::model::Service, image: &str) -> Option<PullProblem> {
    let parsed = match parse(image) {
        Ok(p) => p,
        Err(e) => return Some(PullProblem::Malformed(e)),
    };
    let ecr = parsed.ecr();
    if let Some(n) = model.no_route_out(service)
        && ecr.is_none_or(|e| e.region != model.app.region)
    {
        return Some(PullProblem::OutsideRegion { network: n.name.clone(), region: model.app.region.clone() });
    }
    let e = ecr?;
    let (mut allowed, own) = model.pulls_from(service);
    allowed.extend(
        own.iter().filter_map(|o| model.repositories.iter().find(|r| &r.name == o)).map(|r| r.aws_name.clone()),
    );
    allowed.sort();
    allowed.dedup();
    (!allowed.iter().any(|a| a == e.repository))
        .then(|| PullProblem::NotPermitted { repository: e.repository.to_string(), allowed })
}

/// Parses `reference`, or says what is wrong with it.
pub fn parse(reference: &str) -> Result<ImageRef<'_>, ImageError> {
    if reference.is_empty() {
        return Err(ImageError::Empty);
    }
    if let Some(c) = reference.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(ImageError::Character(c));
    }
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (reference, None),
    };
    // A `:` after the last `/` starts the tag; one before it belongs to a registry port.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].find(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if name.len() > MAX_NAME {
        return Err(ImageError::TooLong(name.len()));
    }
    let (registry, path) = match name.split_once('/') {
        Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => (Some(first), path),
        _ => (None, name),
    };
    if let Some(registry) = registry
        && !is_registry(registry)
    {
        return Err(ImageError::Registry(registry.to_string()));
    }
    if path.is_empty() && registry.is_none() {
        return Err(ImageError::Empty);
    }
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(ImageError::Uppercase(path.to_string()));
    }
    for component in path.split('/') {
        if !is_component(component) {
            return Err(match component.chars().find(|c| !is_path_char(*c)) {
                Some(c) => ImageError::Character(c),
                None => ImageError::Component(component.to_string()),
            });
        }
    }
    if let Some(tag) = tag
        && !is_tag(tag)
    {
        return Err(ImageError::Tag(tag.to_string()));
    }
    if let Some(digest) = digest
        && !is_digest(digest)
    {
        return Err(ImageError::Digest(digest.to_string()));
    }
    Ok(ImageRef { registry, path, tag, digest })
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or one or more `-`.
fn is_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else { return false };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let dashes = sep.bytes().all(|x| x == b'-');
        if !(dashes || matches!(sep, "." | "_" | "__")) {
            return false;
        }
    }
    true
}

/// A host name, IPv4 address or bracketed IPv6 address, with an optional port.
fn is_registry(r: &str) -> bool {
    let (host, port) = if let Some(inner) = r.strip_prefix('[') {
        let Some((v6, after)) = inner.split_once(']') else { return false };
        if v6.is_empty() || !v6.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            return false;
        }
        match after {
            "" => return true,
            p => match p.strip_prefix(':') {
                Some(port) => ("", Some(port)),
                None => return false,
            },
        }
    } else {
        match r.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (r, None),
        }
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    port_ok && (r.starts_with('[') || host.split('.').all(label_ok))
}

fn is_tag(t: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    !t.is_empty() && t.len() <= MAX_TAG && word(t.as_bytes()[0]) && t.bytes().all(|b| word(b) || b == b'.' || b == b'-')
}

fn is_digest(d: &str) -> bool {
    let Some((algorithm, hex)) = d.split_once(':') else { return false };
    let component = |c: &str| {
        c.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) && c.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    algorithm.split(['+', '.', '-', '_']).all(component)
        && hex.len() >= 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_references_split_into_their_parts() {
        let cases: &[(&str, Option<&str>, &str, Option<&str>)] = &[
            ("nginx", None, "nginx", None),
            ("nginx:1.27", None, "nginx", Some("1.27")),
            ("library/nginx:latest", None, "library/nginx", Some("latest")),
            ("ghcr.io/acme/api:1.4.2", Some("ghcr.io"), "acme/api", Some("1.4.2")),
            ("localhost:5000/api", Some("localhost:5000"), "api", None),
            ("localhost/api:v1", Some("localhost"), "api", Some("v1")),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:3f2a1c",
                Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
                "shop/api",
                Some("3f2a1c"),
            ),
            ("public.ecr.aws/nginx/nginx:1.27-alpine", Some("public.ecr.aws"), "nginx/nginx", Some("1.27-alpine")),
            ("[::1]:5000/a__b/c--d/e.f_g", Some("[::1]:5000"), "a__b/c--d/e.f_g", None),
            ("Registry.Example.COM/x:V_1", Some("Registry.Example.COM"), "x", Some("V_1")),
        ];
        for (reference, registry, path, tag) in cases {
            let r = parse(reference).unwrap_or_else(|e| panic!("{reference}: {e:?}"));
            assert_eq!((r.registry, r.path, r.tag), (*registry, *path, *tag), "{reference}");
        }
        let digest = format!("sha256:{}", "a".repeat(64));
        let reference = format!("nginx:1.27@{digest}");
        let r = parse(&reference).unwrap();
        assert_eq!((r.tag, r.digest), (Some("1.27"), Some(digest.as_str())));
    }

    #[test]
    fn malformed_references_say_why() {
        let long_tag = format!("x:{}", "a".repeat(129));
        let long_name = "a".repeat(256);
        let cases: Vec<(&str, ImageError)> = vec![
            ("", ImageError::Empty),
            ("nginx 1.27", ImageError::Character(' ')),
            ("nginx:1.27\n", ImageError::Character('\n')),
            ("Acme/API:v1", ImageError::Uppercase("Acme/API".into())),
            ("ghcr.io/Acme/api", ImageError::Uppercase("Acme/api".into())),
            ("acme//api", ImageError::Component(String::new())),
            ("acme/api/", ImageError::Component(String::new())),
            ("-api", ImageError::Component("-api".into())),
            ("a..b", ImageError::Component("a..b".into())),
            ("a___b", ImageError::Component("a___b".into())),
            ("a+b", ImageError::Character('+')),
            ("nginx:", ImageError::Tag(String::new())),
            ("nginx:.x", ImageError::Tag(".x".into())),
            ("nginx:a:b", ImageError::Tag("a:b".into())),
            (&long_tag, ImageError::Tag("a".repeat(129))),
            ("nginx@sha256:abc", ImageError::Digest("sha256:abc".into())),
            ("nginx@", ImageError::Digest(String::new())),
            ("bad_host.io/api", ImageError::Registry("bad_host.io".into())),
            ("host.io:port/api", ImageError::Registry("host.io:port".into())),
            (&long_name, ImageError::TooLong(256)),
        ];
        for (reference, want) in cases {
            let got = parse(reference).expect_err(reference);
            assert_eq!(got, want, "{reference:?}");
            assert!(!got.reason().is_empty() && !got.help().is_empty());
        }
    }

    #[test]
    fn private_ecr_images_name_their_account_region_and_repository() {
        fn ecr(s: &str) -> Option<Ecr<'_>> {
            parse(s).ok()?.ecr()
        }
        assert_eq!(
            ecr("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:3f2a1c"),
            Some(Ecr { account: "123456789012", region: "eu-west-1", repository: "shop/api" })
        );
        assert_eq!(ecr("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/api").map(|e| e.region), Some("cn-north-1"));
        assert_eq!(ecr("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/api").map(|e| e.region), Some("us-east-1"));
        for other in
            ["public.ecr.aws/nginx/nginx:1", "nginx", "12345.dkr.ecr.eu-west-1.amazonaws.com/api", "ghcr.io/a/b"]
        {
            assert_eq!(ecr(other), None, "{other}");
        }
    }

    #[test]
    fn any_input_parses_or_fails_without_panicking() {
        let alphabet = ["a", "Z", "0", ".", "_", "-", "/", ":", "@", "[", "]", " ", "é", "__", "--"];
        let mut s = String::new();
        for i in 0..5000usize {
            s.clear();
            let mut n = i;
            for _ in 0..6 {
                s.push_str(alphabet[n % alphabet.len()]);
                n /= alphabet.len();
            }
            let _ = parse(&s);
        }
    }
}
