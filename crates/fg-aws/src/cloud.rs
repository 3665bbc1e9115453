//! `fg_deploy::Cloud` for [`Aws`]: every kind routed to the module of its AWS service, and
//! the contracts those modules declare. An update is checked against its module's work:
//! an attribute no call applied fails the update by name, and only what a call carried is
//! recorded.

use fg_deploy::{
    AttrChange, Cloud, CloudError, Contracts, Created, Deployed, Handling, KindSpec, Observed, Partial, Resolved, State,
};

use crate::changes::Changes;
use crate::errors::unsupported;
use crate::{Aws, apigateway, autoscaling, cloudwatch, codedeploy, ec2, ecr, ecs, elbv2, iam, kms, logs, rds};

/// The AWS services fgc calls, one module each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Ec2,
    Elbv2,
    Ecs,
    Iam,
    Logs,
    Kms,
    AutoScaling,
    CloudWatch,
    CodeDeploy,
    Rds,
    Ecr,
    ApiGateway,
}

/// Each service with the kinds its module declares.
const SERVICES: &[(Service, &[KindSpec])] = &[
    (Service::Ec2, ec2::KINDS),
    (Service::Elbv2, elbv2::KINDS),
    (Service::Ecs, ecs::KINDS),
    (Service::Iam, iam::KINDS),
    (Service::Logs, logs::KINDS),
    (Service::Kms, kms::KINDS),
    (Service::AutoScaling, autoscaling::KINDS),
    (Service::CloudWatch, cloudwatch::KINDS),
    (Service::CodeDeploy, codedeploy::KINDS),
    (Service::Rds, rds::KINDS),
    (Service::Ecr, ecr::KINDS),
    (Service::ApiGateway, apigateway::KINDS),
];

fn lookup(kind: &str) -> Option<(Service, &'static KindSpec)> {
    SERVICES.iter().find_map(|(s, kinds)| kinds.iter().find(|k| k.kind == kind).map(|k| (*s, k)))
}

/// The contract of a kind, as its service's module declares it.
pub fn contract(kind: &str) -> Option<&'static KindSpec> {
    lookup(kind).map(|(_, k)| k)
}

/// Every kind the backend manages.
pub fn kinds() -> impl Iterator<Item = &'static KindSpec> {
    SERVICES.iter().flat_map(|(_, kinds)| kinds.iter())
}

/// The contracts alone, for planning without a connection.
pub struct Contract;

impl Contracts for Contract {
    fn contract(&self, kind: &str) -> Option<&'static KindSpec> {
        contract(kind)
    }
}

impl Contracts for Aws {
    fn contract(&self, kind: &str) -> Option<&'static KindSpec> {
        contract(kind)
    }
}

/// Calls `$f` of the module of service `$s`.
macro_rules! route {
    ($s:expr, $f:ident($($arg:expr),*)) => {
        match $s {
            Service::Ec2 => ec2::$f($($arg),*).await,
            Service::Elbv2 => elbv2::$f($($arg),*).await,
            Service::Ecs => ecs::$f($($arg),*).await,
            Service::Iam => iam::$f($($arg),*).await,
            Service::Logs => logs::$f($($arg),*).await,
            Service::Kms => kms::$f($($arg),*).await,
            Service::AutoScaling => autoscaling::$f($($arg),*).await,
            Service::CloudWatch => cloudwatch::$f($($arg),*).await,
            Service::CodeDeploy => codedeploy::$f($($arg),*).await,
            Service::Rds => rds::$f($($arg),*).await,
            Service::Ecr => ecr::$f($($arg),*).await,
            Service::ApiGateway => apigateway::$f($($arg),*).await,
        }
    };
}

impl Cloud for Aws {
    async fn adopt(&self, r: &Resolved) -> Result<Option<Created>, CloudError> {
        let (s, _) = lookup(&r.kind).ok_or_else(|| unsupported(&r.kind))?;
        route!(s, adopt(self, r))
    }

    async fn create(&self, r: &Resolved) -> Result<Created, CloudError> {
        let (s, _) = lookup(&r.kind).ok_or_else(|| unsupported(&r.kind))?;
        self.mutate();
        route!(s, create(self, r))
    }

    async fn update(&self, r: &Resolved, have: &Deployed, changes: &[AttrChange]) -> Result<Created, Partial> {
        let (s, spec) = lookup(&r.kind).ok_or_else(|| unsupported(&r.kind))?;
        let mut ch = Changes::new(changes);
        let elsewhere: Vec<&str> =
            spec.attrs.iter().filter(|(_, h)| matches!(h, Handling::Elsewhere(_))).map(|(n, _)| *n).collect();
        ch.done(&elsewhere);
        if ch.left().is_empty() {
            return Ok(crate::values::same(have));
        }
        self.mutate();
        let result = route!(s, update(self, r, have, &mut ch));
        match result {
            Ok(c) if ch.left().is_empty() => Ok(c),
            Ok(_) => {
                let left = ch.left().iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
                Err(Partial {
                    error: CloudError {
                        message: format!("no call of fgc's AWS backend applied {left} of `{}`", r.kind),
                        help: Some("this is a defect of fgc; the state keeps the value AWS has".into()),
                    },
                    applied: ch.applied(),
                })
            }
            Err(error) => Err(Partial { error, applied: ch.applied() }),
        }
    }

    async fn delete(&self, _id: &str, have: &Deployed) -> Result<(), CloudError> {
        let (s, _) = lookup(&have.kind).ok_or_else(|| unsupported(&have.kind))?;
        self.mutate();
        route!(s, delete(self, have))
    }

    async fn read(&self, have: &Deployed, recorded: &Resolved, state: &State) -> Result<Option<Observed>, CloudError> {
        let (s, _) = lookup(&have.kind).ok_or_else(|| unsupported(&have.kind))?;
        self.reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        route!(s, read(self, have, recorded, state))
    }
}
