//! The IR: a deterministic graph of AWS resources, lowered from the checked model.
//!
//! Every resource has a stable id derived from the source (`service.api/task`), a kind
//! named as the Terraform AWS provider names it (`aws_ecs_task_definition`), typed
//! attributes, the ids it refers to, and the source position of the declaration that
//! produced it. Both backends read this: the Terraform emitter and the AWS SDK executor.
//!
//! The lowering is where fgc's secure defaults live: tasks in private subnets without
//! public addresses, security groups chained balancer → tasks → database with one rule per
//! port and a description, execution roles allowed exactly the log group, images and
//! secrets they use, HTTPS with a modern TLS policy and an HTTP redirect.
//!
//! This crate does no I/O and knows nothing about HCL or the AWS API.

mod ir;
mod lower;

pub use ir::*;
pub use lower::lower;

#[cfg(test)]
mod tests;
