//! AWS errors as messages a person can act on: the call (by its IAM action), what AWS
//! said, and help for the usual causes. An answer that is not AWS's (an HTML page from a
//! proxy or an emulator, a body the SDK cannot parse) is shown as its HTTP status and a
//! short excerpt, never as the SDK's debug dump. A leaf module.

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::config::interceptors::InterceptorContext;
use aws_sdk_ec2::config::retry::{ClassifyRetry, RetryAction};
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use fg_deploy::CloudError;

/// An AWS error as a message with help. `action` is the IAM action of the call.
pub(crate) fn error<E>(action: &str, e: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let service = e.as_service_error().map(|s| (s.code().unwrap_or_default(), s.message().unwrap_or_default()));
    let (code, message) = match (&e, service) {
        (_, Some((code, message))) if !code.is_empty() => (code.to_string(), message.to_string()),
        (SdkError::ServiceError(_) | SdkError::ResponseError(_), _) => {
            (String::new(), unexpected(e.raw_response().map(|r| (r.status().as_u16(), r.body().bytes()))))
        }
        (SdkError::TimeoutError(_), _) => (String::new(), "no answer in time".to_string()),
        (SdkError::DispatchFailure(d), _) => {
            let why = if d.is_timeout() {
                "the connection timed out"
            } else if d.is_io() {
                "the connection failed (is the endpoint reachable?)"
            } else {
                "the request could not be sent"
            };
            (String::new(), format!("{why}: {}", first_cause(&e)))
        }
        _ => (String::new(), first_cause(&e)),
    };
    let help = help(&code, action);
    let what = if code.is_empty() { message } else { format!("{code}: {message}") };
    CloudError { message: format!("`{action}` failed: {what}"), help }
}

fn help(code: &str, action: &str) -> Option<String> {
    let text = match code {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "AuthFailure" => {
            return Some(format!(
                "the credentials in use may not call `{action}`; grant it to the role or user fgc runs as"
            ));
        }
        c if c.contains("Duplicate") || c.contains("AlreadyExists") || c == "ResourceInUseException" => {
            "something with this name exists that fgc's state does not record: delete or rename it, or run `fgc state recover` if fgc made it"
        }
        "DependencyViolation" => "something outside this stack still uses it; remove that first",
        "DeploymentLimitExceededException" | "DeploymentAlreadyStartedException" => {
            "a deployment of this service is still in progress: wait for it to end (or stop it in CodeDeploy) and release again"
        }
        "RepositoryNotEmptyException" => {
            "the repository still holds images: delete them, or set `force_delete = true` and apply before destroying"
        }
        _ => return None,
    };
    Some(text.to_string())
}

/// An answer the SDK could not read as an AWS error: its status and the start of its body,
/// as text (tags of an HTML page dropped, whitespace collapsed).
fn unexpected(raw: Option<(u16, Option<&[u8]>)>) -> String {
    let Some((status, body)) = raw else { return "an answer the SDK could not read".into() };
    let body = String::from_utf8_lossy(body.unwrap_or_default());
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if in_tag => {}
            c => text.push(c),
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut excerpt = words.join(" ");
    if excerpt.chars().count() > 160 {
        excerpt = format!("{}…", excerpt.chars().take(159).collect::<String>());
    }
    if excerpt.is_empty() {
        format!("HTTP {status} with an empty body, not an AWS answer")
    } else {
        format!("HTTP {status}, not an AWS answer: {excerpt}")
    }
}

/// The innermost cause of an error, in one line.
fn first_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    let text = inner.to_string();
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > 200 { format!("{}…", line.chars().take(199).collect::<String>()) } else { line.into() }
}

/// Whether an error is an answer that is not AWS's (no error code: an HTML page, an
/// emulator's "not implemented").
pub(crate) fn not_aws<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    let code = e.as_service_error().and_then(|s| s.code());
    code.is_none() && matches!(e, SdkError::ServiceError(_) | SdkError::ResponseError(_))
}

/// An HTML page answering 500 or 501 is not retried: AWS answers its errors in JSON or
/// XML, so the page comes from something in between that will say the same again (an
/// emulator's "not implemented", a misrouted proxy). Retrying it eight times, with
/// backoff, kept a run waiting half a minute per call. A 502–504 page is still retried:
/// a gateway's trouble is often passing.
#[derive(Debug)]
pub(crate) struct PageIsNotAws;

impl ClassifyRetry for PageIsNotAws {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(r) = ctx.response() else { return RetryAction::NoActionIndicated };
        let html = r.headers().get("content-type").is_some_and(|t| t.starts_with("text/html"));
        if html && matches!(r.status().as_u16(), 500 | 501) {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "an HTML error page is not AWS"
    }
}

/// A delete of a resource that is already gone succeeded: destroy stays idempotent after a
/// crash between the call and the state write, or a delete made outside fgc. `markers`
/// are the error texts by which the service says so; they differ per service.
pub(crate) fn deleted(result: Result<(), CloudError>, markers: &[&str]) -> Result<(), CloudError> {
    match result {
        Err(e) if markers.iter().any(|m| e.message.contains(m)) => Ok(()),
        other => other,
    }
}

/// A read of a resource that is gone: `None`, not an error.
pub(crate) fn gone<T>(result: Result<Option<T>, CloudError>, markers: &[&str]) -> Result<Option<T>, CloudError> {
    match result {
        Err(e) if markers.iter().any(|m| e.message.contains(m)) => Ok(None),
        other => other,
    }
}

pub(crate) fn unsupported(kind: &str) -> CloudError {
    CloudError {
        message: format!("the AWS SDK backend cannot manage `{kind}` yet"),
        help: Some("deploy this stack with `fgc build` and Terraform for now".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_html_page_is_an_excerpt_not_a_dump() {
        let page = b"<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1><p>The server encountered an internal error and was unable to complete your request.</p></body></html>";
        let m = unexpected(Some((500, Some(page))));
        assert_eq!(
            m,
            "HTTP 500, not an AWS answer: 500 Internal Server Error Internal Server Error The server encountered an internal error and was unable to complete your request."
        );
        assert!(unexpected(Some((502, Some(b"")))).contains("HTTP 502 with an empty body"));
        let long = "x".repeat(400);
        assert!(unexpected(Some((500, Some(long.as_bytes())))).chars().count() < 200);
    }
}
