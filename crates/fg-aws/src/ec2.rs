//! STUB: being rewritten from /tmp/old-aws (see the helper's task).

use fg_deploy::{CloudError, Created, Deployed, KindSpec, Observed, Resolved, State};

use crate::Aws;
use crate::changes::Changes;
use crate::errors::unsupported;

pub(crate) const KINDS: &[KindSpec] = &[];

pub(crate) async fn adopt(_: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    Err(unsupported(&r.kind))
}

pub(crate) async fn create(_: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    Err(unsupported(&r.kind))
}

pub(crate) async fn update(_: &Aws, r: &Resolved, _: &Deployed, _: &mut Changes<'_>) -> Result<Created, CloudError> {
    Err(unsupported(&r.kind))
}

pub(crate) async fn delete(_: &Aws, have: &Deployed) -> Result<(), CloudError> {
    Err(unsupported(&have.kind))
}

pub(crate) async fn read(_: &Aws, have: &Deployed, _: &Resolved, _: &State) -> Result<Option<Observed>, CloudError> {
    Err(unsupported(&have.kind))
}
