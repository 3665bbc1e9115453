//! Preflight failures as diagnostics at the `.fg` span that names the missing thing: one
//! named constructor per code (FG08xx). fg-aws finds them; this places and words them.

use fg_aws::preflight::{Failure, Problem};
use fg_diag::{Diagnostic, SourceMap, Span, codes};

/// The diagnostic for one failure.
pub fn diagnostic(sources: &SourceMap, f: &Failure) -> Diagnostic {
    let span = place(sources, f);
    match &f.problem {
        Problem::CertificateMissing => certificate_missing(span, &f.value, &f.detail),
        Problem::CertificateNotIssued(status) => certificate_not_issued(span, status),
        Problem::CertificateRegion(region) => certificate_region(span, region, &f.detail),
        Problem::ParameterMissing => parameter_missing(span, &f.value),
        Problem::SecretMissing => secret_missing(span, &f.value),
        Problem::SecretKeyMissing(key) => secret_key_missing(span, key, &f.detail),
        Problem::ImageMissing => image_missing(span, &f.value, &f.detail),
        Problem::AlarmMissing => alarm_missing(span, &f.value),
    }
}

fn certificate_missing(span: Span, arn: &str, detail: &str) -> Diagnostic {
    Diagnostic::error(
        codes::CERTIFICATE_UNUSABLE,
        span,
        format!("the certificate `{arn}` does not exist"),
        "not in ACM",
    )
    .with_help(format!("ACM answered: {detail}. Request or import it in ACM, or name an issued certificate"))
}

fn certificate_not_issued(span: Span, status: &str) -> Diagnostic {
    Diagnostic::error(
        codes::CERTIFICATE_UNUSABLE,
        span,
        format!("the certificate is not issued: its status is {status}"),
        "not issued",
    )
    .with_help(
        "a balancer takes only issued certificates: complete the certificate's DNS or email validation, or renew it",
    )
}

fn certificate_region(span: Span, region: &str, detail: &str) -> Diagnostic {
    Diagnostic::error(
        codes::CERTIFICATE_REGION,
        span,
        format!("the certificate is in {region}, not in the balancer's region"),
        detail,
    )
    .with_help("request or import the certificate in the stack's region")
}

fn parameter_missing(span: Span, name: &str) -> Diagnostic {
    Diagnostic::error(
        codes::PARAMETER_MISSING,
        span,
        format!("the SSM parameter `{name}` does not exist"),
        "no such parameter",
    )
    .with_help(
        "create it (`aws ssm put-parameter --type SecureString …`) or fix the name: tasks could not start without it",
    )
}

fn secret_missing(span: Span, name: &str) -> Diagnostic {
    Diagnostic::error(codes::SECRET_MISSING, span, format!("the secret `{name}` does not exist"), "no such secret")
        .with_help("create it in Secrets Manager or fix the name: tasks could not start without it")
}

fn secret_key_missing(span: Span, key: &str, detail: &str) -> Diagnostic {
    Diagnostic::error(codes::SECRET_KEY_MISSING, span, format!("{detail} `{key}`"), "no such key")
        .with_help("add the key to the secret's JSON value, or fix the key's name")
}

fn image_missing(span: Span, image: &str, detail: &str) -> Diagnostic {
    Diagnostic::error(codes::IMAGE_MISSING, span, format!("the image `{image}` is not in ECR"), "no such image")
        .with_help(format!("ECR answered: {detail}. Push it first, or name a tag that exists"))
}

fn alarm_missing(span: Span, name: &str) -> Diagnostic {
    Diagnostic::error(
        codes::ALARM_MISSING,
        span,
        format!("the CloudWatch alarm `{name}` does not exist"),
        "no such alarm",
    )
    .with_help("create the alarm first, or fix its name")
}

/// The span of the text the failure names, inside its declaration, or else the first
/// place in the file, or else the declaration.
fn place(sources: &SourceMap, f: &Failure) -> Span {
    let Some(file) = sources.find(&f.source.file) else { return Span::default() };
    let text = &sources.get(file).text;
    let (start, end) = (f.source.start as usize, (f.source.end as usize).min(text.len()));
    let needle = f.value.as_str();
    let found = (!needle.is_empty())
        .then(|| {
            text.get(start..end).and_then(|decl| decl.find(needle).map(|i| start + i)).or_else(|| text.find(needle))
        })
        .flatten();
    match found {
        Some(at) => Span::new(file, at, at + needle.len()),
        None => Span::new(file, start, end),
    }
}
