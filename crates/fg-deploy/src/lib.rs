//! Direct deployment of the IR, independent of any one cloud API: the state file (atomic
//! writes, a lock against concurrent applies), refresh (what the cloud has now against
//! what was applied: drift), plans (create / update / replace / delete with the attributes
//! that change and where each change comes from, rendered like `terraform plan`), the
//! contract a cloud declares for each kind (how each attribute is changed), and the
//! executor that walks the dependency graph with bounded parallelism, saving the state
//! after every resource.
//!
//! The cloud is a trait ([`exec::Cloud`]): `fg-aws` implements it with the AWS SDK, tests
//! with fakes. This crate makes no network calls and knows no AWS API; it reads and writes
//! only the state file it is given.

pub mod contract;
pub mod exec;
pub mod follow;
pub mod graph;
pub mod plan;
pub mod refresh;
pub mod render;
pub mod state;

pub use contract::{Contracts, Handling, KindSpec, Order};
pub use exec::{Cloud, CloudError, Created, Data, Event, Outcome, Partial, Resolved, Settings, apply};
pub use follow::follow_up;
pub use plan::{Action, AttrChange, Change, Desired, Origin, Plan, desired, plan};
pub use refresh::{Drift, Observed, Refresh, refresh};
pub use render::render;
pub use state::{Deployed, Deposed, Release, State, StateError, StateFile};

#[cfg(test)]
mod tests;
