//! Direct deployment of the IR, independent of any one cloud API: the state file (atomic
//! writes, a lock against concurrent applies), plans (create / update / replace / delete
//! with the attributes that change, rendered like `terraform plan`), and the executor that
//! walks the dependency graph with bounded parallelism, saving the state after every
//! resource.
//!
//! The cloud is a trait ([`exec::Cloud`]): `fg-aws` implements it with the AWS SDK, tests
//! with fakes. This crate makes no network calls and knows no AWS API; it reads and writes
//! only the state file it is given.

pub mod exec;
pub mod graph;
pub mod plan;
pub mod state;

pub use exec::{Cloud, CloudError, Created, Data, Event, Outcome, Resolved, apply};
pub use plan::{Action, AttrChange, Change, Desired, Plan, desired, plan, render};
pub use state::{Deployed, Release, State, StateError, StateFile};

#[cfg(test)]
mod tests;
